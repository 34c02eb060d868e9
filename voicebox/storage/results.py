"""Results at a glance: how many people took part and what they said, counted in SQL.

Every number is a count of people (COUNT DISTINCT participant), never of answers, and it
leaves this module only as a `Count`: 5 or more shows as the number, fewer than 5 only as
"fewer than 5". This is the one place that rule lives; pages cannot see a small number.
Each query returns a bounded number of rows: no answer list is read into Python."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from voicebox.bot.messages import utcnow
from voicebox.flows import Flow
from voicebox.storage.database import Database
from voicebox.storage.masking import mask
from voicebox.storage.models import Answer, Consultation, Conversation
from voicebox.storage.visibility import in_groups

MIN_PEOPLE = 5  # fewer people than this in any number, and it is hidden
FEWER = "fewer than 5"
FIVE_OR_MORE = "5 or more"
FEEDBACK_KINDS = ("top", "pants", "better")  # what is good, not good, would make it better
RESULT_KINDS = (*FEEDBACK_KINDS, "feeling")
MAX_TOPICS = 12  # parts of life shown, the most talked about first
MAX_QUOTES = 10  # the latest words shown
MAX_BETTER_QUOTES = 5
DAYS_BY_DAY = 14  # a check-in over at most this many days is counted day by day
WEEKS_BY_WEEK = 16  # then week by week up to this many weeks, then month by month


@dataclass(frozen=True)
class Count:
    """A number of people as a worker may see it: `value` is None when it is hidden."""

    value: int | None
    words: str

    def __str__(self) -> str:
        return self.words

    @property
    def hidden(self) -> bool:
        """True when the number is not shown."""
        return self.value is None


def count(people: int) -> Count:
    """The number of people when 5 or more; otherwise only "fewer than 5" (0 included)."""
    return Count(people, str(people)) if people >= MIN_PEOPLE else Count(None, FEWER)


def counts_in_parts(people: Sequence[int]) -> list[Count]:
    """Counts that split one total into parts (the bars of one chart).

    Each is shown or hidden as `count` says. When just one part is hidden, the smallest
    shown part says only "5 or more": the hidden one cannot then be worked out by taking
    the others from the total."""
    counts = [count(n) for n in people]
    hidden = [i for i, c in enumerate(counts) if c.hidden]
    shown = [i for i, c in enumerate(counts) if not c.hidden]
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda i: people[i])
        counts[smallest] = Count(None, FIVE_OR_MORE)
    return counts


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: what it counts (a channel, a feeling's or a card's key, or the
    first day of a period) and how many people."""

    key: str
    count: Count


@dataclass(frozen=True)
class TopicResult:
    """What people said about one part of life (a topic as the answers store it)."""

    topic: str
    people: Count
    said: dict[str, Count]  # by kind (top, pants, better): people who answered it
    feelings: tuple[Bar, ...]  # by feeling, in the flow's order
    cards: dict[str, tuple[Bar, ...]]  # by kind: people who chose each picture card


@dataclass(frozen=True)
class Quote:
    """Words a young person typed, with identifying details hidden."""

    text: str
    kind: str
    topic: str


@dataclass(frozen=True)
class Results:
    """A check-in's results at a glance; every number already safe to show."""

    people: Count
    channels: tuple[Bar, ...]
    period: str  # how over_time is counted: day, week or month
    over_time: tuple[Bar, ...]  # bar keys are ISO dates, the first day of each period
    topics: tuple[TopicResult, ...]
    more_topics: bool  # more than MAX_TOPICS parts of life had 5 or more people
    better: Count  # people who said what would make things better, about anything
    better_cards: tuple[Bar, ...]
    better_quotes: tuple[Quote, ...]
    quotes: tuple[Quote, ...]
    as_of: datetime  # when these were the results


def _day(value: Any) -> date:
    """A date from the database: SQLite gives text, PostgreSQL a date or a timestamp."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _period_start(dialect: str, period: str, column: Any) -> ColumnElement[Any]:
    """The first day (UTC) of the day, week (from Monday) or month a time falls in."""
    if dialect == "sqlite":
        if period == "day":
            return func.date(column)
        if period == "week":
            return func.date(column, "weekday 0", "-6 days")
        return func.strftime("%Y-%m-01", column)
    return func.date_trunc(period, func.timezone("UTC", column))


def _periods(first: date, last: date) -> tuple[str, list[date]]:
    """How to count over time from the first to the last day, and every period's start."""
    span = (last - first).days
    if span < DAYS_BY_DAY:
        return "day", [first + timedelta(days=n) for n in range(span + 1)]
    monday = first - timedelta(days=first.weekday())
    if span < WEEKS_BY_WEEK * 7:
        return "week", [monday + timedelta(weeks=n) for n in range((last - monday).days // 7 + 1)]
    starts = []
    month = first.replace(day=1)
    while month <= last:
        starts.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return "month", starts


def _scale_keys(flow: Flow | None) -> list[str]:
    """The feelings of the flow's scale questions, in order."""
    keys: list[str] = []
    for step in flow.steps.values() if flow else ():
        if step.type == "scale":
            keys += [c.key for c in step.choices if c.key not in keys]
    return keys


def _card_keys(flow: Flow | None, kind: str) -> list[str]:
    """The picture cards of the flow's questions of this kind, in order."""
    keys: list[str] = []
    for step in flow.steps.values() if flow else ():
        if step.is_cards and step.kind == kind:
            keys += [c.key for c in step.choices if c.key not in keys]
    return keys


def _in_order(known: list[str], found: Iterable[str]) -> list[str]:
    """The flow's keys, then any other keys the answers hold (from an older flow)."""
    return known + sorted(set(found) - set(known))


class _Counter:
    """The queries behind one check-in's results, in one read transaction."""

    def __init__(self, conn: Connection, dialect: str, consultation_id: int, flow: Flow | None):
        self.conn = conn
        self.dialect = dialect
        self.id = consultation_id
        self.flow = flow

    def took_part(self) -> Any:
        """Conversations where the young person said yes."""
        return and_(Conversation.consultation_id == self.id, Conversation.consent == "given")

    def answers(self, *kinds: str) -> Any:
        """This check-in's answers of these kinds."""
        return and_(Answer.consultation_id == self.id, Answer.kind.in_(kinds))

    def channels(self) -> tuple[Count, tuple[Bar, ...]]:
        """Everyone who took part, and by channel (a person is on one channel, so the
        channels add up to everyone)."""
        people = func.count(Conversation.participant_id.distinct())
        rows = self.conn.execute(
            select(Conversation.channel, people)
            .where(self.took_part())
            .group_by(Conversation.channel)
            .order_by(people.desc(), Conversation.channel)
        ).all()
        counts = counts_in_parts([n for _, n in rows])
        bars = tuple(Bar(name, c) for (name, _), c in zip(rows, counts, strict=True))
        return count(sum(n for _, n in rows)), bars

    def over_time(self) -> tuple[str, tuple[Bar, ...]]:
        """People who started taking part in each day, week or month (UTC)."""
        first, last = self.conn.execute(
            select(func.min(Conversation.started_at), func.max(Conversation.started_at)).where(
                self.took_part()
            )
        ).one()
        if first is None:
            return "day", ()
        period, starts = _periods(first.date(), last.date())
        start = _period_start(self.dialect, period, Conversation.started_at).label("start")
        rows = self.conn.execute(
            select(start, func.count(Conversation.participant_id.distinct()))
            .where(self.took_part())
            .group_by(start)
        ).all()
        found = {_day(day): n for day, n in rows}
        counts = counts_in_parts([found.get(day, 0) for day in starts])
        return period, tuple(Bar(day.isoformat(), c) for day, c in zip(starts, counts, strict=True))

    def topics(self) -> tuple[list[tuple[str, int]], bool]:
        """The parts of life 5 or more people talked about, the most first, and whether
        there were more than MAX_TOPICS of them."""
        people = func.count(Answer.participant_id.distinct())
        rows = self.conn.execute(
            select(Answer.topic, people)
            .where(self.answers(*RESULT_KINDS))
            .group_by(Answer.topic)
            .having(people >= MIN_PEOPLE)
            .order_by(people.desc(), Answer.topic)
            .limit(MAX_TOPICS + 1)
        ).all()
        return [(topic, n) for topic, n in rows[:MAX_TOPICS]], len(rows) > MAX_TOPICS

    def by_topic(self, topics: list[tuple[str, int]]) -> tuple[tuple[TopicResult, ...], set]:
        """Each topic's feelings, what people said and the cards they chose; and the
        (topic, kind) pairs where 5 or more people typed their own words."""
        names = [topic for topic, _ in topics]
        if not names:
            return (), set()
        where = and_(self.answers(*RESULT_KINDS), Answer.topic.in_(names))
        people = func.count(Answer.participant_id.distinct())
        cells = self.conn.execute(
            select(Answer.topic, Answer.kind, Answer.answer_key, people)
            .where(where)
            .group_by(Answer.topic, Answer.kind, Answer.answer_key)
        ).all()
        by_key: dict[tuple[str, str], dict[str, int]] = {}
        for topic, kind, key, n in cells:
            by_key.setdefault((topic, kind), {})[key] = n
        # Typed words only: the people who answered are the people who typed. With picture
        # cards a person may choose several, so they are counted once more, across cards.
        kinds = {pair: keys.get("", 0) for pair, keys in by_key.items()}
        with_cards = sorted(
            {kind for (_, kind), keys in by_key.items() if kind != "feeling" and set(keys) - {""}}
        )
        if with_cards:
            said = self.conn.execute(
                select(Answer.topic, Answer.kind, people)
                .where(where, Answer.kind.in_(with_cards))
                .group_by(Answer.topic, Answer.kind)
            ).all()
            kinds.update({(topic, kind): n for topic, kind, n in said})
        typed = {pair for pair, keys in by_key.items() if keys.get("", 0) >= MIN_PEOPLE}
        results = []
        for topic, n in topics:
            feelings = by_key.get((topic, "feeling"), {})
            keys = _in_order(_scale_keys(self.flow), (k for k in feelings if k))
            counts = counts_in_parts([feelings.get(k, 0) for k in keys])
            cards = {}
            for kind in FEEDBACK_KINDS:
                chosen = {k: v for k, v in by_key.get((topic, kind), {}).items() if k}
                card_keys = _card_keys(self.flow, kind)
                if chosen or card_keys:
                    cards[kind] = tuple(
                        Bar(k, count(chosen.get(k, 0))) for k in _in_order(card_keys, chosen)
                    )
            results.append(
                TopicResult(
                    topic=topic,
                    people=count(n),
                    said={kind: count(kinds.get((topic, kind), 0)) for kind in FEEDBACK_KINDS},
                    feelings=tuple(Bar(k, c) for k, c in zip(keys, counts, strict=True)),
                    cards={kind: bars for kind, bars in cards.items() if bars},
                )
            )
        return tuple(results), typed

    def better(self) -> tuple[Count, tuple[Bar, ...]]:
        """People who said what would make things better, and the cards they chose."""
        where = self.answers("better")
        people = func.count(Answer.participant_id.distinct())
        everyone = self.conn.scalar(select(people).where(where)) or 0
        rows = self.conn.execute(
            select(Answer.answer_key, people)
            .where(where, Answer.answer_key != "")
            .group_by(Answer.answer_key)
        ).all()
        chosen = dict(rows)
        keys = _in_order(_card_keys(self.flow, "better"), chosen)
        return count(everyone), tuple(Bar(k, count(chosen.get(k, 0))) for k in keys)

    def quotes(self, typed: set, kinds: Sequence[str], limit: int) -> tuple[Quote, ...]:
        """The latest typed words of these kinds, only where 5 or more people typed words
        about that topic, and never from a conversation flagged for safeguarding."""
        pairs = [(topic, kind) for topic, kind in sorted(typed) if kind in kinds]
        if not pairs:
            return ()
        rows = self.conn.execute(
            select(Answer.answer, Answer.kind, Answer.topic)
            .join(Conversation, Conversation.id == Answer.conversation_id)
            .where(
                Answer.consultation_id == self.id,
                Answer.answer_key == "",
                Conversation.flagged.is_(False),
                or_(*(and_(Answer.topic == t, Answer.kind == k) for t, k in pairs)),
            )
            .order_by(Answer.id.desc())
            .limit(limit)
        ).all()
        return tuple(Quote(mask(text), kind, topic) for text, kind, topic in rows)


def _marker(conn: Connection, consultation_id: int) -> tuple[Any, ...]:
    """What changes whenever an answer comes, goes or changes: every turn updates its
    conversation's time, and a deletion changes how many there are."""
    where = Conversation.consultation_id == consultation_id
    latest = conn.scalar(select(func.max(Conversation.updated_at)).where(where))
    return latest, conn.scalar(select(func.count()).where(where))


def _visible(conn: Connection, code: str, group_ids: frozenset[int] | None) -> int | None:
    """The id of the check-in with this code if these groups may see it (None: any)."""
    query = select(Consultation.id).where(Consultation.code == code.strip().upper())
    return conn.scalar(in_groups(query, Consultation.id, group_ids))


def count_results(
    conn: Connection, dialect: str, consultation_id: int, flow: Flow | None
) -> Results:
    """Count a check-in's results now, in the caller's read transaction."""
    counter = _Counter(conn, dialect, consultation_id, flow)
    people, channels = counter.channels()
    period, over_time = counter.over_time()
    topics, more_topics = counter.topics()
    by_topic, typed = counter.by_topic(topics)
    better, better_cards = counter.better()
    return Results(
        people=people,
        channels=channels,
        period=period,
        over_time=over_time,
        topics=by_topic,
        more_topics=more_topics,
        better=better,
        better_cards=better_cards,
        better_quotes=counter.quotes(typed, ("better",), MAX_BETTER_QUOTES),
        quotes=counter.quotes(typed, FEEDBACK_KINDS, MAX_QUOTES),
        as_of=utcnow(),
    )


def read_results(
    db: Database, code: str, group_ids: frozenset[int] | None, flow: Flow | None
) -> Results | None:
    """A check-in's results if these groups may see it (None: any group), else None."""
    with db.reading() as conn:
        consultation_id = _visible(conn, code, group_ids)
        if consultation_id is None:
            return None
        return count_results(conn, db.dialect, consultation_id, flow)


SLOW = 0.25  # seconds: counting that takes longer is not done again at every change
PATIENCE = 10  # then results stay at most this many times as long as counting took


@dataclass(frozen=True)
class _Kept:
    """A check-in's results as last counted, and when to count them again."""

    results: Results
    marker: tuple[Any, ...]
    at: float  # when counted, by the cache's clock
    wait: float  # how long to keep them after a change (0: count again at once)


class ResultsCache:
    """The latest results of each check-in, counted again only when an answer came, went
    or changed since. A page, and every screen showing the live view, then costs a small
    query while nothing changes. A check-in so big that counting takes more than SLOW is
    counted again at most once every PATIENCE times as long as counting took."""

    def __init__(self, size: int = 64, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._clock = clock
        self._kept: OrderedDict[tuple[str, int], _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def results(
        self, db: Database, code: str, group_ids: frozenset[int] | None, flow: Flow | None
    ) -> Results | None:
        """A check-in's results if these groups may see it (None: any group), else None."""
        with db.reading() as conn:
            consultation_id = _visible(conn, code, group_ids)
            if consultation_id is None:
                return None
            key = (db.url, consultation_id)
            marker = _marker(conn, consultation_id)
            with self._lock:
                kept = self._kept.get(key)
            if kept is not None and kept.marker == marker:
                return replace(kept.results, as_of=utcnow())
            started = self._clock()
            if kept is not None and started - kept.at < kept.wait:
                return kept.results
            counted = count_results(conn, db.dialect, consultation_id, flow)
        took = self._clock() - started
        wait = took * PATIENCE if took > SLOW else 0.0
        with self._lock:
            self._kept[key] = _Kept(counted, marker, self._clock(), wait)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return counted
