"""Privacy on Telegram: a person with a first name, a last name and a username does a
whole check-in over the webhook; no export format and no log line (DEBUG, every logger,
with faults on the way) shows their chat id, user id, username or names, or the bot's
token; the pseudonym is the keyed hash of the chat id, as for a phone number."""

from __future__ import annotations

import io
import json
import logging
from typing import Any
from zipfile import ZipFile

from sqlalchemy import select

from tests.channels import telegram_updates as updates
from tests.channels.telegram_app import TELEGRAM_SECRET, Person, TelegramApp
from voicebox.storage.export import export_chunks, export_rows
from voicebox.storage.models import Participant
from voicebox.storage.pseudonyms import address_key, pseudonym_for

FIRST, LAST, USERNAME = "Zephyrine", "Quillfeather", "zq_secret_handle"


def named(update: dict[str, Any], chat_id: int) -> dict[str, Any]:
    """The update with the person's full name and username on every User and Chat of theirs."""

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("id") == chat_id and not value.get("is_bot"):
                value.update(first_name=FIRST, last_name=LAST, username=USERNAME)
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(update)
    return update


class NamedPerson(Person):
    """A person whose Telegram account shows their names and username."""

    def send(self, text: str, wait: bool = True) -> Any:
        """Type a message; wait for one more message from the bot."""
        before = len(self.shown())
        update = named(updates.private_text(self.chat_id, text), self.chat_id)
        response = self.app.post(update)
        assert response.status_code == 200, response.status_code
        if wait:
            self.wait_for_messages(before + 1)
        return response

    def press(self, words: str, message: Any = None, wait: bool = True, **_: Any) -> Any:
        """Press a button on the newest message; wait for one more message."""
        message = message or self.newest()
        button = self.button(words, message)
        before = len(self.shown())
        update = updates.callback(
            self.chat_id, button["callback_data"], message.message_id, message.text,
            message.reply_markup,
        )  # fmt: skip
        response = self.app.post(named(update, self.chat_id))
        assert response.status_code == 200, response.status_code
        if wait:
            self.wait_for_messages(before + 1)
        return response


def check_in(person: NamedPerson) -> None:
    """DEMO from the deep link to the end, by buttons and typed words."""
    person.send("/start DEMO")
    person.press("Yes")
    person.answer_demo()
    assert "Thank you" in person.newest().text


def exports(app: TelegramApp, code: str) -> dict[str, str]:
    """The check-in's export in every format, as text (the xlsx's sheets and strings)."""
    rows = list(export_rows(app.services.database, code))
    found = {fmt: b"".join(export_chunks(fmt, iter(rows))) for fmt in ("csv", "json", "xlsx")}
    with ZipFile(io.BytesIO(found["xlsx"])) as archive:
        xlsx = "".join(archive.read(name).decode() for name in archive.namelist())
    return {"csv": found["csv"].decode(), "json": found["json"].decode(), "xlsx": xlsx}


def pseudonym_of(app: TelegramApp, chat_id: int) -> str:
    """What the pseudonym of a chat must be: the keyed hash of its address, as for SMS."""
    return pseudonym_for(address_key(app.services.secret, "telegram", f"telegram:{chat_id}"))


def test_exports_show_the_channel_and_pseudonym_and_no_telegram_id(telegram):
    """CSV, JSON and xlsx: channel telegram and the pseudonym; never the ids or names."""
    chat = 7_316_402_958
    check_in(NamedPerson(telegram, chat))
    pseudonym = pseudonym_of(telegram, chat)
    shown = exports(telegram, "DEMO")
    rows = json.loads(shown["json"])
    assert len(rows) >= 4
    assert {row["channel"] for row in rows} == {"telegram"}
    assert {row["participant"] for row in rows} == {pseudonym}
    for fmt, text in shown.items():
        assert "telegram" in text and pseudonym in text, fmt
        for private in (str(chat), FIRST, LAST, USERNAME, "Sam"):
            assert private not in text, (fmt, private)


def test_the_pseudonym_is_one_per_chat(telegram):
    """The same chat keeps one pseudonym across messages; another chat has another."""
    first, second = 7_316_402_959, 7_316_402_960
    one, other = NamedPerson(telegram, first), NamedPerson(telegram, second)
    one.send("/start DEMO")
    other.send("/start DEMO")
    one.press("Yes")
    one.send("/help")
    other.press("Yes")
    with telegram.services.database.reading() as conn:
        kept = dict(conn.execute(select(Participant.pseudonym, Participant.channel)).all())
    assert set(kept) == {pseudonym_of(telegram, first), pseudonym_of(telegram, second)}
    assert set(kept.values()) == {"telegram"}
    for name in kept:
        assert str(first) not in name and str(second) not in name


def test_logs_never_show_ids_names_or_the_token(tmp_path, fake_bot_api, caplog):
    """Logs at DEBUG on every logger, from before the app is built to after it is closed,
    through faults (a 500, a 429, a person who blocked the bot, a broken update, a group):
    no chat id, user id, username, name, bot token or webhook secret."""
    caplog.set_level(logging.DEBUG)
    chat, group = 7_316_402_961, -1_007_316_402_962
    app = TelegramApp(tmp_path, fake_bot_api)
    try:
        person = NamedPerson(app, chat)
        fake_bot_api.plan("sendMessage", 500)
        fake_bot_api.plan("sendMessage", 429, retry_after=1)
        check_in(person)
        app.post(named(updates.edited_message(chat, "Home"), chat))
        app.post(named(updates.sticker(chat), chat))
        broken = named(updates.private_text(chat, "hi"), chat)
        broken["message"]["text"] = 5
        assert app.post(broken).status_code == 400
        app.post(updates.group_command(group, "/start", "DEMO"))
        person.send("/start DEMO", wait=False)
        fake_bot_api.wait_for(lambda: "Yes" in str(person.newest().reply_markup))
        fake_bot_api.block(chat)
        person.press("Yes", wait=False)
        fake_bot_api.wait_for(lambda: any(c.status == 403 for c in fake_bot_api.calls()))
        app.post(named(updates.blocked(chat), chat))
        person.settle(0.3)
    finally:
        app.close()
    assert any(r.levelno >= logging.WARNING for r in caplog.records)  # the faults were logged
    token = fake_bot_api.token
    private = (str(chat), str(group), FIRST, LAST, USERNAME, token, token.split(":")[1])
    for record in caplog.records:
        line = f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for secret in (*private, TELEGRAM_SECRET):
            assert secret not in line, (secret, line)
