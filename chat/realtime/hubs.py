"""The hub of this process: fed by Redis in production, in-process in the embedded mode."""

from django.conf import settings

from chat.realtime.hub import Hub

_hub: Hub | None = None


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
        if settings.REDIS_URL:
            from chat.realtime.redis_hub import RedisHub

            _hub = RedisHub(redis_url=settings.REDIS_URL, **dependencies)
        else:
            _hub = Hub(**dependencies)
    return _hub
