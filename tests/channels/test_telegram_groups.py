"""Joining by Telegram (deep links, codes, /help and /stop) and group chats, through the
real webhook and outbox against the fake Bot API. Each test uses chat ids of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.channels import telegram_updates as updates
from tests.channels.telegram_app import Person, TelegramApp
from voicebox.bot import replies
from voicebox.storage.consultations import close_consultation, create_consultation
from voicebox.storage.models import (
    Answer,
    Conversation,
    InboundMessageId,
    Notice,
    OutboxMessage,
    Participant,
    TranscriptMessage,
)

CONSENT = "I am Voicebox"
LINK = "https://t.me/VoiceboxTestBot"


def conversations(app: TelegramApp) -> list[tuple[str, str]]:
    """Each conversation's step and consent, oldest first."""
    with app.services.database.reading() as conn:
        query = select(Conversation.step, Conversation.consent).order_by(Conversation.id)
        return [tuple(row) for row in conn.execute(query)]


def texts(person: Person) -> list[str]:
    """What the bot sent this person, as first sent."""
    return person.fake.sent_texts(person.chat_id)


def settled_texts(person: Person) -> list[str]:
    """What the bot sent, after a moment for anything late."""
    person.settle(0.3)
    return texts(person)


# -- joining ----------------------------------------------------------------------------------

JOINS = [
    ("deep link", "/start DEMO"),
    ("deep link in small letters", "/start demo"),
    ("deep link naming the bot", "/start@VoiceboxTestBot DEMO"),
    ("the code alone", "demo"),
    ("join and the code", "join demo"),
]


@pytest.mark.parametrize(("label", "words"), JOINS, ids=[c[0] for c in JOINS])
def test_a_code_starts_the_check_in_with_consent_first(telegram, label, words):
    """/start CODE, or a message holding the code: the consent question, with buttons."""
    person = Person(telegram, 820_000_001 + JOINS.index((label, words)))
    person.send(words)
    first = person.newest()
    assert CONSENT in first.text, label
    assert [b["text"] for b in person.buttons(first)][:2] == ["✅ Yes, that is OK", "❌ No thanks"]
    assert conversations(telegram) == [("consent", "pending")], label
    assert len(settled_texts(person)) == 1, label


JOIN_HINTS = [
    ("start with no code", "/start"),
    ("an unknown code", "/start NOPE"),
    ("an unknown code named to the bot", "/start@VoiceboxTestBot NOPE"),
    ("a hello", "hello"),
]


@pytest.mark.parametrize(("label", "words"), JOIN_HINTS, ids=[c[0] for c in JOIN_HINTS])
def test_no_code_says_how_to_join_and_starts_nothing(telegram, label, words):
    """/start alone, an unknown code or a hello: one line on how to join; no check-in (the
    person's row stays, as on every channel that replies through the outbox)."""
    person = Person(telegram, 820_000_101 + JOIN_HINTS.index((label, words)))
    person.send(words)
    assert settled_texts(person) == [replies.JOIN_HINT], label
    assert person.buttons() == []
    assert telegram.count(Conversation) == 0 and telegram.count(Answer) == 0
    assert telegram.count(Participant) <= 1


def test_help_is_help(telegram):
    """/help mid-check-in: what the check-in is and how to skip or stop, then the question."""
    person = Person(telegram, 820_000_201)
    person.send("/start DEMO")
    person.press("Yes")
    person.send("/help")
    said = person.newest().text
    assert said.startswith("Voicebox asks") or "Skip" in said
    assert "Press Skip" in said and "Stop" in said
    assert conversations(telegram) == [("topic", "given")]


def test_stop_then_nothing_at_all_until_start(telegram):
    """/stop: one confirmation; then words, presses and edits get nothing sent (a press
    is only answered, as Telegram needs); /start brings the question back."""
    person = Person(telegram, 820_000_301)
    person.send("/start DEMO")
    person.press("Yes")
    question = person.newest()
    person.send("/stop")
    assert person.newest().text == replies.STOPPED_BUTTONS
    calls = len(telegram.fake.calls())
    person.send("Home", wait=False)
    person.send("DEMO", wait=False)
    person.send("/help", wait=False)
    person.press("Home", message=question, wait=False)
    telegram.post(updates.edited_message(person.chat_id, "Home"))
    telegram.post(updates.sticker(person.chat_id))
    person.settle(0.5)
    after = [c.method for c in telegram.fake.calls()[calls:]]
    assert after == ["answerCallbackQuery"]
    assert texts(person)[-1] == replies.STOPPED_BUTTONS
    assert [m.text for m in person.shown()][-1] == replies.STOPPED_BUTTONS
    person.send("/start")
    back = person.newest()
    assert back.text.startswith(replies.WELCOME_BACK)
    assert person.button("Home")
    person.press("Home")
    assert "How do you feel about home" in person.newest().text


def test_a_deep_link_after_stop_starts_again(telegram):
    """/start DEMO after STOP: messages come again, and the question is open."""
    person = Person(telegram, 820_000_302)
    person.send("/start DEMO")
    person.send("/stop")
    assert person.newest().text == replies.STOPPED_BUTTONS
    person.send("/start DEMO")
    assert settled_texts(person)[2:] == [person.newest().text]  # one message, not two
    assert person.newest().text.startswith(replies.WELCOME_BACK)
    with telegram.services.database.reading() as conn:
        assert conn.execute(select(Participant.opted_out)).all() == [(False,)]
    person.press("Yes")
    assert "Which part of your life" in person.newest().text


@pytest.mark.parametrize("answered", [False, True], ids=["at consent", "part-way"])
def test_a_deep_link_to_another_check_in_after_stop_goes_there(telegram, answered):
    """/start CORNER after STOP in DEMO: one message, CORNER's first question (DEMO's
    question is not asked again), as on CORNER's own web page."""
    person = Person(telegram, 820_000_304 + answered)
    person.send("/start DEMO")
    if answered:
        person.press("Yes")
    person.send("/stop")
    person.send("/start CORNER")
    said = settled_texts(person)
    assert len(said) == 3 + answered  # one message, not two
    assert "how things are going" in said[-1] and "where you were" not in said[-1]
    person.press("Yes")
    assert conversations(telegram)[-1] == ("welcome_well", "given")


def test_a_deep_link_to_a_closed_check_in_after_stop_goes_back_where_they_were(telegram):
    """/start OLD after STOP, where OLD has closed: back in DEMO, in one message."""
    flow = telegram.services.engine.flows["tops_and_pants"]
    database = telegram.services.database
    create_consultation(database, "OLDONE", flow.id, flow.version, "Closed")
    close_consultation(database, "OLDONE")
    person = Person(telegram, 820_000_307)
    person.send("/start DEMO")
    person.send("/stop")
    person.send("/start OLDONE")
    said = settled_texts(person)
    assert len(said) == 3 and said[2].startswith(replies.WELCOME_BACK)
    assert person.button("Yes")  # DEMO's consent question again


def test_a_deep_link_before_any_stop_moves_to_that_check_in(telegram):
    """A deep link to another check-in part-way through one: it moves there."""
    person = Person(telegram, 820_000_303)
    person.send("/start DEMO")
    person.send("/start CORNER")
    assert "how things are going" in person.newest().text
    assert person.button("Yes")


# -- groups -----------------------------------------------------------------------------------


def group_rows(app: TelegramApp) -> dict[str, int]:
    """Rows a group must never make."""
    return {
        m.__tablename__: app.count(m)
        for m in (Participant, Conversation, Answer, TranscriptMessage)
    }


NO_PEOPLE = {"participants": 0, "conversations": 0, "answers": 0, "transcript_messages": 0}


def group_sends(app: TelegramApp, chat_id: int) -> list[dict]:
    """Every sendMessage to a group."""
    return [c.params for c in app.fake.calls("sendMessage") if c.params["chat_id"] == chat_id]


GROUP_OPENERS = [
    ("bot added to a group", lambda g: updates.new_chat_members(g), LINK),
    ("bot added to a supergroup", lambda g: updates.new_chat_members(g, type="supergroup"), LINK),
    ("/start", lambda g: updates.group_command(g, "/start", mention=False), LINK),
    ("/start@bot", lambda g: updates.group_command(g, "/start"), LINK),
    ("/start@bot DEMO", lambda g: updates.group_command(g, "/start", "DEMO"), f"{LINK}?start=DEMO"),
    (
        "/start DEMO in a supergroup",
        lambda g: updates.group_command(g, "/start", "demo", type="supergroup", mention=False),
        f"{LINK}?start=DEMO",
    ),
    ("/help@bot", lambda g: updates.group_command(g, "/help"), LINK),
]


@pytest.mark.parametrize(
    ("label", "build", "link"), GROUP_OPENERS, ids=[c[0] for c in GROUP_OPENERS]
)
def test_a_group_gets_one_link_and_is_never_asked_anything(telegram, label, build, link):
    """The bot added, or a command, in a group: one message, a link to talk privately (to
    the check-in when a code was given); then nothing more that day, whatever is said;
    no person, conversation or answer kept; only a keyed hash of the group in notices,
    and the outbox forgets the group's chat id once the message is sent."""
    group = -1_000_820_100_001 - GROUP_OPENERS.index((label, build, link))
    assert telegram.post(build(group)).status_code == 200
    telegram.fake.wait_for(lambda: group_sends(telegram, group))
    for later in (
        updates.group_command(group, "/start", "DEMO"),
        updates.group_command(group, "/start", mention=False),
        updates.group_text(group, "DEMO"),
        updates.group_text(group, "yes"),
        updates.new_chat_members(group),
    ):
        assert telegram.post(later).status_code == 200
    Person(telegram, group).settle(0.3)
    sent = group_sends(telegram, group)
    assert len(sent) == 1, label
    words = sent[0]["text"]
    assert words.endswith(link) and "one to one" in words, label
    assert "reply_markup" not in sent[0] or not sent[0]["reply_markup"].get("inline_keyboard")
    assert CONSENT not in words
    assert group_rows(telegram) == NO_PEOPLE, label
    with telegram.services.database.reading() as conn:
        (key,) = conn.execute(select(Notice.key_hash)).scalars().all()
    assert str(group) not in key and str(-group) not in key
    assert len(key) == 64 and int(key, 16) >= 0
    telegram.fake.wait_for(telegram.nothing_in_flight)
    with telegram.services.database.reading() as conn:
        kept = conn.execute(select(OutboxMessage.status, OutboxMessage.address)).all()
    assert [tuple(row) for row in kept] == [("sent", None)]  # the chat id went once it was sent


def test_plain_talk_in_a_group_gets_nothing(telegram):
    """People talking in a group, even saying a code: nothing sent, nothing kept."""
    group = -1_000_820_200_001
    for words in ("DEMO", "join demo", "yes", "hello everyone"):
        assert telegram.post(updates.group_text(group, words)).status_code == 200
    Person(telegram, group).settle(0.3)
    assert telegram.fake.calls("sendMessage") == []
    assert group_rows(telegram) == NO_PEOPLE
    assert telegram.count(Notice) == 0 and telegram.count(OutboxMessage) == 0


def test_each_group_gets_its_own_one_message(telegram):
    """Two groups: one message each, and two notices."""
    first, second = -1_000_820_300_001, -1_000_820_300_002
    for group in (first, second, first, second):
        assert telegram.post(updates.group_command(group, "/start", "DEMO")).status_code == 200
    telegram.fake.wait_for(lambda: group_sends(telegram, first) and group_sends(telegram, second))
    Person(telegram, first).settle(0.3)
    assert len(group_sends(telegram, first)) == 1 and len(group_sends(telegram, second)) == 1
    assert telegram.count(Notice) == 2
    assert group_rows(telegram) == NO_PEOPLE


def test_a_group_button_press_changes_nothing(telegram):
    """A button pressed in a group (a message forwarded there): only answered."""
    group = -1_000_820_400_001
    press = updates.callback(group, "c.AAAAAAAA.yes", 5, "Do you agree?")
    press["callback_query"]["message"]["chat"] = updates.group_chat(group)
    assert telegram.post(press).status_code == 200
    telegram.fake.wait_for("answerCallbackQuery")
    Person(telegram, group).settle(0.3)
    assert [c.method for c in telegram.fake.calls()] == ["answerCallbackQuery"]
    assert group_rows(telegram) == NO_PEOPLE
    assert telegram.count(InboundMessageId) == 0


def earlier(app: TelegramApp, by: timedelta) -> None:
    """Move every notice back in time, as if it was said that much earlier."""
    with app.services.database.transaction() as conn:
        for key, said_at in conn.execute(select(Notice.key_hash, Notice.said_at)).all():
            conn.execute(update(Notice).where(Notice.key_hash == key).values(said_at=said_at - by))


def test_a_group_hears_again_after_a_day_not_before(telegram):
    """The one message is once a day: a day later a /start gets the link again."""
    group = -1_000_820_500_001
    assert telegram.post(updates.group_command(group, "/start")).status_code == 200
    telegram.fake.wait_for(lambda: group_sends(telegram, group))
    earlier(telegram, timedelta(hours=23))
    assert telegram.post(updates.group_command(group, "/start", "DEMO")).status_code == 200
    Person(telegram, group).settle(0.3)
    assert len(group_sends(telegram, group)) == 1
    earlier(telegram, timedelta(hours=2))
    assert telegram.post(updates.group_command(group, "/start", "DEMO")).status_code == 200
    telegram.fake.wait_for(lambda: len(group_sends(telegram, group)) == 2)
    assert group_sends(telegram, group)[1]["text"].endswith(f"{LINK}?start=DEMO")
    assert telegram.count(Notice) == 1 and group_rows(telegram) == NO_PEOPLE


def test_a_group_told_at_once_from_three_requests_hears_once(telegram):
    """The bot added to a group, delivered three times at once: one message."""
    from tests.channels.test_telegram_webhook import deliver_at_once

    group = -1_000_820_600_001
    assert deliver_at_once(telegram, updates.new_chat_members(group)) == [200, 200, 200]
    telegram.fake.wait_for(lambda: group_sends(telegram, group))
    Person(telegram, group).settle(0.3)
    assert len(group_sends(telegram, group)) == 1
    assert telegram.count(Notice) == 1
