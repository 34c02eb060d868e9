"""When a check-in is open: its status, and the dates a group set for it (UK days).

A check-in past its end closes itself: every reader works the status out from the dates,
so there is no job that has to run on time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from voicebox.bot.messages import utcnow

UK = ZoneInfo("Europe/London")  # groups think in UK days, whatever the server's clock says
OPEN, CLOSED, NOT_YET = "open", "closed", "not yet open"


def effective_status(
    status: str, starts_at: datetime | None, ends_at: datetime | None, now: datetime | None = None
) -> str:
    """open, closed, or not yet open: the stored status with the dates applied."""
    if status != OPEN:
        return CLOSED
    now = now or utcnow()
    if ends_at is not None and now >= ends_at:
        return CLOSED
    if starts_at is not None and now < starts_at:
        return NOT_YET
    return OPEN


def start_of(day: date) -> datetime:
    """The first moment of a UK day, as a time the database keeps."""
    return datetime.combine(day, time(), tzinfo=UK)


def end_of(day: date) -> datetime:
    """The moment after a UK day ends: a check-in ending on `day` is open all that day."""
    return start_of(day + timedelta(days=1))


def first_day(moment: datetime | None) -> date | None:
    """The UK day a start time falls on (for forms)."""
    return moment.astimezone(UK).date() if moment is not None else None


def last_day(moment: datetime | None) -> date | None:
    """The last UK day before an end time (for forms): the inverse of end_of."""
    return (moment.astimezone(UK) - timedelta(microseconds=1)).date() if moment else None


def day_words(day: date | None) -> str:
    """A day as people say it: Monday 7 December."""
    return f"{day:%A} {day.day} {day:%B}" if day is not None else ""
