"""What a membership change tells the rest of the product, inside its transaction: receivers write
what must follow (chat: outbox rows, published once the write commits), never a side effect.

channels_app knows rooms and who is in them; it does not know who is listening. The chat
(chat/apps.py) connects here and tells the live clients: the channel's subscribers hear of a
member joining or leaving, and the one who left stops receiving the channel on every node.
"""

from django.dispatch import Signal

member_joined = Signal()  # channel_id, user
member_left = Signal()  # channel_id, user
# Sent inside channel_leave, under the membership row's lock and before it is deleted: a receiver
# that must keep the member (wallets: the treasurer of a group wallet of the channel) raises a
# DomainError, which refuses the leave. The one signal here that can say no.
member_leaving = Signal()  # channel_id, user
# Sent inside channel_join, right after the membership row is written: what must join with the
# member (wallets: the open dues of the channel's group wallets ask them too) commits with it.
member_joining = Signal()  # channel_id, user
marker_moved = Signal()  # channel_id, user, seq: a read marker moved (through REST)
channel_changed = Signal()  # channel_id, user (the owner who changed it): renamed, described, password, owner
