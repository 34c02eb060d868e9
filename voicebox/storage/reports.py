"""'You said, we did' reports: a check-in's themes answered, sent back to every young person
who said yes to hearing back, on the channel they used, at most once each.

Sending is one transaction built for numbers: a delivery row per person (the key makes a
second press send nothing twice), then every new person's messages into the outbox with one
INSERT ... SELECT. People who spoke to the same themes get the same words, so the words are
made once per channel and set of themes, not once per person, and the database pairs each
person with theirs (100,000 people: about 6 s on SQLite, bench/report_back.py). On the web chat the
outbox's rows wait until the person next opens a check-in page, which shows them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    delete,
    distinct,
    func,
    insert,
    literal,
    select,
    update,
    values,
)

from voicebox.bot.messages import joined, utcnow
from voicebox.bot.report_back import PURPOSE, STATUSES, ReportItem, report_messages
from voicebox.storage.database import Database, insert_ignoring
from voicebox.storage.models import (
    Answer,
    AnswerTheme,
    Consultation,
    Conversation,
    OutboxMessage,
    Participant,
    Report,
    ReportDelivery,
    Theme,
    table,
)
from voicebox.storage.models import ReportItem as ReportItemRow
from voicebox.storage.outbox import message_from_json, message_to_json
from voicebox.storage.results import Count, count
from voicebox.storage.themes import list_themes

WEB = "web"  # the channel whose messages wait to be shown, not sent
# How long a browser keeps its web chat visitor after their last visit (the session
# cookie's life, set from this in the app): a message waiting longer is never shown.
WEB_VISITOR_KEPT = timedelta(days=31)
NOT_BACK = f"The young person did not open the web chat again within {WEB_VISITOR_KEPT.days} days"
CHUNK = 5_000  # outbox rows a statement


class ReportProblem(ValueError):
    """A report cannot be saved or sent as asked; the message is for a person."""


@dataclass(frozen=True)
class ReportView:
    """A check-in's report as written so far."""

    id: int
    public: bool
    items: tuple[ReportItem, ...]
    sent_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Reach:
    """Who a report-back goes to, and who it does not, before it is sent."""

    by_channel: Mapping[str, int]  # people who will get it
    stopped: int  # said yes to hearing back, then sent STOP (or blocked the bot)
    said_no: int  # took part and said no to hearing back
    elsewhere: int = 0  # said yes, on a channel that cannot reach them now (a terminal)

    @property
    def people(self) -> int:
        """Everyone it will reach."""
        return sum(self.by_channel.values())


@dataclass(frozen=True)
class Sent:
    """What one press of Send did."""

    people: int  # newly sent to (0 on a second press)
    messages: int  # outbox rows made


@dataclass(frozen=True)
class DeliveryCounts:
    """What became of a report-back, a person at a time (their least good message)."""

    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    opted_out: int = 0  # sent STOP (or blocked the bot) after it was queued
    web_waiting: int = 0
    web_shown: int = 0
    web_not_back: int = 0  # did not open the web chat again before their browser forgot them


def read_report(conn: Connection, consultation_id: int) -> ReportView | None:
    """The check-in's report with its themes in order, or None if none was written."""
    reports, items, themes = table(Report), table(ReportItemRow), table(Theme)
    found = conn.execute(
        select(reports.c.id, reports.c.public, reports.c.sent_at, reports.c.updated_at).where(
            reports.c.consultation_id == consultation_id
        )
    ).first()
    if found is None:
        return None
    rows = conn.execute(
        select(
            items.c.theme_id,
            themes.c.name,
            items.c.said,
            items.c.did,
            items.c.next,
            items.c.status,
        )
        .join(themes, themes.c.id == items.c.theme_id)
        .where(items.c.report_id == found.id)
        .order_by(items.c.position, items.c.id)
    )
    return ReportView(
        found.id,
        bool(found.public),
        tuple(ReportItem(*row) for row in rows),
        found.sent_at,
        found.updated_at,
    )


def save_report(
    db: Database, consultation_id: int, items: Sequence[ReportItem], public: bool
) -> int:
    """Keep the report's themes (in this order) and whether its page is public; its id.

    Only themes of this check-in are kept; a status other than planned, doing or done is
    refused."""
    for item in items:
        if item.status not in STATUSES:
            raise ReportProblem("Choose planned, doing now or done for each theme.")
    reports, rows, themes = table(Report), table(ReportItemRow), table(Theme)
    now = utcnow()
    with db.transaction() as conn:
        own = set(
            conn.scalars(select(themes.c.id).where(themes.c.consultation_id == consultation_id))
        )
        report_id = conn.scalar(
            select(reports.c.id).where(reports.c.consultation_id == consultation_id)
        )
        if report_id is None:
            conn.execute(
                insert_ignoring(reports, db.dialect).values(
                    consultation_id=consultation_id, public=public, created_at=now, updated_at=now
                )
            )
            report_id = conn.scalar(
                select(reports.c.id).where(reports.c.consultation_id == consultation_id)
            )
        conn.execute(
            update(reports).where(reports.c.id == report_id).values(public=public, updated_at=now)
        )
        conn.execute(delete(rows).where(rows.c.report_id == report_id))
        kept = [i for i in items if i.theme_id in own]
        if kept:
            conn.execute(
                insert(rows),
                [
                    {
                        "report_id": report_id,
                        "theme_id": i.theme_id,
                        "said": i.said.strip(),
                        "did": i.did.strip(),
                        "next": i.next.strip(),
                        "status": i.status,
                        "position": position,
                    }
                    for position, i in enumerate(kept)
                ],
            )
        assert report_id is not None
        return int(report_id)


def _took_part(consultation_id: int) -> Any:
    """Everyone who said yes to this check-in's consent (a person may appear twice)."""
    conversations = table(Conversation)
    return select(conversations.c.participant_id).where(
        conversations.c.consultation_id == consultation_id, conversations.c.consent == "given"
    )


def _want_to_hear(consultation_id: int) -> Any:
    """Each person whose latest answer to hearing back in this check-in was yes, once.

    Their yes, with no later answer of theirs in this check-in (found by the index on the
    person and conversation): a no in a second run, or in another check-in, wins or
    stays out as it should."""
    conversations = table(Conversation)
    later = conversations.alias("later")
    return select(conversations.c.participant_id).where(
        conversations.c.consultation_id == consultation_id,
        conversations.c.consent == "given",
        conversations.c.report_back.is_(True),
        ~select(later.c.id)
        .where(
            later.c.participant_id == conversations.c.participant_id,
            later.c.id > conversations.c.id,
            later.c.consultation_id == consultation_id,
            later.c.report_back.is_not(None),
        )
        .exists(),
    )


def reach(conn: Connection, consultation_id: int, channels: Collection[str] | None = None) -> Reach:
    """Who a report-back would go to now, by channel, and who it would not. `channels`:
    those a report can go out on (None: every one)."""
    participants = table(Participant)
    wants = participants.c.id.in_(_want_to_hear(consultation_id))
    rows = conn.execute(
        select(
            participants.c.channel,
            wants.label("wants"),
            (participants.c.opted_out | participants.c.unreachable).label("blocked"),
            func.count(),
        )
        .where(participants.c.id.in_(_took_part(consultation_id)))
        .group_by(participants.c.channel, "wants", "blocked")
    )
    by_channel: Counter[str] = Counter()
    stopped = said_no = elsewhere = 0
    for channel, wanted, blocked, number in rows:
        if not wanted:
            said_no += number
        elif blocked:
            stopped += number
        elif channels is not None and channel not in channels:
            elsewhere += number
        else:
            by_channel[channel] += number
    return Reach(dict(sorted(by_channel.items())), stopped, said_no, elsewhere)


def send_report_back(
    db: Database,
    consultation_id: int,
    title: str,
    joined_lengths: Mapping[str, int] | None = None,
    worker_id: int | None = None,
    channels: Collection[str] | None = None,
) -> Sent:
    """Queue the report to everyone who should hear back and has not had it; what it did.

    `joined_lengths`: channels whose messages are joined into as few as fit (Telegram).
    `channels`: those it can go out on (None: every one); people who came another way (a
    terminal) are left out, so nothing waits for a sender that will never come. A second
    call finds no one new and sends nothing."""
    joined_lengths = joined_lengths or {}
    reports, deliveries = table(Report), table(ReportDelivery)
    participants = table(Participant)
    now = utcnow()
    with db.transaction() as conn:
        report = read_report(conn, consultation_id)
        if report is None or not report.items:
            raise ReportProblem("Write what you did about at least one theme first.")
        wanted = select(
            literal(report.id),
            participants.c.id,
            participants.c.channel,
            literal("new"),
            literal(now, type_=deliveries.c.created_at.type),
        ).where(
            participants.c.id.in_(_want_to_hear(consultation_id)),
            participants.c.opted_out.is_(False),
            participants.c.unreachable.is_(False),
        )
        if channels is not None:
            wanted = wanted.where(participants.c.channel.in_(list(channels)))
        conn.execute(
            insert_ignoring(deliveries, db.dialect).from_select(
                ["report_id", "participant_id", "channel", "status", "created_at"], wanted
            )
        )
        words = _Words(title, report.items, joined_lengths)
        if len(report.items) <= MASK_THEMES:
            people, messages = _queue_in_one_statement(conn, consultation_id, report.id, words, now)
        else:
            people, messages = _queue_row_by_row(conn, consultation_id, report.id, words, now)
        conn.execute(
            update(deliveries)
            .where(deliveries.c.report_id == report.id, deliveries.c.status == "new")
            .values(status="queued")
        )
        if people:
            conn.execute(
                update(reports)
                .where(reports.c.id == report.id)
                .values(sent_at=now, sent_by=worker_id)
            )
    return Sent(people, messages)


# A person's themes as one number in SQL: a bit for each of the report's themes, so the
# outbox rows are made by the database in one INSERT ... SELECT, none of them in Python.
MASK_THEMES = 62  # the bits a BIGINT holds; a report with more themes is queued row by row


class _Words:
    """The messages for each channel and set of themes spoken to, made once each."""

    def __init__(
        self, title: str, items: Sequence[ReportItem], joined_lengths: Mapping[str, int]
    ) -> None:
        self.title, self.items, self.joined_lengths = title, items, joined_lengths
        self._made: dict[tuple[str, frozenset[int]], list[dict[str, Any]]] = {}

    def bodies(self, channel: str, spoke: frozenset[int]) -> list[dict[str, Any]]:
        """The outbox bodies, in order, for one person on this channel who spoke to these."""
        found = self._made.get((channel, spoke))
        if found is None:
            said = report_messages(self.title, self.items, spoke)
            if channel in self.joined_lengths:
                said = list(joined(said, self.joined_lengths[channel]))
            found = self._made[(channel, spoke)] = [message_to_json(m) for m in said]
        return found


def _new(report_id: int) -> Any:
    deliveries = table(ReportDelivery)
    return and_(deliveries.c.report_id == report_id, deliveries.c.status == "new")


def _queue_in_one_statement(
    conn: Connection, consultation_id: int, report_id: int, words: _Words, now: datetime
) -> tuple[int, int]:
    """Queue every new person's messages with one INSERT ... SELECT: (people, messages).

    Each person's rows go in together and in order (ORDER BY person, then message), as the
    dispatcher sends a person's messages in the order of their ids."""
    answers, tags = table(Answer), table(AnswerTheme)
    deliveries, outbox = table(ReportDelivery), table(OutboxMessage)
    theme_ids = [i.theme_id for i in words.items]
    bit = case(
        {theme: literal(1 << n, BigInteger) for n, theme in enumerate(theme_ids)},
        value=tags.c.theme_id,
    )
    # Found person by person through their conversations, by the index on the person:
    # joined to the whole check-in's tagged answers instead, SQLite scanned them all again
    # for each person; and looking the check-in's conversations up first is as slow.
    # NULL bits (answers tagged with other themes) are left out of the sum.
    conversations = table(Conversation)
    spoke = (
        select(cast(func.sum(distinct(bit)), BigInteger))
        .select_from(conversations)
        .join(answers, answers.c.conversation_id == conversations.c.id)
        .join(tags, tags.c.answer_id == answers.c.id)
        .where(
            conversations.c.participant_id == deliveries.c.participant_id,
            # "+ 0": no index on the check-in, so SQLite takes the one on the person.
            conversations.c.consultation_id + 0 == consultation_id,
        )
        .scalar_subquery()
    )
    mask = func.coalesce(spoke, 0)
    groups = conn.execute(
        select(deliveries.c.channel, mask, func.count())
        .where(_new(report_id))
        .group_by(deliveries.c.channel, mask)
    ).all()
    if not groups:
        return 0, 0
    rows: list[tuple[str, int, int, dict[str, Any]]] = []
    people = messages = 0
    for channel, number, how_many in groups:
        bits = int(number)
        mine = frozenset(t for n, t in enumerate(theme_ids) if bits >> n & 1)
        bodies = words.bodies(channel, mine)
        rows.extend((channel, bits, seq, body) for seq, body in enumerate(bodies))
        people += how_many
        messages += how_many * len(bodies)
    made = (
        values(
            column("channel", String),
            column("mask", BigInteger),
            column("seq", Integer),
            column("body", JSON),
            name="words",
        )
        .data(rows)
        .cte("words")
    )
    chosen = (
        select(
            deliveries.c.channel,
            deliveries.c.participant_id,
            literal(report_id),
            made.c.body,
            literal(PURPOSE),
            literal("queued"),
            literal(0),
            literal(now, type_=outbox.c.next_attempt_at.type),
            literal(now, type_=outbox.c.created_at.type),
        )
        .select_from(deliveries)
        .join(made, and_(made.c.channel == deliveries.c.channel, made.c.mask == mask))
        .where(_new(report_id))
        .order_by(deliveries.c.participant_id, made.c.seq)
    )
    conn.execute(insert(outbox).from_select(_OUTBOX_COLUMNS, chosen))
    return people, messages


_OUTBOX_COLUMNS = [
    "channel",
    "participant_id",
    "report_id",
    "body",
    "purpose",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]


def _queue_row_by_row(
    conn: Connection, consultation_id: int, report_id: int, words: _Words, now: datetime
) -> tuple[int, int]:
    """Queue every new person's messages from Python, CHUNK rows a statement (a report
    with more themes than MASK_THEMES): (people, messages)."""
    deliveries, outbox = table(ReportDelivery), table(OutboxMessage)
    new = conn.execute(
        select(deliveries.c.participant_id, deliveries.c.channel)
        .where(_new(report_id))
        .order_by(deliveries.c.participant_id)
    ).all()
    spoke = _themes_spoken(conn, consultation_id, [i.theme_id for i in words.items])
    rows: list[dict[str, Any]] = []
    messages = 0
    for participant_id, channel in new:
        for body in words.bodies(channel, spoke.get(participant_id, frozenset())):
            rows.append(
                dict(
                    zip(
                        _OUTBOX_COLUMNS,
                        (channel, participant_id, report_id, body, PURPOSE, "queued", 0, now, now),
                        strict=True,
                    )
                )
            )
        if len(rows) >= CHUNK:
            conn.execute(insert(outbox), rows)
            messages += len(rows)
            rows = []
    if rows:
        conn.execute(insert(outbox), rows)
        messages += len(rows)
    return len(new), messages


def _themes_spoken(
    conn: Connection, consultation_id: int, theme_ids: Sequence[int]
) -> dict[int, frozenset[int]]:
    """Each person's themes among these: the themes of the answers they gave."""
    answers, tags = table(Answer), table(AnswerTheme)
    found: defaultdict[int, set[int]] = defaultdict(set)
    rows = conn.execute(
        select(answers.c.participant_id, tags.c.theme_id)
        .join(tags, tags.c.answer_id == answers.c.id)
        .where(answers.c.consultation_id == consultation_id, tags.c.theme_id.in_(list(theme_ids)))
        .distinct()
    )
    for participant_id, theme_id in rows:
        found[participant_id].add(theme_id)
    return {p: frozenset(t) for p, t in found.items()}


# A message's state, worst first: a person counts by their least good message.
_FAILED, _OPTED_OUT, _QUEUED, _SENT, _DELIVERED = range(5)


def delivery_counts(conn: Connection, report_id: int) -> DeliveryCounts:
    """What became of a report-back so far, a person at a time."""
    outbox, participants = table(OutboxMessage), table(Participant)
    # A send the provider refused because they blocked the bot or unsubscribed marks them:
    # they stopped it, as a STOP before it went does; sending did not break.
    stopped = participants.c.opted_out | participants.c.unreachable
    state = case(
        (outbox.c.status.in_(("queued", "sending")), _QUEUED),
        (outbox.c.status == "cancelled", _OPTED_OUT),
        (and_(outbox.c.status == "failed", stopped), _OPTED_OUT),
        (outbox.c.status == "failed", _FAILED),
        (outbox.c.delivery_status == "delivered", _DELIVERED),
        (outbox.c.delivery_status.in_(("undelivered", "failed")), _FAILED),
        else_=_SENT,
    )
    per_person = (
        select(outbox.c.channel == WEB, func.min(state).label("state"))
        .join(participants, participants.c.id == outbox.c.participant_id)
        .where(outbox.c.report_id == report_id)
        .group_by(outbox.c.participant_id, outbox.c.channel)
        .subquery()
    )
    web, state_column = per_person.c[0], per_person.c.state
    tally: Counter[tuple[bool, int]] = Counter(
        {
            (bool(on_web), int(number)): count
            for on_web, number, count in conn.execute(
                select(web, state_column, func.count()).group_by(web, state_column)
            )
        }
    )
    return DeliveryCounts(
        queued=tally[(False, _QUEUED)],
        sent=tally[(False, _SENT)],
        delivered=tally[(False, _DELIVERED)],
        failed=tally[(False, _FAILED)],
        opted_out=tally[(False, _OPTED_OUT)] + tally[(True, _OPTED_OUT)],
        web_waiting=tally[(True, _QUEUED)],
        web_shown=tally[(True, _SENT)] + tally[(True, _DELIVERED)],
        web_not_back=tally[(True, _FAILED)],
    )


def give_up_on_web(db: Database, now: datetime | None = None) -> int:
    """Mark report-back messages that waited on the web chat longer than a browser keeps
    its visitor (WEB_VISITOR_KEPT) as not shown: any visit before then showed them, so
    that person can no longer be told. How many messages."""
    cutoff = (now or utcnow()) - WEB_VISITOR_KEPT
    outbox = table(OutboxMessage)
    with db.transaction() as conn:
        done = conn.execute(
            update(outbox)
            .where(
                outbox.c.channel == WEB,
                outbox.c.status == "queued",
                outbox.c.report_id.is_not(None),
                outbox.c.created_at < cutoff,
            )
            .values(status="failed", last_error=NOT_BACK)
        )
    return done.rowcount or 0


def heard_back_about(conn: Connection, participant_id: int, consultation_id: int) -> bool:
    """Whether this check-in's report-back was sent to this person (their message is then
    a reply to it)."""
    deliveries, reports = table(ReportDelivery), table(Report)
    found = conn.execute(
        select(deliveries.c.report_id)
        .join(reports, reports.c.id == deliveries.c.report_id)
        .where(
            deliveries.c.participant_id == participant_id,
            reports.c.consultation_id == consultation_id,
        )
        .limit(1)
    ).first()
    return found is not None


def report_back_in_conversation(
    conn: Connection, conversation_id: int
) -> list[tuple[str, datetime]]:
    """The report-back messages sent to this conversation's person about its check-in, with
    when each was queued, oldest first (for the workers' transcript)."""
    conversations, reports, outbox = table(Conversation), table(Report), table(OutboxMessage)
    rows = conn.execute(
        select(outbox.c.body, outbox.c.created_at)
        .select_from(conversations)
        .join(reports, reports.c.consultation_id == conversations.c.consultation_id)
        .join(
            outbox,
            (outbox.c.report_id == reports.c.id)
            & (outbox.c.participant_id == conversations.c.participant_id),
        )
        .where(conversations.c.id == conversation_id)
        .order_by(outbox.c.id)
    )
    return [(message_from_json(body).as_text(), created) for body, created in rows]


@dataclass(frozen=True)
class PublicItem:
    """One theme on the public page: the worker's words and how many people (safe to show)."""

    item: ReportItem
    people: Count


@dataclass(frozen=True)
class PublicReport:
    """What the public page shows: the workers' words only, never a young person's."""

    code: str
    title: str
    items: tuple[PublicItem, ...]


def public_report(conn: Connection, code: str) -> PublicReport | None:
    """A check-in's report for its public page, or None unless a worker made it public."""
    consultations = table(Consultation)
    found = conn.execute(
        select(consultations.c.id, consultations.c.code, consultations.c.title).where(
            consultations.c.code == code.strip().upper()
        )
    ).first()
    if found is None:
        return None
    report = read_report(conn, found.id)
    if report is None or not report.public or not report.items:
        return None
    people = {t.id: t.people for t in list_themes(conn, found.id)}
    return PublicReport(
        found.code,
        found.title,
        tuple(PublicItem(i, people.get(i.theme_id, count(0))) for i in report.items),
    )


def set_public(db: Database, consultation_id: int, public: bool) -> bool:
    """Open or close the report's public page; False when there is no report yet."""
    reports = table(Report)
    with db.transaction() as conn:
        done = conn.execute(
            update(reports)
            .where(reports.c.consultation_id == consultation_id)
            .values(public=public, updated_at=utcnow())
        )
        return bool(done.rowcount)
