"""Message search on PostgreSQL (chat/stores/sql.py): a GIN index on the bodies' words.

The expression must stay the one the store's query uses, or PostgreSQL will not use the index.
'simple': no language's stemming or stop words, so any language's words are kept whole.
Built CONCURRENTLY so a large chat_message table keeps taking the persistence workers'
inserts meanwhile; that cannot run inside a transaction, hence atomic = False.
"""

from django.db import migrations

from core.migration_operations import RunSQLOn


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chat", "0002_seq_reservations_and_dead_letters"),
    ]

    operations = [
        RunSQLOn(
            "postgresql",
            sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS chat_message_body_search "
            "ON chat_message USING gin (to_tsvector('simple', body))",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS chat_message_body_search",
        ),
    ]
