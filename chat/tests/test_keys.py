from django.test import override_settings

from chat import keys


def test_rooms_of_two_redis_databases_on_one_server_are_different_topics():
    """Redis pub/sub ignores the database number, so the topic has to carry it."""
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/10"):
        topic_in_10 = keys.room_topic(7)
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/13"):
        topic_in_13 = keys.room_topic(7)
    assert topic_in_10 != topic_in_13
    assert keys.parse_topic(topic_in_13) == ("room", 7)
    assert keys.parse_topic(topic_in_13.encode()) == ("room", 7)
    assert keys.parse_topic(keys.user_topic(7)) == ("user", 7)
