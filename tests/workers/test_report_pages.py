"""'You said, we did' in the workers' area, through the real app: write it, see each
channel's exact words, be stopped by a text that is too long or hard words, confirm, send
once, and read the counts."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from tests.workers.conftest import token
from voicebox.bot import replies
from voicebox.bot.messages import InboundMessage
from voicebox.bot.report_back import opening
from voicebox.storage.audit import REPORT_BACK_SENT, AuditFilter, list_audit
from voicebox.storage.consultations import get_consultation
from voicebox.storage.models import OutboxMessage, SafeguardingFlag
from voicebox.storage.themes import create_theme

_ids = itertools.count()
PAGE = "/workers/checkins/YOUTH1/report"


def _check_in(area, phone: str, hear_back: str) -> None:
    for words in ("YOUTH1", "1", "1", "2", "Friends", "The noise", "More buses", "2", hear_back):
        area.services.engine.handle(
            InboundMessage("sms", f"sms:{phone}", words, message_id=f"p{next(_ids)}")
        )


@pytest.fixture
def youth(area):
    """Two yes to hearing back, one no; a theme; a youth worker signed in."""
    _check_in(area, "+447700900001", "1")
    _check_in(area, "+447700900002", "1")
    _check_in(area, "+447700900003", "2")
    found = get_consultation(area.services.database, "YOUTH1")
    assert found is not None
    area.theme = create_theme(area.services.database, found.id, "Buses")
    return area.signed_in("youth@example.org")


def _save(client, theme: int, said: str, did: str = "", next_: str = "", status: str = "done"):
    data = {
        "csrf_token": token(client, PAGE),
        f"said-{theme}": said,
        f"did-{theme}": did,
        f"next-{theme}": next_,
        f"status-{theme}": status,
    }
    return client.post(PAGE, data=data)


def test_write_preview_confirm_and_send_once(area, youth):
    saved = _save(
        youth, area.theme, "Buses are late.", "We asked for more buses.", "We meet them in May."
    )
    assert saved.status_code == 302
    page = youth.get(PAGE).get_data(as_text=True)
    assert "Saved. Check the preview below before you send it." in page
    assert opening("Youth club check-in") in page
    assert "You said: Buses are late.\nWe did this: We asked for more buses." in page
    assert "It will go to 2 people: 2 by text message." in page
    assert "It never goes to the 1 who said no to hearing back" in page
    confirm = youth.get(f"{PAGE}/send").get_data(as_text=True)
    assert "Yes, send it now" in confirm and "It will go to 2 people" in confirm
    assert youth.get(f"{PAGE}/counts.json").get_json()["queued"] == 0  # not before confirming
    sent = youth.post(f"{PAGE}/send", data={"csrf_token": token(youth, f"{PAGE}/send")})
    assert sent.status_code == 302
    assert "Sent to 2 people." in youth.get(sent.headers["Location"]).get_data(as_text=True)
    again = youth.post(f"{PAGE}/send", data={"csrf_token": token(youth, f"{PAGE}/send")})
    assert "Nobody new to send to." in youth.get(again.headers["Location"]).get_data(as_text=True)
    counts = youth.get(f"{PAGE}/counts.json").get_json()
    assert counts["queued"] == 2 and counts["sent"] == 0
    logged, _ = list_audit(area.services.database, AuditFilter(action=REPORT_BACK_SENT))
    assert [(e.worker_email, e.consultation_code) for e in logged] == [
        ("youth@example.org", "YOUTH1"),
        ("youth@example.org", "YOUTH1"),
    ]  # each press, the second that sent nothing too


def test_a_long_text_or_hard_words_stop_the_send(area, youth):
    long_said = "Buses are late and full and slow and we wait a long time in the rain for them."
    _save(
        youth,
        area.theme,
        long_said,
        "We asked the bus company to add more buses on the route.",
        "They said yes.",
    )
    page = youth.get(PAGE).get_data(as_text=True)
    assert "A text holds 160: make it shorter." in page
    assert "Fix these before you send it" in page and "Send it back</a>" not in page
    refused = youth.post(f"{PAGE}/send", data={"csrf_token": token(youth, f"{PAGE}/send")})
    assert "Nothing was sent." in youth.get(refused.headers["Location"]).get_data(as_text=True)
    _save(youth, area.theme, "Buses are late.", "We will facilitate stakeholder engagement.")
    hard = youth.get(PAGE).get_data(as_text=True)
    assert "What we did:" in hard and "Fix these before you send it" in hard
    assert youth.get(f"{PAGE}/counts.json").get_json()["queued"] == 0


def test_nothing_to_send_without_a_theme_written(area, youth):
    page = youth.get(PAGE).get_data(as_text=True)
    assert "Send it back" not in page
    refused = youth.post(f"{PAGE}/send", data={"csrf_token": token(youth, f"{PAGE}/send")})
    assert "Nothing was sent." in youth.get(refused.headers["Location"]).get_data(as_text=True)


def test_another_groups_worker_cannot_see_or_send(area, youth):
    _save(youth, area.theme, "Buses are late.", "We asked.")
    council = area.signed_in("council@example.org")
    assert council.get(PAGE).status_code == 404
    assert council.get(f"{PAGE}/counts.json").status_code == 404
    csrf = token(council, "/workers/checkins/COUNCIL/report")
    assert council.post(f"{PAGE}/send", data={"csrf_token": csrf}).status_code == 404


def test_a_reply_reaches_the_worker_and_a_call_for_help_is_flagged(area, youth):
    """After it is sent, a reply gets a thank-you, shows in the conversation beside what we
    sent, and 'i want to die' in a reply raises a flag as anywhere else."""
    _save(youth, area.theme, "Buses are late.", "We asked for more buses.")
    youth.post(f"{PAGE}/send", data={"csrf_token": token(youth, f"{PAGE}/send")})
    said = area.services.engine.handle(
        InboundMessage("sms", "sms:+447700900001", "Thanks, that is good", message_id="reply-1")
    )
    assert [m.text for m in said.replies] == [replies.REPLY_TO_REPORT]
    never_heard = area.services.engine.handle(
        InboundMessage("sms", "sms:+447700900003", "Hello again", message_id="reply-2")
    )
    assert [m.text for m in never_heard.replies] == [replies.FINISHED.format(code="YOUTH1")]
    helped = area.services.engine.handle(
        InboundMessage("sms", "sms:+447700900002", "i want to die", message_id="reply-3")
    )
    assert [m.purpose for m in helped.replies] == ["safeguarding"]
    with area.services.database.reading() as conn:
        flags = conn.execute(select(SafeguardingFlag.phrase, SafeguardingFlag.status)).all()
    assert [tuple(f) for f in flags] == [("want to die", "new")]
    listing = youth.get("/workers/checkins/YOUTH1/conversations").get_data(as_text=True)
    links = re.findall(r'href="/workers/conversations/(\d+)"', listing)
    pages = [youth.get(f"/workers/conversations/{n}").get_data(as_text=True) for n in links]
    replied = next(p for p in pages if "Thanks, that is good" in p)
    assert replied.count("Voicebox, you said, we did") == 3  # opening, the theme, the close
    assert replied.index("You said: Buses are late.") < replied.index("Thanks, that is good")


def test_the_public_page_opens_only_when_a_worker_opens_it(area, youth):
    """404 until opened; then the workers' words with pictures, a count kept to the
    fewer-than-5 rule, and no young person's own words; closing it hides it again."""
    public = area.client()
    assert public.get("/you-said-we-did/YOUTH1").status_code == 404
    _save(youth, area.theme, "Buses are late.", "We asked for more buses.", "We meet in May.")
    assert public.get("/you-said-we-did/YOUTH1").status_code == 404  # saved, not opened
    opened = youth.post(f"{PAGE}/public", data={"csrf_token": token(youth, PAGE), "public": "yes"})
    assert "The public page is open." in youth.get(opened.headers["Location"]).get_data(
        as_text=True
    )
    page = public.get("/you-said-we-did/youth1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Buses are late." in text and "We did this:" in text and "We meet in May." in text
    assert "Fewer than 5 people talked about this." in text
    assert "More buses" not in text and "Friends" not in text  # what young people typed
    assert text.count('alt=""') == 3 and "/pictures/talk" in text
    youth.post(f"{PAGE}/public", data={"csrf_token": token(youth, PAGE), "public": "no"})
    assert public.get("/you-said-we-did/YOUTH1").status_code == 404
    assert public.get("/you-said-we-did/" + "X" * 40).status_code == 404


def test_curly_quotes_from_a_word_processor_go_as_plain_ones_but_emoji_stop_the_send(area, youth):
    """Words pasted from a document: ’ and “ ” are sent as ' and ", so they do not stop it;
    an emoji cannot go by text, so it does."""
    _save(youth, area.theme, "You said the buses are “always late”.", "We’ve asked for more.")
    page = youth.get(PAGE).get_data(as_text=True)
    assert "You said: You said the buses are &#34;always late&#34;." in page
    assert "Fix these before you send it" not in page
    _save(youth, area.theme, "Buses are late 🚌.", "We asked for more.")
    stopped = youth.get(PAGE).get_data(as_text=True)
    assert "A text cannot carry these characters: 🚌" in stopped


def test_someone_who_took_part_in_a_terminal_is_not_sent_it_and_the_page_says_why(area, youth):
    """Before: a yes typed in `voicebox chat` was queued for a terminal that is gone, and
    counted as waiting for ever. Now it is left out, and the page says how many."""
    for words in ("YOUTH1", "1", "1", "2", "Friends", "The noise", "More buses", "2", "1"):
        area.services.engine.handle(InboundMessage("console", "console:worker", words))
    _save(youth, area.theme, "Buses are late.", "We asked for more buses.")
    page = youth.get(PAGE).get_data(as_text=True)
    assert "It will go to 2 people: 2 by text message." in page
    assert "1 more took part in a way it cannot reach now, such as a terminal." in page
    confirm = youth.get(f"{PAGE}/send").get_data(as_text=True)
    assert "It will go to 2 people" in confirm and "such as a terminal" in confirm
    sent = youth.post(f"{PAGE}/send", data={"csrf_token": token(youth, f"{PAGE}/send")})
    assert "Sent to 2 people." in youth.get(sent.headers["Location"]).get_data(as_text=True)
    with area.services.database.reading() as conn:
        channels = conn.scalars(select(OutboxMessage.channel).distinct()).all()
    assert channels == ["sms"]
    assert youth.get(f"{PAGE}/counts.json").get_json()["queued"] == 2
