"""The fake Telegram Bot API and the Update builders, proved against python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, TelegramObject
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from tests.channels import telegram_updates as tu
from tests.channels.telegram_harness import FakeBotApi

YES_NO = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("👍 Yes", callback_data="yes")],
        [InlineKeyboardButton("No", callback_data="no")],
    ]
)
YES_NO_JSON = {
    "inline_keyboard": [
        [{"text": "👍 Yes", "callback_data": "yes"}],
        [{"text": "No", "callback_data": "no"}],
    ]
}


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    """A fake Bot API on 127.0.0.1."""
    with FakeBotApi() as api:
        yield api


def with_bot(fake: FakeBotApi, use: Callable[[telegram.Bot], Awaitable[Any]], **bot: Any) -> Any:
    """Run `use(bot)` with python-telegram-bot's Bot pointed at the fake."""

    async def main() -> Any:
        token = bot.pop("token", fake.token)
        async with telegram.Bot(token, base_url=f"{fake.url}/bot", **bot) as client:
            return await use(client)

    # In a thread of its own: a browser test's Playwright (sync API) may hold a running
    # event loop in this worker's main thread, where asyncio.run() would refuse.
    found: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            found.append(asyncio.run(main()))
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if errors:
        raise errors[0]
    return found[0]


def post(fake: FakeBotApi, path: str, body: bytes | None, content_type: str) -> tuple[int, dict]:
    """A raw HTTP POST to the fake: the status and the JSON answer."""
    request = urllib.request.Request(
        f"{fake.url}{path}", data=body, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


# -- sending and editing -----------------------------------------------------------------------


def test_send_message_answers_a_message_and_the_chat_keeps_it(fake):
    """sendMessage: message ids count up per chat; from is the bot; the keyboard is echoed."""

    async def use(bot):
        first = await bot.send_message(42, "How was today?", reply_markup=YES_NO)
        second = await bot.send_message(42, "Thanks")
        other = await bot.send_message(77, "Hello")
        return first, second, other

    first, second, other = with_bot(fake, use)
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.text == "How was today?"
    assert first.reply_markup == YES_NO
    assert second.reply_markup is None
    assert first.from_user.is_bot and first.from_user.username == "VoiceboxTestBot"
    assert first.chat.id == 42 and first.chat.type == "private"
    assert abs(first.date.timestamp() - time.time()) < 5
    assert [(m.message_id, m.text, m.reply_markup) for m in fake.chat(42)] == [
        (1, "How was today?", YES_NO_JSON),
        (2, "Thanks", None),
    ]
    assert fake.sent_texts(42) == ["How was today?", "Thanks"]
    assert fake.sent_texts(77) == ["Hello"]
    assert [c.method for c in fake.calls()] == ["getMe", *["sendMessage"] * 3]


def test_the_chat_of_a_pushed_update_is_used_in_sent_messages(fake):
    """Messages to a chat the fake saw in an update carry that Chat (name, username)."""
    fake.push_update(tu.private_text(42, "hi", first_name="Alex", username="alex_k"))
    sent = with_bot(fake, lambda bot: bot.send_message(42, "Hello"))
    assert (sent.chat.first_name, sent.chat.username) == ("Alex", "alex_k")
    group = with_bot(fake, lambda bot: bot.send_message(-4001, "Hello all"))
    assert (group.chat.type, group.chat.title) == ("group", "Test group")


def test_form_fields_are_kept_as_sent_and_decoded(fake):
    """PTB posts form fields, JSON-encoding non-strings; a text "123" stays a string."""

    async def use(bot):
        await bot.send_message(42, "123", reply_markup=YES_NO)
        await bot.answer_callback_query("9001", text="true", show_alert=True)

    with_bot(fake, use)
    send, answer = fake.calls("sendMessage")[0], fake.calls("answerCallbackQuery")[0]
    assert send.encoding == "form"
    assert send.raw["chat_id"] == "42" and send.raw["text"] == "123"
    assert json.loads(send.raw["reply_markup"]) == YES_NO_JSON
    assert send.params == {"chat_id": 42, "text": "123", "reply_markup": YES_NO_JSON}
    assert answer.params == {"callback_query_id": "9001", "text": "true", "show_alert": True}
    assert send.status == answer.status == 200


def test_edits_change_what_the_person_sees(fake):
    """editMessageText and editMessageReplyMarkup apply to the kept message."""

    async def use(bot):
        await bot.send_message(42, "How was today?", reply_markup=YES_NO)
        edited = await bot.edit_message_text("You chose yes", chat_id=42, message_id=1)
        shown = fake.chat(42)
        marked = await bot.edit_message_reply_markup(42, 1, reply_markup=YES_NO)
        return edited, shown, marked

    edited, shown, marked = with_bot(fake, use)
    assert edited.text == "You chose yes" and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without a keyboard takes the buttons away
    assert [(m.text, m.reply_markup, m.edited) for m in shown] == [("You chose yes", None, True)]
    assert marked.reply_markup == YES_NO and marked.text == "You chose yes"
    assert [(m.text, m.reply_markup) for m in fake.chat(42)] == [("You chose yes", YES_NO_JSON)]
    assert fake.sent_texts(42) == ["How was today?"]


def test_an_edit_that_changes_nothing_or_no_message_is_a_bad_request(fake):
    """Telegram's "message is not modified" and "message to edit not found" are 400s."""

    async def use(bot):
        await bot.send_message(42, "Pick one", reply_markup=YES_NO)
        raised = []
        for edit in (
            lambda: bot.edit_message_text(
                "Pick one", chat_id=42, message_id=1, reply_markup=YES_NO
            ),
            lambda: bot.edit_message_reply_markup(42, 1, reply_markup=YES_NO),
            lambda: bot.edit_message_text("Hi", chat_id=42, message_id=99),
            lambda: bot.edit_message_text("Hi", chat_id=43, message_id=1),
        ):
            with pytest.raises(BadRequest) as caught:
                await edit()
            raised.append(caught.value.message)
        return raised

    raised = with_bot(fake, use)
    assert raised[0].startswith("Message is not modified")  # PTB capitalises and cuts the prefix
    assert raised[1] == raised[0]
    assert raised[2:] == ["Message to edit not found"] * 2
    assert [c.status for c in fake.calls("editMessageText")] == [400, 400, 400]
    assert [(m.text, m.reply_markup) for m in fake.chat(42)] == [("Pick one", YES_NO_JSON)]


def test_answer_callback_query_and_chat_action_answer_true(fake):
    """answerCallbackQuery and sendChatAction answer true."""

    async def use(bot):
        return (
            await bot.answer_callback_query("4411", text="Saved"),
            await bot.send_chat_action(42, "typing"),
        )

    assert with_bot(fake, use) == (True, True)
    assert fake.calls("answerCallbackQuery")[0].params["callback_query_id"] == "4411"


# -- faults -------------------------------------------------------------------------------------


def test_a_429_raises_retry_after_and_the_plan_is_used_once(fake, monkeypatch):
    """A planned 429 carries retry_after in parameters: PTB raises RetryAfter."""
    # PTB 22 warns when retry_after is read as an int; PTB_TIMEDELTA=true gives a timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.plan("sendMessage", status=429, retry_after=3)

    async def use(bot):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(42, "One")
        again = await bot.send_message(42, "One")
        return caught.value, again

    error, again = with_bot(fake, use)
    assert error.retry_after == dtm.timedelta(seconds=3)
    assert again.message_id == 1  # the refused send made nothing
    assert [c.status for c in fake.calls("sendMessage")] == [429, 200]
    assert fake.sent_texts(42) == ["One"]
    assert fake.plans_left() == []


def test_429_body_is_telegrams(fake):
    """The 429 body has error_code, description and parameters.retry_after."""
    fake.plan("sendmessage", status=429, retry_after=3)
    body = json.dumps({"chat_id": 42, "text": "Hi"}).encode()
    status, answer = post(fake, f"/bot{fake.token}/sendMessage", body, "application/json")
    assert (status, answer) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )


def test_a_403_and_a_blocked_chat_raise_forbidden(fake):
    """A planned 403, and every send or edit to a blocked chat until unblock: Forbidden."""
    fake.plan("sendMessage", status=403)

    async def use(bot):
        messages = []
        with pytest.raises(Forbidden) as planned:
            await bot.send_message(42, "One")
        await bot.send_message(42, "Two")
        fake.block(42)
        with pytest.raises(Forbidden) as blocked:
            await bot.send_message(42, "Three")
        with pytest.raises(Forbidden):
            await bot.edit_message_text("Changed", chat_id=42, message_id=1)
        messages.append(await bot.send_message(43, "Other chat"))
        fake.unblock(42)
        messages.append(await bot.send_message(42, "Four"))
        return planned.value, blocked.value, messages

    planned, blocked, messages = with_bot(fake, use)
    assert planned.message == blocked.message == "Forbidden: bot was blocked by the user"
    assert [m.message_id for m in messages] == [1, 2]
    assert [m.text for m in fake.chat(42)] == ["Two", "Four"]
    assert [c.status for c in fake.calls("sendMessage")] == [403, 200, 403, 200, 200]


@pytest.mark.parametrize("status", [500, 502])
def test_a_5xx_raises_network_error_and_made_keeps_the_message(fake, status):
    """PTB raises NetworkError (not a subclass such as TimedOut) for 500 and 502."""
    fake.plan("sendMessage", status=status)
    fake.plan("sendMessage", status=status, made=True)

    async def use(bot):
        raised = []
        for text in ("Lost", "Made"):
            with pytest.raises(NetworkError) as caught:
                await bot.send_message(42, text)
            raised.append(caught.value)
        return raised

    raised = with_bot(fake, use)
    assert [type(error) for error in raised] == [NetworkError, NetworkError]
    expected = "Internal Server Error" if status == 500 else "Bad Gateway"
    assert [error.message for error in raised] == [expected] * 2
    assert [m.text for m in fake.chat(42)] == ["Made"]
    assert fake.sent_texts(42) == ["Made"]


def test_a_slow_answer_times_out_and_the_message_was_made(fake):
    """delay: PTB's read timeout raises TimedOut; the send reached Telegram all the same,
    unless made=False (then nothing is made and the late answer is a 502)."""
    fake.plan("sendMessage", delay=1.0)
    fake.plan("sendMessage", delay=1.0, made=False)

    async def use(bot):
        for text in ("Slow", "Never"):
            started = time.monotonic()
            with pytest.raises(TimedOut):
                await bot.send_message(42, text, read_timeout=0.2)
            assert time.monotonic() - started < 0.9
        return await bot.send_message(42, "Next")

    after = with_bot(fake, use)
    assert [m.text for m in fake.chat(42)] == ["Slow", "Next"]
    assert after.message_id == 2
    assert [c.status for c in fake.calls("sendMessage")] == [200, 502, 200]


def test_latency_is_added_to_every_answer(fake):
    """fake.latency slows every answer."""
    fake.latency = 0.2
    started = time.monotonic()
    with_bot(fake, lambda bot: bot.send_message(42, "Hi"))  # getMe, then sendMessage
    assert time.monotonic() - started >= 0.4


# -- updates and webhooks ----------------------------------------------------------------------


def test_get_updates_confirms_by_offset_and_long_polls(fake):
    """getUpdates returns updates from offset on, drops those below, and waits for one."""
    first = fake.push_update(tu.command(42, "/start", "DEMO"))
    second = fake.push_update({"message": tu.private_text(42, "hi")["message"]})
    assert second["update_id"] == first["update_id"] + 1

    def push_later():
        time.sleep(0.3)
        fake.push_update(tu.callback(42, "yes", 1, "How was today?", YES_NO_JSON))

    async def use(bot):
        both = await bot.get_updates(timeout=0)
        again = await bot.get_updates(offset=second["update_id"], timeout=0)
        started = time.monotonic()
        empty = await bot.get_updates(offset=second["update_id"] + 1, timeout=1)
        waited = time.monotonic() - started
        threading.Thread(target=push_later, daemon=True).start()
        started = time.monotonic()
        pushed = await bot.get_updates(offset=second["update_id"] + 1, timeout=10)
        return both, again, empty, waited, pushed, time.monotonic() - started

    both, again, empty, waited, pushed, woke = with_bot(fake, use)
    assert [u.update_id for u in both] == [first["update_id"], second["update_id"]]
    assert both[0].message.text == "/start DEMO" and both[1].message.text == "hi"
    assert [u.update_id for u in again] == [second["update_id"]]
    assert empty == () and 0.9 <= waited < 3
    assert [u.callback_query.data for u in pushed] == ["yes"]
    assert 0.25 <= woke < 3  # woken by the push, not at the end of the 10 s
    assert [u["update_id"] for u in fake.pending_updates()] == [pushed[0].update_id]


def test_get_updates_limit_and_allowed_updates(fake):
    """limit caps the answer; allowed_updates is recorded (decoded) and remembered."""
    for number in range(3):
        fake.push_update(tu.private_text(42, f"m{number}"))

    async def use(bot):
        return await bot.get_updates(limit=2, allowed_updates=["message", "callback_query"])

    found = with_bot(fake, use)
    assert [u.message.text for u in found] == ["m0", "m1"]
    call = fake.calls("getUpdates")[0]
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert call.params["limit"] == 2
    assert fake.allowed_updates == ["message", "callback_query"]


def test_stop_wakes_a_long_poll():
    """stop() answers a waiting getUpdates at once."""
    fake = FakeBotApi().start()
    answered: list[float] = []

    def poll():
        body = json.dumps({"timeout": 20}).encode()
        started = time.monotonic()
        post(fake, f"/bot{fake.token}/getUpdates", body, "application/json")
        answered.append(time.monotonic() - started)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    fake.wait_for("getUpdates")
    fake.stop()
    poller.join(timeout=5)
    assert answered and answered[0] < 5


def test_webhook_set_info_delete_and_conflict(fake):
    """setWebhook is remembered and reported; getUpdates meanwhile is a 409 Conflict."""
    fake.push_update(tu.private_text(42, "waiting"))

    async def use(bot):
        was_set = await bot.set_webhook(
            "https://voicebox.example/telegram/webhook",
            secret_token="s3cret_-Token",
            allowed_updates=["message", "callback_query"],
        )
        info = await bot.get_webhook_info()
        with pytest.raises(Conflict) as conflict:
            await bot.get_updates()
        with pytest.raises(BadRequest):
            await bot.set_webhook("http://voicebox.example/telegram/webhook")
        deleted = await bot.delete_webhook()
        after = await bot.get_webhook_info()
        updates = await bot.get_updates()
        return was_set, info, conflict.value, deleted, after, updates

    was_set, info, conflict, deleted, after, updates = with_bot(fake, use)
    assert was_set is True and deleted is True
    assert info.url == "https://voicebox.example/telegram/webhook"
    assert info.allowed_updates == ("message", "callback_query")
    assert info.pending_update_count == 1 and info.has_custom_certificate is False
    assert conflict.message.startswith("Conflict: can't use getUpdates method while webhook")
    assert fake.calls("setWebhook")[0].params["secret_token"] == "s3cret_-Token"
    assert after.url == "" and len(updates) == 1
    assert fake.webhook == {}


def test_set_webhook_answers_a_description(fake):
    """Telegram's setWebhook and deleteWebhook answers carry a description."""
    url = f"/bot{fake.token}/setWebhook"
    body = b"url=https%3A%2F%2Fvoicebox.example%2Ftelegram%2Fwebhook&secret_token=abc"
    assert post(fake, url, body, "application/x-www-form-urlencoded") == (
        200,
        {"ok": True, "result": True, "description": "Webhook was set"},
    )
    assert fake.webhook["secret_token"] == "abc"
    assert fake.calls("setWebhook")[0].encoding == "form"
    deleted = post(fake, f"/bot{fake.token}/deleteWebhook", b"{}", "application/json")
    assert deleted[1]["description"] == "Webhook was deleted"


# -- the wire ----------------------------------------------------------------------------------


def test_a_raw_json_post_and_a_get_work(fake):
    """JSON bodies and query strings work too; method names are case-insensitive."""
    body = json.dumps({"chat_id": "42", "text": "Hi", "reply_markup": YES_NO_JSON}).encode()
    status, answer = post(fake, f"/bot{fake.token}/SENDMESSAGE", body, "application/json")
    assert status == 200 and answer["ok"] is True
    assert answer["result"]["text"] == "Hi" and answer["result"]["reply_markup"] == YES_NO_JSON
    call = fake.calls("sendMessage")[0]
    assert call.encoding == "json" and call.params["chat_id"] == 42
    with urllib.request.urlopen(f"{fake.url}/bot{fake.token}/getme", timeout=5) as response:
        assert json.loads(response.read())["result"]["username"] == "VoiceboxTestBot"


def test_multipart_fields_are_read(fake):
    """multipart/form-data (PTB uses it when a file goes along) is read, files kept."""
    answer = httpx.post(
        f"{fake.url}/bot{fake.token}/sendMessage",
        data={"chat_id": "42", "text": "With a file"},
        files={"document": ("a.txt", b"hello", "text/plain")},
    )
    assert answer.json()["result"]["text"] == "With a file"
    call = fake.calls("sendMessage")[0]
    assert call.encoding == "multipart" and call.files == {"document": b"hello"}


def test_wrong_token_and_unknown_method(fake):
    """A wrong token is a 401; an unknown method a 404 (Telegram's bodies)."""
    body = b"{}"
    assert post(fake, "/bot999:wrong/getMe", body, "application/json") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert post(fake, f"/bot{fake.token}/sendTelepathy", body, "application/json") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert fake.calls("sendTelepathy")[0].status == 404

    async def use(bot):
        return await bot.get_me()

    with pytest.raises(InvalidToken):
        with_bot(fake, use, token="999:wrong")


def test_telegrams_checks_on_text_and_buttons(fake):
    """Empty or too long texts and button data over 64 bytes are Telegram's 400s."""
    too_much = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="x" * 65)]])

    async def use(bot):
        raised = []
        for text, markup in ((" ", None), ("x" * 4097, None), ("Hi", too_much)):
            with pytest.raises(BadRequest) as caught:
                await bot.send_message(42, text, reply_markup=markup)
            raised.append(caught.value.message)
        return raised

    assert with_bot(fake, use) == [
        "Message text is empty",
        "Message is too long",
        "Button_data_invalid",
    ]
    assert fake.chat(42) == []


def test_wait_for_waits_and_says_what_it_saw(fake):
    """wait_for returns once the calls came, and fails listing what was recorded."""

    def later():
        time.sleep(0.2)
        post(fake, f"/bot{fake.token}/getMe", b"", "application/json")

    threading.Thread(target=later, daemon=True).start()
    assert len(fake.wait_for("getMe", timeout=3)) == 1
    with pytest.raises(AssertionError, match=r"2 x getMe.*getMe 200"):
        fake.wait_for("getMe", count=2, timeout=0.05)
    with pytest.raises(AssertionError, match="the condition"):
        fake.wait_for(lambda: fake.chat(42), timeout=0.05)
    fake.clear()
    assert fake.calls() == []


# -- the Update builders -----------------------------------------------------------------------

KEYBOARD = {"inline_keyboard": [[{"text": "👍 Good", "callback_data": "good"}]]}
SAMPLES: list[tuple[Callable[..., dict], tuple, dict]] = [
    (tu.private_text, (42, "hello 👋"), {"username": "sam_k"}),
    (tu.command, (42, "/start", "DEMO"), {}),
    (tu.command, (42, "start"), {}),
    (tu.callback, (42, "good", 7, "How was school?", KEYBOARD), {}),
    (tu.group_text, (-4001, "hi all"), {}),
    (tu.group_text, (-1001234567890, "hi"), {"type": "supergroup"}),
    (tu.group_command, (-4001, "/start", "DEMO"), {}),
    (tu.channel_post, (-1009876543210, "News"), {}),
    (tu.edited_message, (42, "fixed"), {"message_id": 5}),
    (tu.sticker, (42,), {}),
    (tu.photo, (42,), {"caption": "my room"}),
    (tu.photo, (42,), {}),
    (tu.voice, (42,), {"duration": 4}),
    (tu.new_chat_members, (-4001,), {}),
    (tu.my_chat_member, (42,), {}),
    (tu.my_chat_member, (-4001, "left", "member"), {}),
    (tu.blocked, (42,), {}),
    (tu.inline_query, (42, "check"), {}),
]
# Telegram still sends these old fields beside new_chat_members; PTB keeps them in api_kwargs.
LEGACY = {"new_chat_participant", "new_chat_member"}


def unknown_fields(obj: Any, path: str = "update") -> list[tuple[str, list[str]]]:
    """Fields PTB did not know (its api_kwargs), anywhere in a parsed object."""
    found = []
    if isinstance(obj, TelegramObject):
        if set(obj.api_kwargs) - LEGACY:
            found.append((path, sorted(obj.api_kwargs)))
        for cls in type(obj).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if not name.startswith("_"):
                    found += unknown_fields(getattr(obj, name, None), f"{path}.{name}")
    elif isinstance(obj, tuple):
        for number, item in enumerate(obj):
            found += unknown_fields(item, f"{path}[{number}]")
    return found


def contained(sent: Any, parsed: Any) -> bool:
    """Every field sent is in PTB's to_dict() with the same value."""
    if isinstance(sent, dict):
        return isinstance(parsed, dict) and all(
            key in parsed and contained(value, parsed[key]) for key, value in sent.items()
        )
    if isinstance(sent, list):
        return len(sent) == len(parsed) and all(map(contained, sent, parsed))
    return sent == parsed


@pytest.mark.parametrize(
    ("builder", "args", "options"),
    SAMPLES,
    ids=[f"{builder.__name__}-{number}" for number, (builder, _, _) in enumerate(SAMPLES)],
)
def test_every_builder_parses_with_telegram_update(builder, args, options):
    """Each builder's JSON parses with telegram.Update.de_json, every field known and kept."""
    data = json.loads(json.dumps(builder(*args, **options)))
    update = telegram.Update.de_json(data, None)
    assert update.update_id == data["update_id"]
    assert unknown_fields(update) == []
    assert contained(data, update.to_dict()), (data, update.to_dict())


def test_every_builder_has_a_sample():
    """No builder escapes the parsing test."""
    assert {builder for builder, _, _ in SAMPLES} == set(tu.BUILDERS)


def test_builders_say_what_telegram_says():
    """Spot checks: the entity covers the command, private chats share the user id,
    the button's message is the bot's, a block is member -> kicked."""
    start = telegram.Update.de_json(tu.command(42, "/start", "DEMO"), None)
    assert start.message.parse_entities() == {start.message.entities[0]: "/start"}
    assert start.message.entities[0].type == "bot_command"
    assert start.effective_user.id == start.effective_chat.id == 42
    assert start.effective_chat.type == "private"
    group = telegram.Update.de_json(tu.group_command(-4001, "/start"), None)
    assert group.message.parse_entities().popitem()[1] == "/start@VoiceboxTestBot"
    assert group.effective_user.id != group.effective_chat.id
    press = telegram.Update.de_json(tu.callback(42, "good", 7, "How?", KEYBOARD), None)
    assert press.callback_query.message.from_user.id == tu.BOT_ID
    assert press.callback_query.message.message_id == 7
    assert press.callback_query.from_user.id == 42 and press.callback_query.data == "good"
    block = telegram.Update.de_json(tu.blocked(42), None)
    member = block.my_chat_member
    assert (member.old_chat_member.status, member.new_chat_member.status) == ("member", "kicked")
    assert member.new_chat_member.user.id == tu.BOT_ID
    added = telegram.Update.de_json(tu.new_chat_members(-4001), None)
    assert [u.id for u in added.message.new_chat_members] == [tu.BOT_ID]
    ids = [tu.private_text(42, "a")["update_id"], tu.private_text(42, "b")["update_id"]]
    assert ids[1] == ids[0] + 1
    assert "entities" not in tu.private_text(42, "start please")["message"]
