"""Polls (투표): asked in a channel, posted as a card in the chat, voted on, closed by their
creator, the channel's owner or their closing time (docs/api.md "Additions (v3)").

Every change of a poll goes out live to the channel's subscribers as {type: "poll", channel, poll};
history shows each poll card as the poll is now.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels_app.selectors import channel_for_member, channel_get
from chat import selectors
from chat.models import Poll, PollOption, PollVote
from chat.outbox import announce_channel_frame, announce_post
from core.api.errors import Conflict, DomainError, Forbidden, NotFound
from core.web.locale import user_language

MIN_OPTIONS, MAX_OPTIONS = 2, 10


def _invalid(field: str, detail: str) -> DomainError:
    return DomainError(detail, fields={field: [detail]})


@transaction.atomic
def poll_create(
    *, user, channel_id: int, question: str, options: list[str], multiple: bool, closes_at: datetime | None = None
) -> Poll:
    """A member asks; the poll's card is posted in the chat in their name once this commits."""
    channel_for_member(user=user, channel_id=channel_id)
    question = question.strip()
    texts = [text.strip() for text in options]
    if not question:
        raise _invalid("question", _("A poll needs a question."))
    if not MIN_OPTIONS <= len(texts) <= MAX_OPTIONS or not all(texts):
        raise _invalid("options", _("A poll needs 2 to 10 options, none of them blank."))
    if len({text.casefold() for text in texts}) != len(texts):
        raise _invalid("options", _("Each option must be different."))
    if closes_at is not None and closes_at <= timezone.now():
        raise _invalid("closes_at", _("The closing time must be in the future."))
    poll = Poll.objects.create(
        channel_id=channel_id, created_by=user, question=question, multiple=multiple, closes_at=closes_at
    )
    PollOption.objects.bulk_create(PollOption(poll=poll, position=n, text=text) for n, text in enumerate(texts))
    _post_card(poll_id=poll.pk)
    return poll


def _post_card(*, poll_id: int) -> None:
    """The poll's card in the chat, in its creator's name and language (client_msg_id
    "sys:poll:<id>"), through the outbox like every post the server writes (dues cards too)."""
    poll = selectors.poll_get(poll_id=poll_id)
    with translation.override(user_language(poll.created_by)):
        body = _("Poll: %(question)s") % {"question": poll.question}
    announce_post(
        channel_id=poll.channel_id,
        sender=poll.created_by,
        body=body,
        name=f"poll:{poll.pk}",
        card={"poll": selectors.poll_data(poll)},
    )


def _poll_for_member(*, user, poll_id: int, lock: bool = False) -> Poll:
    polls = Poll.objects.select_for_update() if lock else Poll.objects
    poll = polls.filter(pk=poll_id).first()
    if poll is None:
        raise NotFound(_("No such poll."))
    channel_for_member(user=user, channel_id=poll.channel_id)
    return poll


def _announce(poll_id: int) -> None:
    """The poll as it is now, to the channel's subscribers, through the outbox (in the change's transaction)."""
    poll = selectors.poll_get(poll_id=poll_id)
    announce_channel_frame(channel_id=poll.channel_id, frame={"type": "poll", "poll": selectors.poll_data(poll)})


@transaction.atomic
def poll_vote(*, user, poll_id: int, option_ids: list[int]) -> Poll:
    """The member's choice replaces their earlier one; no options takes their vote back.

    The poll's row lock orders votes and the close: no vote counts after the poll closed."""
    poll = _poll_for_member(user=user, poll_id=poll_id, lock=True)
    if poll.is_closed:
        raise Conflict(_("This poll is closed."))
    chosen = set(option_ids)
    if len(chosen) != len(option_ids) or (len(chosen) > 1 and not poll.multiple):
        raise _invalid("options", _("Choose one option.") if not poll.multiple else _("Choose each option once."))
    known = set(poll.options.filter(pk__in=chosen).values_list("pk", flat=True))
    if known != chosen:
        raise _invalid("options", _("Choose among this poll's options."))
    PollVote.objects.filter(poll=poll, user=user).delete()
    PollVote.objects.bulk_create(PollVote(poll=poll, option_id=option_id, user=user) for option_id in sorted(chosen))
    _announce(poll.pk)
    return poll


@transaction.atomic
def poll_close(*, user, poll_id: int) -> Poll:
    """Its creator or the channel's owner closes it; closing a closed poll changes nothing."""
    poll = _poll_for_member(user=user, poll_id=poll_id, lock=True)
    if user.pk not in (poll.created_by_id, channel_get(channel_id=poll.channel_id).owner_id):
        raise Forbidden(_("Only the poll's creator or the channel's owner can close it."))
    if poll.closed_at is None:
        poll.closed_at = timezone.now()
        poll.save(update_fields=["closed_at"])
        _announce(poll.pk)
    return poll


def polls_close_due(*, now: datetime | None = None) -> int:
    """Closes every open poll whose closing time has come (beat's tick); how many it closed.

    Each close is a conditional update of an open poll: of two ticks (or a tick and a person)
    only one closes it, so the channel hears of it exactly once."""
    now = now or timezone.now()
    closed = 0
    due = Poll.objects.filter(closed_at__isnull=True, closes_at__lte=now).values_list("pk", flat=True)
    for poll_id in list(due[:500]):
        with transaction.atomic():
            if Poll.objects.filter(pk=poll_id, closed_at__isnull=True).update(closed_at=now):
                closed += 1
                _announce(poll_id)
    return closed
