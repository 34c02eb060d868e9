"""Issue 13's "Done when", end to end: one app with SMS (a fake Twilio), Telegram (a fake Bot
API) and the web chat on one database. Young people take part through the real webhooks and
pages; a worker tags themes, writes the "You said, we did", previews, confirms and sends it
through the workers' pages; the outbox's own threads deliver it. Exactly the people who said
yes, and can still be reached, get it, each once, in the preview's exact words."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.channels import telegram_updates as updates
from tests.channels.sms_harness import FakeTwilio, check_sms_shape, sms_replies
from tests.channels.telegram_app import SECRET_HEADER, TELEGRAM_SECRET
from tests.channels.telegram_harness import FakeBotApi
from tests.channels.web_visitor import Visitor
from tests.helpers import app_with_checkins
from tests.workers.conftest import PASSWORD, sign_in, token
from voicebox.app import build_senders
from voicebox.bot.report_back import CLOSING, opening
from voicebox.channels.registry import build_channels
from voicebox.channels.sms import SmsChannel
from voicebox.channels.sms.gsm7 import gsm7_length, non_gsm7
from voicebox.channels.sms.settings import SmsSettings
from voicebox.channels.telegram import TelegramChannel
from voicebox.channels.telegram.settings import TelegramSettings
from voicebox.settings import Settings
from voicebox.storage.consultations import close_consultation, get_consultation
from voicebox.storage.dispatcher import Backoff, Dispatchers
from voicebox.storage.models import Conversation, Participant
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.themes import list_themes
from voicebox.storage.workers import create_worker, set_consultation_group

PUBLIC_URL = "http://localhost"
TWILIO_TOKEN = "done-when-twilio-token-0123456789"
OUR_NUMBER = "+447700900999"
PAGE = "/workers/checkins/DEMO/report"
THEMES = "/workers/checkins/DEMO/themes"
WORKER = "youth@example.org"
_ANSWER = re.compile(r'name="answers" value="(\d+)"')
_sids = itertools.count(1)

# Ofcom's drama range: never a real phone.
YES_SMS, YES_SMS_TWICE = "+447700900001", "+447700900002"
NO_SMS, STOPPED_SMS, STOPS_LATER_SMS = "+447700900003", "+447700900004", "+447700900005"
YES_CHAT, NO_CHAT, BLOCKS_CHAT = 700_100_201, 700_100_202, 700_100_203


class World:
    """The app with SMS, Telegram and the web chat on, on one SQLite database."""

    def __init__(self, folder: Any, twilio: FakeTwilio, bot: FakeBotApi) -> None:
        self.twilio, self.bot = twilio, bot
        settings = Settings(
            database_url=f"sqlite:///{folder / 'voicebox.db'}",
            secret_key="done-when-secret-key-0123456789abcdef",
            public_url=PUBLIC_URL,
        )
        sms = SmsSettings(
            account_sid="AC" + "0" * 32,
            auth_token=TWILIO_TOKEN,
            sender=OUR_NUMBER,
            api_url=twilio.url,
            rate=1000.0,
            timeout=2.0,
        )
        telegram = TelegramSettings(
            token=bot.token, secret=TELEGRAM_SECRET, api_url=bot.url, rate=1000.0, timeout=2.0
        )
        self.telegram = TelegramChannel(telegram)
        self.channels = {
            **build_channels({}),
            "sms": SmsChannel(sms),
            "telegram": self.telegram,
        }
        self.services, self.app = app_with_checkins(settings, self.channels)
        self.client = self.app.test_client()
        self.validator = RequestValidator(TWILIO_TOKEN)
        self.senders = build_senders(self.services, self.channels)
        self.senders["telegram"].person_rate = 50.0
        self.threads: list[Dispatchers] = []

    def run_outbox(self, *channels: str) -> None:
        """Run the outbox's threads for these channels, as `voicebox serve` does."""
        self.threads.append(
            Dispatchers(
                self.services.database,
                {name: self.senders[name] for name in channels},
                self.services.bell,
                0.1,
                Backoff(first=0.2, cap=1.0),
            )
        )

    def close(self) -> None:
        """Stop the threads, the Bot API's loop and the database."""
        for threads in self.threads:
            threads.stop(timeout=5)
        self.telegram.api().close()
        self.services.database.dispose()

    # -- young people ---------------------------------------------------------------------

    def _signed(self, path: str, fields: dict[str, str]) -> Any:
        signature = self.validator.compute_signature(f"{PUBLIC_URL}{path}", fields)
        return self.client.post(path, data=fields, headers={"X-Twilio-Signature": signature})

    def text(self, number: str, body: str) -> list[str]:
        """One text from a phone to the webhook; the TwiML replies."""
        sid = f"SM{next(_sids):032x}"
        fields = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32}
        fields |= {"From": number, "To": OUR_NUMBER, "Body": body, "NumMedia": "0"}
        response = self._signed("/sms/twilio", fields)
        assert response.status_code == 200, response.get_data(as_text=True)
        return check_sms_shape(sms_replies(response.data))

    def status(self, sid: str, status: str) -> None:
        """Twilio's status callback for a message we sent."""
        fields = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
        assert self._signed("/sms/twilio/status", fields).status_code == 204

    def telegram_update(self, update: dict[str, Any]) -> None:
        """POST an update to the webhook as Telegram does."""
        response = self.client.post(
            "/telegram/webhook", json=update, headers={SECRET_HEADER: TELEGRAM_SECRET}
        )
        assert response.status_code == 200

    def chat(self, chat_id: int, said: str) -> None:
        """A person types in their private chat; wait for the bot's answer."""
        before = len(self.bot.chat(chat_id))
        self.telegram_update(updates.private_text(chat_id, said))
        self.bot.wait_for(lambda: len(self.bot.chat(chat_id)) > before)


def _by_text(
    world: World, number: str, hear_back: str, good: str = "My friends", bad: str = "The noise"
) -> None:
    """DEMO by SMS: yes, school, good, three answers, no more topics, then hear back or not."""
    for said in ("DEMO", "yes", "school", "good", good, bad, "A quiet room", "no"):
        world.text(number, said)
    world.text(number, hear_back)


def _by_telegram(world: World, chat_id: int, hear_back: str) -> None:
    world.chat(chat_id, "/start DEMO")
    for said in ("yes", "home", "good", "My room", "My brother is loud", "A lock", "no"):
        world.chat(chat_id, said)
    world.chat(chat_id, hear_back)


def _on_the_web(world: World, hear_back: str) -> Visitor:
    visitor = Visitor(world.app.test_client(), "DEMO")
    visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("Getting around")
    visitor.choose("Good")
    visitor.say("The bus driver is kind")
    visitor.say("The noise on the bus")
    visitor.say("Quiet seats")
    visitor.choose("No, I am done")
    visitor.choose(hear_back)
    return visitor


@pytest.fixture
def world(tmp_path, fake_twilio, fake_bot_api) -> Iterator[World]:
    """The app, its Telegram outbox thread running (replies go that way), and a worker."""
    made = World(tmp_path, fake_twilio, fake_bot_api)
    made.run_outbox("telegram")
    set_consultation_group(made.services.database, "DEMO", "Youth club")
    create_worker(made.services.database, WORKER, PASSWORD, "worker", ["Youth club"])
    yield made
    made.close()


# -- the worker's side ----------------------------------------------------------------------


def _themes(world: World) -> dict[str, int]:
    found = get_consultation(world.services.database, "DEMO")
    assert found is not None
    with world.services.database.reading() as conn:
        return {t.name: t.id for t in list_themes(conn, found.id)}


def _tag(worker: Any, theme_id: int, words: str) -> None:
    page = worker.get(f"{THEMES}?words={words}").get_data(as_text=True)
    answers = _ANSWER.findall(page)
    assert answers, page
    data = {"csrf_token": token(worker, THEMES), "theme": str(theme_id), "answers": answers}
    assert worker.post(f"{THEMES}/tag", data={**data, "action": "add"}).status_code == 302


def _write(worker: Any, boxes: dict[int, tuple[str, str, str, str]]) -> None:
    data = {"csrf_token": token(worker, PAGE)}
    for theme, (said, did, next_, status) in boxes.items():
        data |= {f"said-{theme}": said, f"did-{theme}": did, f"next-{theme}": next_}
        data[f"status-{theme}"] = status
    assert worker.post(PAGE, data=data).status_code == 302


def _preview(page: str, channel: str) -> list[str]:
    """The texts the report page shows for one channel, in order."""
    start = page.index(f'id="preview-{channel}"')
    section = page[start : page.index("</section>", start)]
    return [
        html.unescape(t) for t in re.findall(r'<p class="preview-text">(.*?)</p>', section, re.S)
    ]


def _words(text: str) -> str:
    """Text with its line breaks and spaces as single spaces (as a page shows it)."""
    return " ".join(text.split())


def _send(worker: Any) -> str:
    confirm = worker.get(f"{PAGE}/send").get_data(as_text=True)
    assert "Yes, send it now" in confirm
    sent = worker.post(f"{PAGE}/send", data={"csrf_token": token(worker, f"{PAGE}/send")})
    assert sent.status_code == 302
    return worker.get(sent.headers["Location"]).get_data(as_text=True)


def _until(world: World, what: Any) -> None:
    """Wait (up to 5 s) until the outbox's threads have done this."""
    world.bot.wait_for(what, timeout=5.0)


def test_a_report_back_reaches_exactly_the_people_who_said_yes(world):
    # Young people take part on every channel.
    _by_text(world, YES_SMS, "yes", bad="Too busy")  # speaks to one theme only
    _by_text(world, YES_SMS_TWICE, "yes", good="Nothing")
    _by_text(world, YES_SMS_TWICE, "yes", good="My teacher")  # a second time: one report
    _by_text(world, NO_SMS, "no")
    _by_text(world, STOPPED_SMS, "yes")
    world.text(STOPPED_SMS, "STOP")
    _by_text(world, STOPS_LATER_SMS, "yes")
    _by_telegram(world, YES_CHAT, "yes")
    _by_telegram(world, NO_CHAT, "no")
    _by_telegram(world, BLOCKS_CHAT, "yes")
    web_yes = _on_the_web(world, "Yes, tell me")
    web_no = _on_the_web(world, "No thanks")
    assert world.twilio.sent_bodies() == []  # SMS replies were TwiML: nothing sent later
    with world.services.database.reading() as conn:  # one person, two runs through DEMO
        runs = conn.scalar(
            select(func.count())
            .select_from(Conversation)
            .join(Participant, Participant.id == Conversation.participant_id)
            .where(
                Participant.key_hash
                == address_key(world.services.secret, "sms", f"sms:{YES_SMS_TWICE}")
            )
        )
    assert runs == 2

    # A worker signs in, makes two themes and tags answers with them.
    worker = world.client
    assert sign_in(worker, WORKER, PASSWORD).status_code == 302
    for name in ("Noise", "Quiet places"):
        worker.post(THEMES, data={"name": name, "csrf_token": token(worker, THEMES)})
    themes = _themes(world)
    _tag(worker, themes["Noise"], "noise")
    _tag(worker, themes["Quiet places"], "quiet")

    # The check-in closes; they write the report and read the preview, then confirm and send it.
    close_consultation(world.services.database, "DEMO")
    _write(
        worker,
        {
            themes["Quiet places"]: (
                "You want a quiet room.",
                "We opened one at lunch.",
                "We ask you again in May.",
                "done",
            ),
            themes["Noise"]: ("Some places are too loud.", "We are looking at it.", "", "doing"),
        },
    )
    page = worker.get(PAGE).get_data(as_text=True)
    assert "Fix these before you send it" not in page
    preview = {name: _preview(page, name) for name in ("sms", "telegram", "web")}
    title = "What is good and what is not good"
    assert preview["sms"][0] == opening(title) and preview["sms"][-1] == CLOSING
    assert len(preview["sms"]) == 4 and len(preview["telegram"]) == 1
    for text in preview["sms"]:
        assert not non_gsm7(text) and gsm7_length(text) <= 160, text
    # 3 by text, 2 by Telegram, 1 on the web; 3 said no; 1 sent STOP.
    assert "It will go to 6 people: 3 by text message, 2 by telegram, 1 by web chat." in page
    assert "It never goes to the 3 who said no to hearing back, or the 1 who sent STOP." in page

    world.bot.block(BLOCKS_CHAT)  # they blocked the bot; Telegram has not told us
    before = {chat: len(world.bot.sent_texts(chat)) for chat in (YES_CHAT, NO_CHAT, BLOCKS_CHAT)}
    shown = _send(worker)
    assert "Sent to 6 people." in shown
    assert "What happened to it" in shown
    world.text(STOPS_LATER_SMS, "STOP")  # after it was queued, before it went
    world.run_outbox("sms")

    # SMS: only the two who said yes, each text exactly as previewed, their themes first.
    _until(world, lambda: len(world.twilio.sent_bodies()) >= 8)
    _until(world, lambda: any(c.status == 403 for c in world.bot.calls("sendMessage")))
    _until(world, lambda: len(world.bot.sent_texts(YES_CHAT)) > before[YES_CHAT])
    _until(world, lambda: worker.get(f"{PAGE}/counts.json").get_json()["queued"] == 0)
    made = world.twilio.messages
    assert {m["to"] for m in made} == {YES_SMS, YES_SMS_TWICE}
    items = preview["sms"][1:-1]
    quiet_first = [t for t in items if "quiet" in t] + [t for t in items if "quiet" not in t]
    assert [m["body"] for m in made if m["to"] == YES_SMS] == [
        preview["sms"][0],
        *quiet_first,  # the theme they spoke to comes first
        preview["sms"][-1],
    ]
    both = [m["body"] for m in made if m["to"] == YES_SMS_TWICE]
    assert both == preview["sms"]  # spoke to both themes: the report's own order
    # Telegram: one joined message, to the one chat that said yes and can be reached.
    assert world.bot.sent_texts(YES_CHAT)[before[YES_CHAT] :] == preview["telegram"]
    assert world.bot.sent_texts(NO_CHAT)[before[NO_CHAT] :] == []
    assert world.bot.sent_texts(BLOCKS_CHAT)[before[BLOCKS_CHAT] :] == []
    blocked = [c for c in world.bot.calls("sendMessage") if c.params["chat_id"] == BLOCKS_CHAT]
    assert [c.status for c in blocked][before[BLOCKS_CHAT] :] == [403]  # tried once

    # The web: shown once on the next visit, in the preview's words; nothing for a no.
    def notes(visitor: Visitor) -> list[str]:
        page = visitor.open()
        assert page.status == 404 and "This check-in has closed" in page.html
        return [_words(n.with_class("text")[0].text()) for n in page.doc.with_class("note")]

    on_the_web = [_words(t) for t in preview["web"]]
    assert notes(web_yes) == on_the_web
    assert notes(web_yes) == on_the_web  # still there, not twice
    assert notes(web_no) == []
    assert notes(Visitor(world.app.test_client(), "DEMO")) == []  # a new visitor: nothing

    # The counts: 2 + 1 sent, 1 shown on the web, 2 stopped or blocked before it went.
    counts = worker.get(f"{PAGE}/counts.json").get_json()
    assert counts == {
        "queued": 0,
        "sent": 3,
        "delivered": 0,
        "failed": 0,
        "opted_out": 2,
        "web_waiting": 0,
        "web_shown": 1,
        "web_not_back": 0,
    }
    for sid in [m["sid"] for m in made if m["to"] == YES_SMS]:
        world.status(sid, "delivered")
    counts = worker.get(f"{PAGE}/counts.json").get_json()
    assert (counts["sent"], counts["delivered"]) == (2, 1)
    page = worker.get(PAGE).get_data(as_text=True)
    assert '<td class="numeric" data-count="delivered">1</td>' in page

    # A second press sends nothing twice.
    again_page = _send(worker)
    assert "Nobody new to send to." in again_page
    world.text(YES_SMS, "thanks")  # a reply: TwiML, not a report
    assert len(world.twilio.messages) == 8
    assert len(world.bot.sent_texts(YES_CHAT)) == before[YES_CHAT] + 1
    assert worker.get(f"{PAGE}/counts.json").get_json() == {**counts}
