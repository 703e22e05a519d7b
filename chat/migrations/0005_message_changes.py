"""Edits, deletions and reactions (chat/changes.py), mentions and replies.

On SQLite the two AddField on chat_message rebuild that table: its FTS5 triggers go with the
old table and its rows get new rowids (see 0004). The last operation creates the triggers
again and rebuilds the search index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import RunSQLOn

SEARCH_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS chat_message_fts_insert AFTER INSERT ON chat_message BEGIN
        INSERT INTO chat_message_fts(rowid, body) VALUES (new.rowid, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS chat_message_fts_delete AFTER DELETE ON chat_message BEGIN
        INSERT INTO chat_message_fts(chat_message_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS chat_message_fts_update AFTER UPDATE OF body ON chat_message BEGIN
        INSERT INTO chat_message_fts(chat_message_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
        INSERT INTO chat_message_fts(rowid, body) VALUES (new.rowid, new.body);
    END""",
    "INSERT INTO chat_message_fts(chat_message_fts) VALUES ('rebuild')",
]


class Migration(migrations.Migration):
    dependencies = [
        ("channels_app", "0002_channel_password_attempts"),
        ("chat", "0004_message_body_search_sqlite"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelVersion",
            fields=[
                (
                    "channel",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="channels_app.channel",
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="message",
            name="mentions",
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name="message",
            name="reply_to",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.CreateModel(
            name="MessageState",
            fields=[
                ("message_id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField()),
                ("body", models.TextField(blank=True, default="")),
                ("mentions", models.JSONField(blank=True, null=True)),
                ("edited_at", models.DateTimeField(blank=True, null=True)),
                ("deleted", models.BooleanField(default=False)),
                ("reactions", models.JSONField(default=dict)),
                ("version", models.BigIntegerField()),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="channels_app.channel"
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["channel", "seq"], name="chat_state_channel_seq"),
                    models.Index(fields=["channel", "version"], name="chat_state_channel_version"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Reaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("message_id", models.CharField(max_length=32)),
                ("emoji", models.CharField(max_length=32)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("message_id", "user", "emoji"), name="chat_reaction_unique")
                ],
            },
        ),
        RunSQLOn("sqlite", sql=SEARCH_TRIGGERS, reverse_sql=migrations.RunSQL.noop),
    ]
