"""Issue 10's "done when", in one journey on the real app: a worker signs in, sees DEMO's
results after check-ins by SMS and the web, reads a transcript with no phone number
visible, handles a flag whose alert reached a fake mail server, downloads the QR code that
scans to /c/DEMO and the answers; a worker of another group sees none of it."""

from __future__ import annotations

import csv
import io
import itertools
import shutil

from sqlalchemy import select

from tests.channels.webpage import parse
from tests.fake_alerts import FakeMailServer
from tests.qr import scan
from tests.workers.conftest import make_area, token
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import ensure_demo
from voicebox.storage.database import Database
from voicebox.storage.models import Conversation, SafeguardingFlag
from voicebox.storage.workers import add_group_contact, set_consultation_group

PUBLIC = "http://voice.example.org"
_ids = itertools.count()


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def test_the_whole_journey(area_template, tmp_path, flows):
    path = tmp_path / "area.db"
    shutil.copyfile(area_template, path)
    database = Database(f"sqlite:///{path}")
    ensure_demo(database, flows)
    set_consultation_group(database, "DEMO", "Youth club")
    add_group_contact(database, "Youth club", "dsl@youth.example")
    mail = FakeMailServer().start()
    area = make_area(database, public_url=PUBLIC, env=mail.env())
    try:
        engine = area.services.engine

        def say(channel: str, address: str, *texts: str) -> None:
            for text in texts:
                code = "DEMO" if channel == "web" else None
                engine.handle(
                    InboundMessage(channel, address, text, f"d{next(_ids)}", consultation=code)
                )

        for n in range(3):  # three by SMS, one typing a phone number
            said = "ring 07700 900321 any time" if n == 0 else "my teacher is kind"
            say("sms", f"sms:+4477009004{n:02d}", "DEMO", "1", "1", "1", said)
        for n in range(3):  # three on the web chat, one asking for help
            said = "i want to die" if n == 0 else "lunch is good"
            say("web", f"web:visitor-{n}", "", "1", "1", "1", said)
        area.dispatch()

        worker = area.signed_in("youth@example.org")
        results = _text(worker.get("/workers/checkins/DEMO/results"))
        assert "6 people have taken part." in results
        assert "Text message: fewer than 5" in results and "Web chat: fewer than 5" in results

        with database.read_sessions() as session:
            typed = session.scalars(select(Conversation.id).order_by(Conversation.id)).first()
        html = worker.get(f"/workers/conversations/{typed}").get_data(as_text=True)
        assert "ring [phone number] any time" in parse(html).text()
        assert "07700 900321" not in html and "7700900400" not in html

        (sent,) = mail.received
        with database.read_sessions() as session:
            (flag,) = session.scalars(select(SafeguardingFlag.id)).all()
        assert sent.recipients == ["dsl@youth.example"]
        assert f"{PUBLIC}/workers/flags/{flag}" in sent.text and "die" not in sent.text
        review = {
            "csrf_token": token(worker, f"/workers/flags/{flag}"),
            "status": "acted",
            "note": "Spoke to them; told the safeguarding lead",
        }
        assert worker.post(f"/workers/flags/{flag}", data=review).status_code == 302
        assert "No new safeguarding flags" in _text(worker.get("/workers/"))

        poster = _text(worker.get("/workers/checkins/DEMO/poster"))
        assert "DEMO" in poster
        assert scan(worker.get("/workers/checkins/DEMO/qr.png").data) == [f"{PUBLIC}/c/DEMO"]

        exported = worker.get("/workers/checkins/DEMO/export.csv").get_data(as_text=True)
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert {row["channel"] for row in rows} == {"sms", "web"}
        assert "ring [phone number] any time" in {row["answer"] for row in rows}
        assert "07700 900321" not in exported and "+44" not in exported

        other = area.signed_in("council@example.org")
        for page in (
            "/workers/checkins/DEMO",
            "/workers/checkins/DEMO/results",
            "/workers/checkins/DEMO/live",
            "/workers/checkins/DEMO/conversations",
            f"/workers/conversations/{typed}",
            f"/workers/flags/{flag}",
            "/workers/checkins/DEMO/poster",
            "/workers/checkins/DEMO/qr.png",
            "/workers/checkins/DEMO/export.csv",
            "/workers/checkins/DEMO/edit",
        ):
            assert other.get(page).status_code == 404, page
        assert "DEMO" not in _text(other.get("/workers/"))
        assert f"Flag {flag}" not in _text(other.get("/workers/flags"))
    finally:
        mail.stop()
        area.services.database.dispose()
