"""Prepare the MongoDB message store for sharding: `manage.py shard_message_store`.

Run once against mongos (MONGO_URL) before the web nodes start with MONGO_SHARDED=1: it creates
the indexes a sharded collection needs (chat.stores.mongo.message_indexes), turns sharding on
for the database and shards the messages collection by (channel, seq). On a MongoDB that is not
a mongos it only creates the indexes and says so. Running it again changes nothing.
docs/operations.md shows the shard and zone layout.
"""

import pymongo
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chat.stores.mongo import COLLECTION, SHARD_KEY, message_indexes_ensure


def message_store_indexes(database) -> list[str]:
    """The indexes a sharded messages collection needs; returns their names."""
    message_indexes_ensure(database[COLLECTION], sharded=True)
    return list(database[COLLECTION].index_information())


def message_store_shard(*, client, database_name: str) -> list[str]:
    """Indexes, then sharding when the client talks to mongos; returns what was done."""
    names = message_store_indexes(client[database_name])
    done = [f"indexes of {database_name}.{COLLECTION}: {', '.join(names)}"]
    if client.admin.command("hello").get("msg") != "isdbgrid":
        done.append("not a mongos: the collection is left unsharded")
        return done
    namespace = f"{database_name}.{COLLECTION}"
    client.admin.command("enableSharding", database_name)
    if client.config.collections.find_one({"_id": namespace, "key": {"$exists": True}}) is None:
        client.admin.command("shardCollection", namespace, key=SHARD_KEY, unique=True)
    done.append(f"{namespace} sharded by {SHARD_KEY}")
    return done


class Command(BaseCommand):
    help = "Create the message store's indexes and shard it by (channel, seq) behind mongos."

    def handle(self, *args, **options):
        if not settings.MONGO_URL:
            raise CommandError("MONGO_URL is not set: the SQL message store has nothing to shard.")
        client = pymongo.MongoClient(settings.MONGO_URL, tz_aware=True)
        try:
            for line in message_store_shard(client=client, database_name=settings.MONGO_DB_NAME):
                self.stdout.write(line)
        finally:
            client.close()
