"""Message search in the embedded mode (chat/stores/sql.py): an FTS5 index of chat_message's bodies.

An external-content FTS5 table: it keeps only the index, and reads bodies from chat_message
through its rowid. Triggers keep it in step with every insert, update and delete.

Careful: when a later migration makes Django rebuild chat_message on SQLite (most AddField and
AlterField there copy the rows into a new table), the triggers are dropped with the old table
and the rows get new rowids. Such a migration must create the triggers again and then rebuild
the index: INSERT INTO chat_message_fts(chat_message_fts) VALUES('rebuild'). The store's
contract tests (chat/tests/test_stores.py, embedded run) fail when the triggers are missing.
"""

from django.db import migrations

from core.migration_operations import RunSQLOn

FORWARDS = [
    "CREATE VIRTUAL TABLE chat_message_fts USING fts5("
    "body, content='chat_message', content_rowid='rowid', tokenize='unicode61')",
    """CREATE TRIGGER chat_message_fts_insert AFTER INSERT ON chat_message BEGIN
        INSERT INTO chat_message_fts(rowid, body) VALUES (new.rowid, new.body);
    END""",
    """CREATE TRIGGER chat_message_fts_delete AFTER DELETE ON chat_message BEGIN
        INSERT INTO chat_message_fts(chat_message_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
    END""",
    """CREATE TRIGGER chat_message_fts_update AFTER UPDATE OF body ON chat_message BEGIN
        INSERT INTO chat_message_fts(chat_message_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
        INSERT INTO chat_message_fts(rowid, body) VALUES (new.rowid, new.body);
    END""",
    # Messages stored before this migration.
    "INSERT INTO chat_message_fts(chat_message_fts) VALUES ('rebuild')",
]

BACKWARDS = [
    "DROP TRIGGER chat_message_fts_update",
    "DROP TRIGGER chat_message_fts_delete",
    "DROP TRIGGER chat_message_fts_insert",
    "DROP TABLE chat_message_fts",
]


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_message_body_search_postgresql"),
    ]

    operations = [RunSQLOn("sqlite", sql=FORWARDS, reverse_sql=BACKWARDS)]
