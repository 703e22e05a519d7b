"""The hub of this process, on the broker the settings choose (chat/realtime/broker.py)."""

from django.conf import settings

from chat.realtime.broker import Broker, MemoryBroker
from chat.realtime.hub import Hub

_hub: Hub | None = None


def broker_for_settings() -> Broker:
    """The one place that asks which bus this deployment has."""
    if not settings.REDIS_URL:
        return MemoryBroker()
    from chat.realtime.redis_broker import RedisBroker
    from chat.realtime.redis_client import cluster_mode

    return RedisBroker(settings.REDIS_URL, sharded=cluster_mode())


def get_hub() -> Hub:
    global _hub
    if _hub is None:
        from chat import selectors

        dependencies = {
            "messages": selectors.message_frames_after,
            "changes": selectors.change_frames_after,
            "channel_events": selectors.channel_event_frames_after,
            "user_events": selectors.user_event_frames_after,
            "last_seqs": selectors.channels_last_seq_async,
            "last_versions": selectors.channels_version_async,
            "last_channel_events": selectors.channels_last_event_async,
            "last_user_events": selectors.users_last_event_async,
            "members": selectors.memberships_among_async,
        }
        _hub = Hub(broker=broker_for_settings(), **dependencies)
    return _hub
