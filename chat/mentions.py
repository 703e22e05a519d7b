"""@username in a message body: which members of the channel it names."""

import re

# A display name as accounts allows it (letters, digits and @.+-_), after an @ that starts a word.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


def mentioned_names(body: str) -> set[str]:
    """The names written after @, lowercased (display names are unique whatever their case)."""
    return {name.rstrip(".").lower() for name in MENTION.findall(body)}


def mentioned_members(*, channel_id: int, body: str) -> list[int]:
    """Ids of the channel's members the body names, in id order; one query, none without an @."""
    names = mentioned_names(body)
    if not names:
        return []
    from channels_app.selectors import channel_members_named

    return channel_members_named(channel_id=channel_id, names=names)
