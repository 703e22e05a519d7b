"""The words and times of a wallet's statement (CSV): in the reader's language and time zone.

A statement is read by people in a spreadsheet, so its columns, kinds and times are theirs; amounts
stay plain integers of won, so the spreadsheet can add them up."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def statement_header(*, time_zone: str) -> list[str]:
    return [
        _("Entry no."),
        _("Transfer no."),
        _("Time (%(time_zone)s)") % {"time_zone": time_zone},
        _("Kind"),
        _("Amount"),
        _("Balance after"),
        _("Counterparty"),
        _("Memo"),
    ]


def statement_kind(kind: str) -> str:
    words = {
        "transfer": pgettext("statement kind", "Transfer"),
        "deposit": pgettext("statement kind", "Top-up"),
        "withdraw": pgettext("statement kind", "Withdrawal"),
        "scheduled": pgettext("statement kind", "Scheduled transfer"),
        "dues": pgettext("statement kind", "Dues"),
    }
    return words.get(kind, kind)


def statement_outside() -> str:
    """The counterparty of a top-up or a withdrawal: money from or to outside the product."""
    return _("Outside")


def statement_time(moment: datetime, *, time_zone: str) -> str:
    """To the second, as a spreadsheet reads a date and time."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S")
