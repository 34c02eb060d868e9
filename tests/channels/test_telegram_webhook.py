"""POST /telegram/webhook through the real app and its outbox threads, against the fake Bot
API: the secret header, what is not an update, repeats, a database that fails, and what
Telegram sends that we do not handle. Each test uses a chat id of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.channels import telegram_updates as updates
from tests.channels.telegram_app import SECRET_HEADER, TELEGRAM_SECRET, Person, TelegramApp
from tests.channels.telegram_harness import FakeBotApi
from voicebox.app import build_services, create_app
from voicebox.bot import replies
from voicebox.channels.registry import build_channels
from voicebox.channels.telegram.handling import EDITED
from voicebox.settings import Settings
from voicebox.storage.models import (
    Answer,
    Conversation,
    InboundMessageId,
    Notice,
    OutboxMessage,
    Participant,
    RateLimit,
    SafeguardingFlag,
    TranscriptMessage,
)

TABLES = (
    Participant,
    Conversation,
    Answer,
    TranscriptMessage,
    SafeguardingFlag,
    InboundMessageId,
    OutboxMessage,
    Notice,
    RateLimit,
)


def stored(app: TelegramApp) -> dict[str, int]:
    """How many rows each table that an update could touch holds."""
    return {model.__tablename__: app.count(model) for model in TABLES}


NOTHING = {model.__tablename__: 0 for model in TABLES}


def rows(app: TelegramApp, *columns: Any) -> list[Any]:
    """These columns of every row of their table, oldest first."""
    with app.services.database.reading() as conn:
        return list(conn.execute(select(*columns).order_by(columns[0].table.c.id)))


def steps(app: TelegramApp) -> list[tuple[str, str]]:
    """Each conversation's open step and the topic chosen."""
    return [
        (step, state.get("topic") or "")
        for step, state in rows(app, Conversation.step, Conversation.state)
    ]


def sends(app: TelegramApp, chat_id: int) -> int:
    """How many sendMessage calls went to a chat."""
    return sum(1 for call in app.fake.calls("sendMessage") if call.params["chat_id"] == chat_id)


def to_topic(person: Person) -> None:
    """Join DEMO by deep link and give consent: the topic question is open."""
    person.send("/start DEMO")
    person.press("Yes")
    assert "Which part of your life" in person.newest().text


# -- the secret header ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gate(tmp_path_factory) -> Iterator[TelegramApp]:
    """One app for the requests that must keep and send nothing (each test checks that it
    still holds nothing, so sharing it hides nothing and saves building one per case)."""
    with FakeBotApi() as fake:
        app = TelegramApp(tmp_path_factory.mktemp("gate"), fake)
        yield app
        app.close()


def nothing_happened(app: TelegramApp) -> bool:
    """True when no row was kept and no Bot API call made (after a moment for the outbox)."""
    Person(app).settle(0.15)
    return stored(app) == NOTHING and app.fake.calls() == []


WRONG_SECRETS = [
    ("missing", None),
    ("empty", ""),
    ("wrong", "not-the-secret"),
    ("wrong case", TELEGRAM_SECRET.upper()),
    ("a prefix only", TELEGRAM_SECRET[:-1]),
    ("one character more", TELEGRAM_SECRET + "0"),
    ("with a scheme in front", f"Bearer {TELEGRAM_SECRET}"),
    ("not ASCII", TELEGRAM_SECRET[:-1] + "é"),
]


@pytest.mark.parametrize(("label", "secret"), WRONG_SECRETS, ids=[c[0] for c in WRONG_SECRETS])
def test_a_wrong_secret_is_403_and_nothing_happens(gate, label, secret):
    """Without the right secret header: 403, no row kept, no Bot API call at all."""
    chat = 810_000_001 + WRONG_SECRETS.index((label, secret))
    response = gate.post(updates.command(chat, "/start", "DEMO"), secret=secret)
    assert response.status_code == 403, label
    assert nothing_happened(gate), label


def test_the_secret_sent_twice_is_403(gate):
    """The header twice (the server joins them with a comma): not the secret."""
    environ = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": f"{TELEGRAM_SECRET}, {TELEGRAM_SECRET}"}
    body = updates.command(810_000_102, "/start", "DEMO")
    response = gate.client.post("/telegram/webhook", json=body, environ_overrides=environ)
    assert response.status_code == 403
    assert nothing_happened(gate)


def test_the_secret_is_checked_before_the_body_is_read(gate):
    """A wrong secret with a body that is not JSON, or too big: 403 all the same."""
    assert gate.post(b"not json at all", secret="wrong").status_code == 403
    big = {"update_id": 810_103, "message": _message(text="x" * 300_000)}
    assert gate.post(big, secret="wrong").status_code == 403
    assert nothing_happened(gate)


def test_a_secret_header_of_raw_utf8_bytes_is_403(gate):
    """A header value that is not ASCII at all (UTF-8 bytes as the server reads them): 403."""
    environ = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": "秘密".encode().decode("latin-1")}
    body = updates.command(810_000_101, "/start", "DEMO")
    response = gate.client.post("/telegram/webhook", json=body, environ_overrides=environ)
    assert response.status_code == 403
    assert nothing_happened(gate)


def test_the_right_secret_is_200_and_starts_the_check_in(telegram):
    """The right secret: 200, and the consent question is sent."""
    person = Person(telegram, 810_000_201)
    response = person.send("/start DEMO")
    assert response.status_code == 200
    assert "Yes" in person.button("Yes")["text"]
    assert telegram.count(Participant) == 1


def test_no_secret_means_no_route(tmp_path, fake_bot_api):
    """With no VOICEBOX_TELEGRAM_SECRET the webhook does not exist: 404, nothing kept."""
    app = TelegramApp(tmp_path, fake_bot_api, secret=None)
    try:
        body = updates.command(810_000_301, "/start", "DEMO")
        assert app.post(body).status_code == 404
        assert app.post(body, secret=None).status_code == 404
        assert stored(app) == NOTHING
        assert fake_bot_api.calls("sendMessage") == []
    finally:
        app.close()


def test_no_token_means_no_route(tmp_path):
    """With the channel off (no token) the webhook does not exist either."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'off.db'}", secret_key="k" * 40)
    channels = build_channels({"VOICEBOX_TELEGRAM_SECRET": TELEGRAM_SECRET})
    services = build_services(settings, channels)
    services.database.upgrade()
    try:
        app = create_app({"TESTING": True}, settings=settings, services=services, channels=channels)
        response = app.test_client().post(
            "/telegram/webhook",
            json=updates.command(810_000_302, "/start", "DEMO"),
            headers={SECRET_HEADER: TELEGRAM_SECRET},
        )
        assert response.status_code == 404
    finally:
        services.database.dispose()


def _message(**fields: Any) -> dict[str, Any]:
    chat = {"id": 810_000_401, "type": "private", "first_name": "Sam"}
    return {"message_id": 1, "date": updates.now(), "chat": chat, "text": "DEMO", **fields}


NOT_UPDATES = [
    ("not JSON", b"this is not json"),
    ("not UTF-8", b"\xff\xfe\x00"),
    ("a JSON list", b"[1, 2]"),
    ("a JSON string", b'"update"'),
    ("JSON null", b"null"),
    ("an empty object", b"{}"),
    ("no update_id", {"message": _message()}),
    ("update_id a string", {"update_id": "5", "message": _message()}),
    ("update_id a fraction", {"update_id": 1.5, "message": _message()}),
    ("update_id true", {"update_id": True, "message": _message()}),
    ("message a string", {"update_id": 810_401, "message": "garbage"}),
    ("message with no chat", {"update_id": 810_402, "message": {"message_id": 1, "date": 0}}),
    ("text a number", {"update_id": 810_403, "message": _message(text=5)}),
    ("caption a list", {"update_id": 810_404, "message": _message(text=None, caption=[1])}),
    (
        "chat id a string",
        {"update_id": 810_405, "message": _message(chat={"id": "abc", "type": "private"})},
    ),
    ("date a word", {"update_id": 810_406, "message": _message(date="yesterday")}),
    (
        "a membership with no member",
        {"update_id": 810_407, "my_chat_member": {"chat": {"id": 5, "type": "private"}}},
    ),
    (
        "button data a number",
        {
            "update_id": 810_408,
            "callback_query": {
                "id": "1",
                "from": updates.user(810_000_401),
                "chat_instance": "1",
                "data": 5,
                "message": _message(),
            },
        },
    ),
    ("edited text a number", {"update_id": 810_409, "edited_message": _message(text=7)}),
]


@pytest.mark.parametrize(("label", "body"), NOT_UPDATES, ids=[c[0] for c in NOT_UPDATES])
def test_what_is_not_an_update_is_400(gate, caplog, label, body):
    """With the right secret, a body that is not a Telegram update: 400 (a 5xx would have
    Telegram send it again and again), no traceback, nothing kept, nothing sent."""
    response = gate.post(body)
    assert response.status_code == 400, (label, response.status_code)
    assert b"Traceback" not in response.data
    assert nothing_happened(gate), label
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40], label


def test_a_body_over_the_size_limit_is_413(gate):
    """A huge update is refused before it is read."""
    body = {"update_id": 810_501, "message": _message(text="x" * 300_000)}
    response = gate.post(body)
    assert response.status_code == 413
    assert nothing_happened(gate)


# -- repeats ----------------------------------------------------------------------------------


def test_the_same_update_twice_is_handled_once(telegram):
    """Telegram sending an update again: 200, and no second reply or row."""
    person = Person(telegram, 810_100_001)
    update = updates.command(person.chat_id, "/start", "DEMO")
    assert telegram.post(update).status_code == 200
    person.wait_for_messages(1)
    before = stored(telegram)
    assert before["participants"] == 1 and before["conversations"] == 1
    assert telegram.post(update).status_code == 200
    person.settle()
    assert stored(telegram) == before
    assert sends(telegram, person.chat_id) == 1


def test_another_update_with_a_used_update_id_is_not_handled(telegram):
    """The update_id is the key: a different body under a used id does nothing."""
    person = Person(telegram, 810_100_002)
    to_topic(person)
    first = updates.private_text(person.chat_id, "Home")
    assert telegram.post(first).status_code == 200
    person.wait_for_messages(3)
    before, shown = stored(telegram), sends(telegram, person.chat_id)
    again = updates.private_text(person.chat_id, "Health", update_id=first["update_id"])
    assert telegram.post(again).status_code == 200
    person.settle()
    assert stored(telegram) == before
    assert sends(telegram, person.chat_id) == shown
    assert steps(telegram) == [("feeling", "home")]


def test_a_press_delivered_twice_is_one_answer(telegram):
    """The same button press twice: one answer kept, one edit, one next question."""
    person = Person(telegram, 810_100_003)
    to_topic(person)
    update_id = updates.next_update_id()
    question = person.newest()
    person.press("Home", update_id=update_id)
    person.press("Home", message=question, update_id=update_id, wait=False)
    person.settle()
    assert steps(telegram) == [("feeling", "home")]
    assert sends(telegram, person.chat_id) == 3
    assert len(telegram.fake.calls("editMessageText")) == 2  # consent, then the topic
    update_id = updates.next_update_id()
    question = person.newest()
    person.press("Not good", update_id=update_id)
    person.press("Not good", message=question, update_id=update_id, wait=False)
    person.settle()
    assert rows(telegram, Answer.question_id, Answer.answer_key) == [("feeling", "not_good")]
    assert sends(telegram, person.chat_id) == 4


def deliver_at_once(app: TelegramApp, update: dict[str, Any], times: int = 3) -> list[int]:
    """POST one update from several threads at the same moment; their statuses."""
    statuses: list[int] = []
    barrier = threading.Barrier(times)

    def deliver() -> None:
        client = app.app.test_client()
        barrier.wait()
        response = client.post(
            "/telegram/webhook", json=update, headers={SECRET_HEADER: TELEGRAM_SECRET}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_deliveries_at_once_are_handled_once(database, tmp_path, fake_bot_api):
    """Three requests with one update at the same moment (threads, real SQLite and real
    PostgreSQL): all get 200, one reply is sent and one set of rows kept, round after
    round."""
    telegram = TelegramApp(tmp_path, fake_bot_api, database_url=database.url)
    try:
        person = Person(telegram, 810_100_004)
        for round, text in enumerate(("/start DEMO", "yes", "Home"), start=1):
            update = updates.private_text(person.chat_id, text)
            assert deliver_at_once(telegram, update) == [200, 200, 200], round
            person.wait_for_messages(round)
            person.settle(0.2)
            assert sends(telegram, person.chat_id) == round, round
            assert telegram.count(InboundMessageId) == round
        assert telegram.count(Participant) == 1 and telegram.count(Conversation) == 1
        assert steps(telegram) == [("feeling", "home")]
    finally:
        telegram.close()


def test_one_press_delivered_at_once_is_one_answer(telegram):
    """One button press delivered three times at once: every delivery is answered (as
    Telegram needs), the message is edited once and the next question sent once."""
    person = Person(telegram, 810_100_005)
    to_topic(person)
    question, shown = person.newest(), sends(telegram, person.chat_id)
    edits = len(telegram.fake.calls("editMessageText"))
    button = person.button("Home", question)
    press = updates.callback(
        person.chat_id, button["callback_data"], question.message_id, question.text,
        question.reply_markup,
    )  # fmt: skip
    assert deliver_at_once(telegram, press) == [200, 200, 200]
    person.wait_for_messages(shown + 1)
    telegram.fake.wait_for("answerCallbackQuery", count=4)  # the consent's, and these three
    person.settle(0.2)
    assert sends(telegram, person.chat_id) == shown + 1
    assert len(telegram.fake.calls("editMessageText")) == edits + 1
    assert steps(telegram) == [("feeling", "home")]


# -- 200 only once the update is kept -------------------------------------------------------


def rename(database: Any, old: str, new: str) -> None:
    """Rename a table from a connection of its own, as another program would."""
    with database.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_a_database_failure_is_503_and_the_retry_is_handled_once(
    database, tmp_path, fake_bot_api, caplog
):
    """The transcript's table gone mid-check-in (renamed by another connection; SQLite and
    PostgreSQL): 503 with no traceback and nothing half-kept or sent; once it is back,
    Telegram's retry is handled once, and a third delivery does nothing."""
    telegram = TelegramApp(tmp_path, fake_bot_api, database_url=database.url)
    try:
        person = Person(telegram, 810_200_001)
        to_topic(person)
        before, shown = stored(telegram), sends(telegram, person.chat_id)
        rename(database, "transcript_messages", "transcript_away")
        update = updates.private_text(person.chat_id, "Home")
        response = telegram.post(update)
        assert response.status_code == 503
        assert b"Traceback" not in response.data
        assert not [r for r in caplog.records if r.exc_info]
        person.settle()
        rename(database, "transcript_away", "transcript_messages")
        assert stored(telegram) == before
        assert sends(telegram, person.chat_id) == shown
        assert telegram.post(update).status_code == 200
        person.wait_for_messages(shown + 1)
        assert telegram.post(update).status_code == 200
        person.settle()
        assert sends(telegram, person.chat_id) == shown + 1
        assert steps(telegram) == [("feeling", "home")]
        assert "How do you feel about home" in person.newest().text
    finally:
        telegram.close()


# -- what we do not handle ------------------------------------------------------------------


def test_an_edited_message_mid_check_in_gets_one_kind_line(telegram):
    """An edit while a question is open: one short line, nothing kept as an answer; the
    same edit delivered again says nothing more."""
    person = Person(telegram, 810_300_001)
    to_topic(person)
    answers, shown = telegram.count(Answer), sends(telegram, person.chat_id)
    edit = updates.edited_message(person.chat_id, "Home")
    assert telegram.post(edit).status_code == 200
    person.wait_for_messages(shown + 1)
    assert person.newest().text == EDITED
    assert telegram.post(edit).status_code == 200
    person.settle()
    assert sends(telegram, person.chat_id) == shown + 1
    assert telegram.count(Answer) == answers


def test_an_edited_message_outside_a_check_in_says_nothing(telegram):
    """An edit from someone not in a check-in: no message and no person kept."""
    chat = 810_300_002
    assert telegram.post(updates.edited_message(chat, "DEMO")).status_code == 200
    Person(telegram, chat).settle()
    assert telegram.fake.calls() == []
    assert telegram.count(Participant) == 0 and telegram.count(OutboxMessage) == 0


def test_an_edited_message_after_stop_says_nothing(telegram):
    """After STOP, an edit gets nothing."""
    person = Person(telegram, 810_300_003)
    to_topic(person)
    person.send("/stop")
    shown = sends(telegram, person.chat_id)
    assert telegram.post(updates.edited_message(person.chat_id, "Home")).status_code == 200
    person.settle()
    assert sends(telegram, person.chat_id) == shown


MEDIA = [
    ("sticker", updates.sticker),
    ("photo", updates.photo),
    ("voice note", updates.voice),
]


@pytest.mark.parametrize(("label", "build"), MEDIA, ids=[c[0] for c in MEDIA])
def test_media_gets_the_words_only_line_then_the_question(telegram, label, build):
    """A sticker, photo or voice note: the line about words, then the question again;
    nothing kept as an answer, the question still open."""
    person = Person(telegram, 810_400_001 + MEDIA.index((label, build)))
    to_topic(person)
    answers, shown = telegram.count(Answer), sends(telegram, person.chat_id)
    assert telegram.post(build(person.chat_id)).status_code == 200
    person.wait_for_messages(shown + 1)
    person.settle(0.2)
    assert sends(telegram, person.chat_id) == shown + 1
    newest = person.newest().text
    assert newest.startswith(replies.MEDIA_ONLY), label
    assert "Which part of your life" in newest
    assert person.button("Home")
    assert telegram.count(Answer) == answers
    assert steps(telegram) == [("topic", "")]
    person.press("Home")
    assert steps(telegram) == [("feeling", "home")]


def test_a_photo_caption_is_read_as_words(telegram):
    """A photo with a caption: the caption answers the question."""
    person = Person(telegram, 810_400_101)
    to_topic(person)
    shown = sends(telegram, person.chat_id)
    assert telegram.post(updates.photo(person.chat_id, caption="Home")).status_code == 200
    person.wait_for_messages(shown + 1)
    assert steps(telegram) == [("feeling", "home")]
    assert "How do you feel about home" in person.newest().text


OTHER_UPDATES = [
    ("channel post", lambda: updates.channel_post(-1_001_810_500_001, "DEMO")),
    ("inline query", lambda: updates.inline_query(810_500_002, "DEMO")),
    ("bot left a group", lambda: updates.my_chat_member(-810_500_003, "member", "left")),
    ("someone else added", lambda: updates.new_chat_members(-810_500_004, [updates.user(5)])),
]


@pytest.mark.parametrize(("label", "build"), OTHER_UPDATES, ids=[c[0] for c in OTHER_UPDATES])
def test_updates_we_do_not_handle_are_200_and_leave_nothing(gate, label, build):
    """Channel posts, inline queries and the like: 200, nothing kept, nothing sent."""
    assert gate.post(build()).status_code == 200, label
    assert nothing_happened(gate), label


def test_a_blocked_bot_stops_sending_until_they_write_again(tmp_path, fake_bot_api):
    """my_chat_member "kicked": the person is unreachable and what waits for them is
    cancelled; when they write again they are reachable and get replies."""
    app = TelegramApp(tmp_path, fake_bot_api, dispatch=False)
    try:
        person = Person(app, 810_600_001)
        person.send("/start DEMO", wait=False)
        assert [s for (s,) in rows(app, OutboxMessage.status)] == ["queued"]
        assert app.post(updates.blocked(person.chat_id)).status_code == 200
        assert rows(app, Participant.unreachable) == [(True,)]
        assert [s for (s,) in rows(app, OutboxMessage.status)] == ["cancelled"]
        app.start_outbox()
        person.settle()
        assert fake_bot_api.calls("sendMessage") == []
        person.send("/start DEMO")
        assert rows(app, Participant.unreachable) == [(False,)]
        assert person.button("Yes")
    finally:
        app.close()
