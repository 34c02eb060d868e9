"""A check-in on Telegram by buttons, as a young person does it: against the real app, its
outbox threads and a fake Bot API. Every press is answered, the pressed message shows the
answer and loses its buttons, an old button changes nothing, and cards tick in place."""

from __future__ import annotations

from itertools import pairwise

from tests.channels import telegram_updates as updates
from tests.channels.telegram_app import CHAT, Person, TelegramApp
from voicebox.bot import replies
from voicebox.channels.telegram.render import TICK
from voicebox.channels.telegram.settings import PERSON_RATE
from voicebox.storage.consultations import create_consultation
from voicebox.storage.export import export_chunks, export_rows
from voicebox.storage.models import Answer, Conversation


def _export(telegram, code: str) -> tuple[list[dict], str]:
    rows = list(export_rows(telegram.services.database, code))
    as_csv = b"".join(export_chunks("csv", iter(rows))).decode()
    return rows, as_csv


def _no_buttons(message) -> bool:
    return not (message.reply_markup or {}).get("inline_keyboard")


def test_tops_and_pants_by_buttons_lands_in_the_export(telegram, person):
    person.send("/start DEMO")
    consent = person.newest()
    person.press("Yes")
    answered = person.closed(consent.message_id)
    assert answered.text.endswith("Your answer: ✅ Yes, that is OK")
    person.answer_demo()
    end = person.newest()
    assert _no_buttons(end) and "Thank you" in end.text
    presses = [c for c in telegram.fake.calls() if c.method == "answerCallbackQuery"]
    assert len(presses) == 5  # every press answered
    rows, as_csv = _export(telegram, "DEMO")
    assert {row["channel"] for row in rows} == {"telegram"}
    feeling = next(row for row in rows if row["answer_key"])
    assert (feeling["answer_key"], feeling["topic"]) == ("good", "home")
    assert "My room is quiet" in [row["answer"] for row in rows]
    assert str(CHAT) not in as_csv and "Sam" not in as_csv


def test_four_cornerstones_with_picture_cards_by_buttons(telegram, person):
    flows = telegram.services.engine.flows
    flow = flows["four_cornerstones_pictures"]
    create_consultation(telegram.services.database, "CARDS", flow.id, flow.version, "Cards")
    person.send("/start CARDS")
    person.press("Yes")
    for _ in range(30):
        message = person.newest()
        buttons = person.buttons(message)
        data = [b["callback_data"] for b in buttons]
        if not buttons:
            break
        if any(d.startswith("t.") for d in data):
            cards = [b["text"] for b in buttons if b["callback_data"].startswith("t.")]
            person.tick(cards[0])
            person.tick(cards[1])
            person.tick(cards[0])  # changed their mind: unticked
            ticked = [b["text"] for b in person.buttons() if b["text"].startswith(TICK)]
            assert ticked == [f"{TICK} {cards[1]}"]
            assert person.newest().message_id == message.message_id  # edited in place
            person.press("Done")
            shown = person.closed(message.message_id)
            assert shown.text.endswith(f"Your answer: {cards[1]}")
        elif any(d.startswith("c.") for d in data):
            person.press(buttons[0]["text"])
        else:
            person.send("More time to talk")
    assert "Thank you" in person.newest().text
    rows, as_csv = _export(telegram, "CARDS")
    assert {row["channel"] for row in rows} == {"telegram"}
    assert sum(1 for row in rows if row["kind"] != "text" and row["answer_key"]) >= 4
    assert str(CHAT) not in as_csv


def test_a_button_on_an_older_message_has_passed_and_changes_nothing(telegram, person):
    person.send("/start DEMO")
    person.press("Yes")
    topics = person.newest()
    person.press("Home")
    feeling = person.newest()
    answers_before = telegram.count(Answer)
    # The topic question's buttons went when it was answered; a client that still shows
    # them (an old copy) sends the press anyway.
    person.press("School", message=topics)
    said = person.newest()
    assert said.text.startswith(replies.OLD_BUTTON)
    assert said.text.endswith("How do you feel about home?")  # the open question again
    assert [b["text"] for b in person.buttons(said)][:2] == ["😄 Very good", "🙂 Good"]
    assert telegram.count(Answer) == answers_before
    # The open question is now the newest message: its buttons work; the older copy's not.
    person.press("Good", message=feeling)
    assert person.newest().text.startswith(replies.OLD_BUTTON)
    person.press("Good")
    assert telegram.count(Answer) == answers_before + 1


def test_a_button_from_an_earlier_check_in_has_passed(telegram, person):
    person.send("/start DEMO")
    person.press("Yes")
    first_checkin_topics = person.newest()
    person.send("/stop")
    person.send("/start")  # back again: "welcome back" and the same question
    person.send("join CORNER")
    answers = telegram.count(Answer)
    person.press("Home", message=first_checkin_topics)
    assert person.newest().text.startswith(replies.OLD_BUTTON)
    assert telegram.count(Answer) == answers
    with telegram.services.database.reading() as conn:
        codes = conn.execute(Conversation.__table__.select()).all()
    assert len(codes) == 2


def test_a_press_delivered_twice_is_handled_once(telegram, person):
    person.send("/start DEMO")
    consent = person.newest()
    person.press("Yes", update_id=9_100_001)
    sent = len(telegram.fake.calls("sendMessage"))
    again = updates.callback(
        CHAT,
        person.button("Yes", consent)["callback_data"],
        consent.message_id,
        consent.text,
        consent.reply_markup,
        update_id=9_100_001,
    )
    assert telegram.post(again).status_code == 200
    person.settle()
    assert len(telegram.fake.calls("sendMessage")) == sent
    assert len(telegram.fake.calls("editMessageText")) == 1


def test_back_skip_help_and_stop_work_as_buttons(telegram, person):
    person.send("/start DEMO")
    person.press("Yes")
    person.press("Home")
    person.press("Back")
    back = person.newest()
    assert "Your answer was: Home" in back.text and "part of your life" in back.text
    person.press("Skip")  # keeps Home and goes on
    assert person.newest().text.endswith("How do you feel about home?")
    person.press("Help")
    assert "Stop" in person.newest().text and person.buttons()
    person.press("Stop")
    stopped = person.newest()
    assert _no_buttons(stopped)
    count = len(person.shown())
    person.send("hello", wait=False)
    person.settle()
    assert len(person.shown()) == count  # after STOP nothing at all is sent


def test_typed_numbers_and_words_still_answer_a_question_with_buttons(telegram, person):
    person.send("/start DEMO")
    person.send("yes")
    person.send("2")  # Home, by its number
    assert person.newest().text.endswith("How do you feel about home?")
    person.send("good")
    assert "What is good about home?" in person.newest().text


def test_a_typed_answer_takes_the_buttons_off_the_question_it_answered(telegram, person):
    """Typing instead of pressing: the old question loses its buttons, as a press does,
    so only the newest message has buttons, whatever was sent (a sticker too)."""

    def only_the_newest_has_buttons() -> bool:
        *older, newest = person.shown()
        return all(_no_buttons(m) for m in older) and not _no_buttons(newest)

    person.send("/start DEMO")
    consent = person.newest()
    person.send("yes")
    person.closed(consent.message_id)
    topic = person.newest()
    assert telegram.post(updates.sticker(CHAT)).status_code == 200
    person.wait_for_messages(len(person.shown()) + 1)
    person.closed(topic.message_id)
    telegram.fake.wait_for(only_the_newest_has_buttons)
    topic = person.newest()
    person.send("2")  # Home, by its number
    person.closed(topic.message_id)
    feeling = person.newest()
    assert person.buttons(feeling) and feeling.text.endswith("How do you feel about home?")
    edits = len(telegram.fake.calls("editMessageReplyMarkup"))
    person.send("good")
    person.closed(feeling.message_id)
    assert len(telegram.fake.calls("editMessageReplyMarkup")) == edits + 1
    person.send("My room is quiet")
    person.send("My brother is loud")
    person.send("A lock on the door")
    telegram.fake.wait_for(only_the_newest_has_buttons)
    person.send("STOP")
    assert _no_buttons(person.newest())
    telegram.fake.wait_for(lambda: all(_no_buttons(message) for message in person.shown()))
    calls = len(telegram.fake.calls())
    person.send("hello", wait=False)
    person.settle()
    assert len(telegram.fake.calls()) == calls  # after STOP nothing changes on their screen


def test_another_person_is_not_held_up_by_one_who_presses_fast(tmp_path, fake_bot_api):
    """Replies to one chat go at most about one a second; another chat is not delayed."""
    telegram = TelegramApp(tmp_path, fake_bot_api, person_rate=PERSON_RATE)
    fast, other = Person(telegram, CHAT + 1), Person(telegram, CHAT + 2)
    fast.send("/start DEMO")
    fast.press("Yes")
    fast.press("Home")
    other.send("/start DEMO")
    sends = telegram.fake.calls("sendMessage")
    to_fast = [c.at for c in sends if int(c.params["chat_id"]) == CHAT + 1]
    assert len(to_fast) == 3
    # A second apart when claimed; each send takes a little time of its own.
    assert all(later - earlier >= 0.75 for earlier, later in pairwise(to_fast))
    to_other = [c.at for c in sends if int(c.params["chat_id"]) == CHAT + 2]
    assert to_other and to_other[0] - to_fast[-1] < 0.9
    telegram.close()


def test_the_wrong_thing_typed_gets_a_kind_line_and_the_buttons_again(telegram, person):
    person.send("/start DEMO")
    person.press("Yes")
    answers = telegram.count(Answer)
    person.send("banana")  # not one of the choices
    said = person.newest()
    assert said.text.startswith(replies.REASK_CHOICE_BUTTONS)
    assert said.text.endswith("Which part of your life do you want to talk about?")
    assert person.button("Home", said)  # the question's buttons come back with it
    person.send("🙂🙂🙂")
    person.send("")  # an empty message, as a client can send
    assert telegram.count(Answer) == answers
    person.press("Home")  # the newest message's buttons answer
    assert person.newest().text.endswith("How do you feel about home?")
