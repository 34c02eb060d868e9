"""'You said, we did': the words a young person gets back about a check-in they took part in.

Pure: a report's themes in, the messages out. Each theme is one short message, so a text
message holds one theme; the themes a person spoke to come first. The words say plainly
whether a thing is done, being done or only planned: young people asked councils not to
make promises that might not happen."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from voicebox.bot.easyread import language_problems
from voicebox.bot.messages import OutboundMessage

STATUSES = ("planned", "doing", "done")
STATUS_WORDS = {
    "planned": "We plan to",
    "doing": "We are doing this now",
    "done": "We did this",
}
STATUS_NAMES = {"planned": "Planned", "doing": "Doing now", "done": "Done"}
# The picture beside each status on the public page (ids of the built-in picture set).
STATUS_PICTURES = {"planned": "plans", "doing": "waiting", "done": "honest"}
PURPOSE = "report"  # the outbox purpose of a report-back's messages


@dataclass(frozen=True)
class ReportItem:
    """One theme's lines: what young people said, what was done, and what comes next."""

    theme_id: int
    theme: str
    said: str
    did: str
    next: str
    status: str  # planned, doing or done


@dataclass(frozen=True)
class SentText:
    """One message exactly as a channel sends it, and what stops it going, if anything."""

    text: str
    problem: str = ""


def opening(title: str) -> str:
    """The first message: which check-in this is about."""
    return f"Thank you for taking part in {title}. Here is what we did with your answers."


CLOSING = "Reply to tell us what you think. Send STOP to hear nothing more."


def item_text(item: ReportItem) -> str:
    """One theme as a short message of three lines."""
    lines = [f"You said: {item.said.strip()}"]
    if item.did.strip():
        lines.append(
            f"{STATUS_WORDS.get(item.status, STATUS_WORDS['planned'])}: {item.did.strip()}"
        )
    if item.next.strip():
        lines.append(f"Next: {item.next.strip()}")
    return "\n".join(lines)


def ordered(items: Iterable[ReportItem], spoke_to: Collection[int]) -> list[ReportItem]:
    """The themes a person spoke to first (in the report's order), then the others."""
    listed = list(items)
    return [i for i in listed if i.theme_id in spoke_to] + [
        i for i in listed if i.theme_id not in spoke_to
    ]


def report_messages(
    title: str, items: Iterable[ReportItem], spoke_to: Collection[int] = ()
) -> list[OutboundMessage]:
    """The messages one person gets: the opening, one per theme (theirs first), the close."""
    return [
        OutboundMessage(opening(title), purpose=PURPOSE),
        *(OutboundMessage(item_text(i), purpose=PURPOSE) for i in ordered(items, spoke_to)),
        OutboundMessage(CLOSING, purpose=PURPOSE),
    ]


def wording_problems(item: ReportItem) -> list[str]:
    """Easy Read problems in a theme's words (the same rules as `voicebox flows check`)."""
    found: list[str] = []
    for label, words in (("You said", item.said), ("What we did", item.did), ("Next", item.next)):
        found.extend(f"{label}: {problem}" for problem in language_problems(words))
    if not item.said.strip():
        found.append("You said: write what young people said")
    return found
