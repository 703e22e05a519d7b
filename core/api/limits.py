"""Numeric limits shared by the settings, the URL converters, the serializer fields and the /ws/ frame
schemas (chat/realtime/protocol.py); no imports."""

# The largest value of the database's bigint columns (ids, seqs, balances). Every integer a
# client sends is bounded by it (or less), so none reaches the database out of range.
DB_INTEGER_MAX = 2**63 - 1
