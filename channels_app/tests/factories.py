from accounts.tests.factories import UserFactory
from channels_app.services import channel_create, channel_join


def channel_with_members(*, name: str, usernames: list[str]):
    """A public channel owned by the first user, with every other user a member; (channel, users)."""
    users = [UserFactory(username=username) for username in usernames]
    channel = channel_create(owner=users[0], name=name)
    for user in users[1:]:
        channel_join(user=user, channel=channel)
    return channel, users
