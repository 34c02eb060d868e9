"""Results at a glance, counted in SQL on SQLite and PostgreSQL from answers the real engine
kept: people, never answers, are counted, and fewer than 5 is only ever "fewer than 5"."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import create_consultation
from voicebox.storage.models import Conversation
from voicebox.storage.results import (
    FEWER,
    FIVE_OR_MORE,
    PATIENCE,
    ResultsCache,
    _periods,
    count,
    counts_in_parts,
    read_results,
)
from voicebox.storage.workers import set_consultation_group

_ids = itertools.count()
_people = itertools.count(1)
# The demo check-in (tops_and_pants) by SMS: yes, School or college, a feeling, three
# typed answers, "No, I am done", no report-back.
FEELINGS = {"very_good": "1", "good": "2", "ok": "3", "not_good": "4", "bad": "5"}


def say(engine, channel: str, address: str, *texts: str, code: str | None = None) -> None:
    """A young person sending these messages, one by one, through the real engine."""
    for text in texts:
        engine.handle(
            InboundMessage(channel, address, text, message_id=f"r{next(_ids)}", consultation=code)
        )


def take_part(
    engine,
    code: str = "DEMO",
    feeling: str = "good",
    words: tuple[str, str, str] = ("Kind teachers", "Noisy corridors", "A quiet room"),
    channel: str = "sms",
) -> str:
    """One more young person answers the TOPS and PANTS check-in about school; their
    address is returned."""
    number = next(_people)
    if channel == "sms":
        address = f"sms:+4477009{number:05d}"
        say(engine, channel, address, code, "1", "1", FEELINGS[feeling], *words, "2", "2")
    else:
        address = f"web:results-{number}"
        say(engine, channel, address, "", code=code)  # opening the check-in's page
        say(engine, channel, address, "1", "1", FEELINGS[feeling], *words, "2", "2", code=code)
    return address


def results(engine, code: str = "DEMO", group_ids=None):
    """The check-in's results, counted now."""
    flow_id = {"DEMO": "tops_and_pants", "CORNER": "four_cornerstones"}.get(code, code.lower())
    return read_results(engine.store.database, code, group_ids, engine.flows.get(flow_id))


def words(bars) -> dict[str, str]:
    """Each bar as its key and what it shows."""
    return {bar.key: str(bar.count) for bar in bars}


def test_fewer_than_5_people_is_only_ever_fewer_than_5():
    """The rule itself: 0 to 4 people read "fewer than 5"; 5 and more read the number."""
    assert [str(count(n)) for n in (0, 1, 4, 5, 6, 120)] == [FEWER] * 3 + ["5", "6", "120"]
    assert count(4).value is None and count(4).hidden
    assert count(5).value == 5 and not count(5).hidden


@pytest.mark.parametrize(
    ("people", "shown"),
    [
        ([12, 3], [FIVE_OR_MORE, FEWER]),  # else 3 is the total take away 12
        ([12, 7, 3], ["12", FIVE_OR_MORE, FEWER]),  # the smallest shown one is hidden too
        ([12, 3, 0], ["12", FEWER, FEWER]),  # two hidden: neither can be worked out
        ([5, 5], ["5", "5"]),
        ([4], [FEWER]),
        ([], []),
    ],
)
def test_one_hidden_part_of_a_total_hides_the_next_smallest(people, shown):
    """Parts of one total: a single hidden part cannot be worked out from the rest."""
    assert [str(c) for c in counts_in_parts(people)] == shown


def test_4_people_show_as_fewer_than_5_everywhere(engine):
    """Exactly 4 people, all saying the same: every number is hidden, no part of life is
    listed, and none of their words are shown."""
    for _ in range(4):
        take_part(engine)
    found = results(engine)
    assert str(found.people) == FEWER
    assert words(found.channels) == {"sms": FEWER}
    assert [str(bar.count) for bar in found.over_time] == [FEWER]
    assert found.topics == ()
    assert str(found.better) == FEWER
    assert found.quotes == () and found.better_quotes == ()


def test_5_people_show_as_5(engine):
    """The fifth person: the count, the channel, the day, the part of life, the feeling,
    what they said and their words all show."""
    for _ in range(5):
        take_part(engine)
    found = results(engine)
    assert str(found.people) == "5"
    assert words(found.channels) == {"sms": "5"}
    assert [str(bar.count) for bar in found.over_time] == ["5"]
    assert found.period == "day"
    assert found.over_time[0].key == datetime.now(UTC).date().isoformat()
    (school,) = found.topics
    assert school.topic == "school" and str(school.people) == "5"
    assert {kind: str(c) for kind, c in school.said.items()} == {
        "top": "5",
        "pants": "5",
        "better": "5",
    }
    assert words(school.feelings) == {
        "very_good": FEWER,
        "good": "5",
        "ok": FEWER,
        "not_good": FEWER,
        "bad": FEWER,
    }
    assert list(words(school.feelings)) == list(FEELINGS)  # in the flow's order
    assert school.cards == {}
    assert str(found.better) == "5"
    assert [(q.text, q.kind, q.topic) for q in found.better_quotes] == [
        ("A quiet room", "better", "school")
    ] * 5
    assert {(q.text, q.kind) for q in found.quotes} == {
        ("Kind teachers", "top"),
        ("Noisy corridors", "pants"),
        ("A quiet room", "better"),
    }
    assert len(found.quotes) == 10  # the latest 10 only


def test_people_are_counted_not_answers(engine):
    """A person who answers the same check-in twice is one person, not two."""
    address = take_part(engine)
    for _ in range(4):
        take_part(engine)
    say(engine, "sms", address, "DEMO", "1", "1", "2", "Again", "Again", "Again", "2", "2")
    found = results(engine)
    assert str(found.people) == "5"
    assert str(found.topics[0].people) == "5"
    assert str(found.topics[0].said["top"]) == "5"


def test_channels_and_feelings_hide_a_lone_small_number(engine):
    """5 by text and 4 on the web: the web is hidden, so text says only "5 or more" (the
    total, 9, is shown). 5 feel good and 4 bad: several feelings are hidden, so good shows."""
    for _ in range(5):
        take_part(engine)
    for _ in range(4):
        take_part(engine, feeling="bad", channel="web")
    found = results(engine)
    assert str(found.people) == "9"
    assert words(found.channels) == {"sms": FIVE_OR_MORE, "web": FEWER}
    assert words(found.topics[0].feelings)["good"] == "5"
    assert words(found.topics[0].feelings)["bad"] == FEWER


def test_words_show_only_where_5_typed_and_never_from_a_flagged_conversation(engine):
    """Words about school show once 5 people typed them; one who asked for help is counted
    but never quoted; phone numbers in the words are hidden."""
    for _ in range(4):
        take_part(engine, words=("Call 07700 900123", "Too loud", "More time"))
    assert results(engine).quotes == ()
    take_part(engine, words=("Nothing", "I want to die", "Someone to talk to"))
    found = results(engine)
    assert str(found.topics[0].said["pants"]) == "5"
    texts = {q.text for q in found.quotes}
    assert "I want to die" not in texts and "Nothing" not in texts
    assert "Call [phone number]" in texts and "07700 900123" not in str(found)


def test_words_to_one_question_need_5_people_who_typed(engine):
    """Five talk about school, but one skips what is good: 4 typed it, so those words stay
    hidden, while the other questions' words show."""
    for _ in range(4):
        take_part(engine)
    take_part(engine, words=("skip", "Noisy corridors", "A quiet room"))
    found = results(engine)
    assert str(found.topics[0].said["top"]) == FEWER
    assert {q.kind for q in found.quotes} == {"pants", "better"}


def test_parts_of_life_need_5_people_each(engine):
    """Four talk about home and five about school: only school is listed."""
    for _ in range(5):
        take_part(engine)
    for number in range(4):
        say(engine, "sms", f"sms:+447700911{number:03d}", "DEMO", "1", "2", "1", "x", "y", "z")
    found = results(engine)
    assert [t.topic for t in found.topics] == ["school"]
    assert str(found.people) == "9"


def test_picture_cards_count_each_card_and_each_person_once(engine, flows):
    """With picture cards, each card chosen by 5 shows; a person who chose two cards is
    one person who said what is good."""
    flow = flows["tops_and_pants_pictures"]
    create_consultation(engine.store.database, "PICS", flow.id, flow.version, "Pictures")
    for number in range(5):
        cards = "1 3" if number < 4 else "1"
        address = f"sms:+447700922{number:03d}"
        say(engine, "sms", address, "PICS", "1", "1", "2", cards, "2", "1", "2", "2")
    found = read_results(engine.store.database, "PICS", None, flow)
    (school,) = found.topics
    assert str(school.said["top"]) == "5"
    assert words(school.cards["top"])["kind_people"] == "5"
    assert words(school.cards["top"])["listened_to"] == FEWER
    assert list(words(school.cards["top"]))[:3] == ["kind_people", "feel_safe", "listened_to"]
    assert words(school.cards["better"])["quiet_places"] == "5"
    assert words(found.better_cards)["quiet_places"] == "5"
    assert str(found.better) == "5"
    assert found.quotes == ()  # no one typed words


def test_over_time_counts_people_by_day_then_week(engine):
    """Five people on each of two days: two days shown. Spread over months: by week."""
    for _ in range(10):
        take_part(engine)
    database = engine.store.database
    early = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with database.transaction() as conn:
        ids = sorted(conn.scalars(select(Conversation.id)))
        for n, conversation_id in enumerate(ids):
            when = early + (timedelta(hours=n) if n < 5 else timedelta(days=3))
            conn.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(started_at=when)
            )
    found = results(engine)
    assert found.period == "day"
    assert words(found.over_time) == {
        "2026-03-02": "5",
        "2026-03-03": FEWER,
        "2026-03-04": FEWER,
        "2026-03-05": "5",
    }
    with database.transaction() as conn:
        conn.execute(
            update(Conversation)
            .where(Conversation.id == max(ids))
            .values(started_at=datetime(2026, 4, 30, 23, tzinfo=UTC))
        )
    found = results(engine)
    assert found.period == "week"
    assert found.over_time[0].key == "2026-03-02"  # a Monday
    assert found.over_time[-1].key == "2026-04-27"
    assert str(found.over_time[0].count) == "9"
    assert str(found.over_time[-1].count) == FEWER


@pytest.mark.parametrize(
    ("first", "last", "period", "starts"),
    [
        ("2026-03-02", "2026-03-02", "day", ["2026-03-02"]),
        ("2026-03-04", "2026-03-17", "day", 14),  # 14 days: still day by day
        ("2026-03-04", "2026-03-18", "week", ["2026-03-02", "2026-03-09", "2026-03-16"]),
        ("2026-03-04", "2026-06-23", "week", 17),  # up to 16 weeks and a bit
        (
            "2026-03-04",
            "2026-06-24",
            "month",
            ["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"],
        ),
        ("2026-11-30", "2027-01-01", "week", 5),  # the week of 28 Dec holds 1 Jan
        ("2026-01-31", "2027-01-01", "month", 13),
    ],
)
def test_over_time_is_by_day_week_or_month_by_how_long_it_ran(first, last, period, starts):
    """At most 14 days: by day; then up to 16 weeks: by week (from Monday); then by month."""
    found_period, found = _periods(date.fromisoformat(first), date.fromisoformat(last))
    assert found_period == period
    if isinstance(starts, int):
        assert len(found) == starts
    else:
        assert [day.isoformat() for day in found] == starts
    assert found[0] <= date.fromisoformat(first) and found[-1] <= date.fromisoformat(last)


def test_another_groups_checkin_has_no_results(engine):
    """A worker's groups that do not run the check-in get nothing; an admin (None) does."""
    set_consultation_group(engine.store.database, "DEMO", "Youth club")
    take_part(engine)
    assert results(engine, group_ids=frozenset({999})) is None
    assert results(engine, group_ids=None) is not None


class Clock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_the_cache_counts_again_only_after_a_change(engine):
    """Unchanged answers give the results kept; an answer changes them at once, unless
    counting was slow, when the kept ones stay for PATIENCE times as long as it took."""
    database = engine.store.database
    flow = engine.flows["tops_and_pants"]
    for _ in range(5):
        take_part(engine)
    quick = ResultsCache(clock=lambda: 0.0)  # counting takes no time, however busy the machine
    first = quick.results(database, "DEMO", None, flow)
    assert quick.results(database, "DEMO", None, flow).people == first.people
    take_part(engine)
    assert str(quick.results(database, "DEMO", None, flow).people) == "6"

    clock = Clock()  # each count takes "1 second": slow
    slow = ResultsCache(clock=clock)
    assert str(slow.results(database, "DEMO", None, flow).people) == "6"
    take_part(engine)
    assert str(slow.results(database, "DEMO", None, flow).people) == "6"  # kept
    clock.now += PATIENCE
    assert str(slow.results(database, "DEMO", None, flow).people) == "7"
    assert slow.results(database, "CORNER", None, None) is not None
    assert slow.results(database, "NOPE", None, flow) is None
