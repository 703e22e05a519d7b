"""Message stores behind one interface; MONGO_URL picks MongoDB, otherwise SQL."""

from functools import cache

from django.conf import settings

from chat.stores.base import MessageStore


@cache
def get_message_store() -> MessageStore:
    if settings.MONGO_URL:
        import pymongo

        from chat.stores.mongo import MongoMessageStore

        client = pymongo.MongoClient(settings.MONGO_URL, tz_aware=True)
        return MongoMessageStore(client[settings.MONGO_DB_NAME], sharded=settings.MONGO_SHARDED)
    from chat.stores.sql import SqlMessageStore

    return SqlMessageStore()
