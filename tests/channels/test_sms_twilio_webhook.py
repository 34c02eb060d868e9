"""POST /sms/twilio and /sms/twilio/status through the real app, signed like Twilio signs.

Courier-style tables: a label, what is sent, what must come back, what must be kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select, text, update

from voicebox.bot import replies
from voicebox.bot.engine import MAX_ANSWER_CHARS
from voicebox.bot.messages import OutboundMessage
from voicebox.storage import outbox
from voicebox.storage.export import csv_chunks, export_rows, json_chunks
from voicebox.storage.models import (
    Answer,
    Conversation,
    InboundMessageId,
    OutboxMessage,
    Participant,
    SafeguardingFlag,
    TranscriptMessage,
)

# -- signatures -----------------------------------------------------------------------------

# (label, public URL, how the request is signed, expected status)
SIGNATURE_CASES = [
    ("good signature", None, {}, 200),
    ("missing signature", None, {"signature": None}, 403),
    ("empty signature", None, {"signature": ""}, 403),
    ("wrong signature", None, {"signature": "bm9wZQ=="}, 403),
    ("signed with another token", None, {"token": "someone-elses-token"}, 403),
    ("signed for another URL", None, {"signed_url": "http://localhost/other"}, 403),
    ("a field changed after signing", None, {"tamper": {"Body": "something else"}}, 403),
    ("a field added after signing", None, {"tamper": {"OptOutType": "STOP"}}, 403),
    ("signed with the query string", None, {"query": "campaign=spring"}, 200),
    (
        "query string left out of the signature",
        None,
        {"query": "campaign=spring", "signed_url": "http://localhost/sms/twilio"},
        403,
    ),
    (
        "behind a proxy: signed for the public URL",
        "https://voice.example.org",
        {"signed_url": "https://voice.example.org/sms/twilio"},
        200,
    ),
    (
        "behind a proxy: public URL with the query string",
        "https://voice.example.org",
        {"query": "x=1", "signed_url": "https://voice.example.org/sms/twilio?x=1"},
        200,
    ),
    (
        "behind a proxy: signed for the inside URL",
        "https://voice.example.org",
        {"signed_url": "http://localhost/sms/twilio"},
        403,
    ),
    (
        "behind a proxy: signed for another host",
        "https://voice.example.org",
        {"signed_url": "https://evil.example.org/sms/twilio"},
        403,
    ),
]


@pytest.mark.parametrize(
    ("label", "public_url", "how", "status"),
    SIGNATURE_CASES,
    ids=[c[0] for c in SIGNATURE_CASES],
)
def test_signature(sms_factory, label, public_url, how, status):
    """Only requests Twilio signed are answered; anything else gets 403 and keeps nothing."""
    from twilio.request_validator import RequestValidator

    sms = sms_factory(public_url=public_url)
    fields = sms.form("DEMO")
    signed = dict(fields)
    fields.update(how.get("tamper", {}))
    query = how.get("query", "")
    signature = how.get("signature", "good")
    if "token" in how:
        url = how.get("signed_url") or sms.url(query=query)
        signature = RequestValidator(how["token"]).compute_signature(url, signed)
    response = sms.post_form(
        fields,
        query=query,
        signature=signature,
        signed_url=how.get("signed_url"),
        signed_fields=signed,
    )
    assert response.status_code == status, label
    if status == 403:
        assert sms.nothing_stored(), label
        assert b"<Message>" not in response.data
    else:
        assert response.mimetype == "text/xml"
        assert sms.replies(response.data), label
        assert sms.count(InboundMessageId) == 1


def test_repeated_fields_are_signed_as_received(sms):
    """Every value of a repeated field takes part in the signature, as Twilio signs it."""
    from werkzeug.datastructures import MultiDict

    fields = MultiDict(list(sms.form("DEMO").items()) + [("Extra", "b"), ("Extra", "a")])
    signature = sms.validator.compute_signature(sms.url(), fields)
    response = sms.client.post(
        "/sms/twilio", data=fields, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    fields.setlist("Extra", ["a"])
    response = sms.client.post(
        "/sms/twilio", data=fields, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_no_token_means_no_route(sms_factory):
    """Without VOICEBOX_TWILIO_AUTH_TOKEN the SMS routes do not exist: 404, nothing kept."""
    sms = sms_factory(token=None)
    for path in ("/sms/twilio", "/sms/twilio/status"):
        response = sms.client.post(path, data=sms.form("DEMO"))
        assert response.status_code == 404
        assert sms.client.get(path).status_code == 404
    assert sms.nothing_stored()


def test_status_callback_needs_a_signature(sms):
    """An unsigned status callback changes nothing."""
    response = sms.post_form(
        {"MessageSid": "SM1", "MessageStatus": "failed"}, path="/sms/twilio/status", signature=None
    )
    assert response.status_code == 403


def test_get_is_not_allowed(sms):
    """The webhook takes POST only."""
    assert sms.client.get("/sms/twilio").status_code == 405


# -- joining, answers, duplicates --------------------------------------------------------------

JOIN_CASES = [
    ("code alone", "DEMO", True),
    ("code in lower case", "demo", True),
    ("join and the code", "join demo", True),
    ("code with spaces", "  Demo  ", True),
    ("other flow", "JOIN CORNER", True),
    ("no code", "hello", False),
    ("unknown code", "NOPE12", False),
    ("empty body", "", False),
]


@pytest.mark.parametrize(("label", "body", "joins"), JOIN_CASES, ids=[c[0] for c in JOIN_CASES])
def test_joining(sms, label, body, joins):
    """A first message with a code starts the check-in; without one, one line says how."""
    texts = sms.send(body)
    if joins:
        assert "1 Yes, that is OK" in texts[-1]
        assert sms.count(Conversation) == 1
    else:
        assert texts == [replies.JOIN_HINT]
        assert sms.count(Conversation) == 0


def test_duplicate_message_sid_is_handled_once(sms):
    """The same MessageSid twice: stored once, and the second delivery gets the same reply."""
    sms.send("DEMO")
    sms.send("yes")
    sms.send("1")  # school
    fields = sms.form("Good", MessageSid="SM" + "d" * 32)
    first = sms.post_form(fields)
    second = sms.post_form(fields)
    assert first.status_code == second.status_code == 200
    assert sms.replies(first.data)
    assert second.data == first.data  # Twilio tried again: the lost answer, said again
    assert sms.count(InboundMessageId) == 4
    with sms.services.database.engine.connect() as conn:
        step = conn.execute(select(Conversation.step)).scalar_one()
        feelings = conn.execute(select(Answer.answer_key).where(Answer.kind == "feeling")).all()
    assert step == "good"  # moved on once, not twice
    assert [row.answer_key for row in feelings] == ["good"]


def test_duplicate_sid_from_another_number_is_still_a_duplicate(sms):
    """Message ids are unique per channel, whoever sent them; another sender never hears
    the reply the first one got."""
    sid = "SM" + "e" * 32
    assert sms.send("DEMO", MessageSid=sid)
    assert sms.send("DEMO", sender="+447700900456", MessageSid=sid) == []
    assert sms.count(Participant) == 1


# -- words that work at any point ------------------------------------------------------------

STOP_WORDS = ["STOP", "stop", "Stop", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "stop."]
START_WORDS = ["START", "start", "UNSTOP", "YES", "yes"]


def _mid_check_in(sms: Any, sender: str | None = None) -> None:
    for body in ("DEMO", "yes", "2", "Good"):  # home, then how it feels
        sms.send(body, sender=sender or sms.number)


@pytest.mark.parametrize("word", STOP_WORDS)
def test_every_stop_word(sms, word):
    """Each stop word: one short confirmation, then nothing at all until START."""
    _mid_check_in(sms)
    assert sms.send(word) == [replies.STOPPED]
    assert sms.participant().opted_out
    for body in ("hello", "HELP", "DEMO", "I want to kill myself", "", "START please"):
        assert sms.send(body) == [], body
    assert sms.count(OutboxMessage) == 0
    # Nothing is sent, but a call for help after STOP is still flagged for a person.
    assert sms.count(SafeguardingFlag) == 1


@pytest.mark.parametrize("word", START_WORDS)
def test_every_start_word_resumes(sms, word):
    """START, UNSTOP or YES after STOP: welcome back, and the question they were on."""
    _mid_check_in(sms)
    sms.send("STOP")
    texts = sms.send(word)
    assert not sms.participant().opted_out
    joined = "\n".join(texts)
    assert replies.WELCOME_BACK in joined
    assert "What is good about home?" in joined
    assert sms.send("It is calm") == [
        "What is not good about home? Type your answer, or send SKIP."
    ]


def test_yes_is_only_start_after_stop(sms):
    """YES answers the question when the person has not stopped."""
    sms.send("DEMO")
    texts = sms.send("YES")
    assert replies.WELCOME_BACK not in "\n".join(texts)
    assert "Which part of your life" in "\n".join(texts)


def test_help_at_any_point(sms):
    """HELP before joining and mid check-in: what this is and how to stop."""
    assert sms.send("HELP") == [replies.HELP]
    _mid_check_in(sms)
    texts = sms.send("help")
    assert texts[0] == replies.HELP
    assert "What is good about home?" in texts[1]


NOT_STOP_CASES = [
    ("stop in a sentence", "please stop the bus being late", False),
    ("stop with a worry", "stop he hits me", True),
    ("stop and a worry", "STOP I want to kill myself", True),
    ("don't stop", "dont stop asking", False),
]


@pytest.mark.parametrize(
    ("label", "body", "flags"), NOT_STOP_CASES, ids=[c[0] for c in NOT_STOP_CASES]
)
def test_stop_inside_a_sentence_is_an_answer(sms, label, body, flags):
    """A message with 'stop' among other words is not an opt-out; it is checked for worries."""
    _mid_check_in(sms)
    texts = sms.send(body)
    assert not sms.participant().opted_out
    assert replies.STOPPED not in texts
    assert (sms.count(SafeguardingFlag) == 1) is flags
    if flags:
        assert texts[0] == replies.SAFEGUARDING
    assert any("What is not good about home?" in t for t in texts)


# (label, body, OptOutType, expected replies, opted out afterwards)
OPT_OUT_TYPE_CASES = [
    ("Twilio answered STOP", "STOP", "STOP", [], True),
    ("Twilio's own stop keyword", "ARRET", "STOP", [], True),
    ("Twilio answered HELP", "HELP", "HELP", ["What is good about home?"], False),
    (
        "Twilio answered HELP, keyword of its own",
        "INFO",
        "HELP",
        ["What is good about home?"],
        False,
    ),
    ("Twilio answered START", "START", "START", ["What is good about home?"], False),
]


@pytest.mark.parametrize(
    ("label", "body", "opt_out", "expected", "opted_out"),
    OPT_OUT_TYPE_CASES,
    ids=[c[0] for c in OPT_OUT_TYPE_CASES],
)
def test_twilio_opt_out_type(sms, label, body, opt_out, expected, opted_out):
    """OptOutType is honoured, and what Twilio already said is not said again."""
    _mid_check_in(sms)
    if opt_out == "START":
        sms.send("STOP", OptOutType="STOP")
    texts = sms.send(body, OptOutType=opt_out)
    assert len(texts) == len(expected)
    for reply, start in zip(texts, expected, strict=True):
        assert reply.startswith(start)
    assert replies.HELP not in texts and replies.STOPPED not in texts
    assert replies.WELCOME_BACK not in "\n".join(texts)
    assert sms.participant().opted_out is opted_out
    if opted_out:
        assert sms.send("hello") == []


def test_yes_flagged_by_twilio_as_opt_in_still_answers(sms):
    """Twilio counts YES as an opt-in word: with OptOutType=START it still answers consent."""
    sms.send("DEMO")
    texts = sms.send("yes", OptOutType="START")
    assert "Which part of your life" in "\n".join(texts)
    assert not sms.participant().opted_out
    with sms.services.database.engine.connect() as conn:
        assert conn.execute(select(Conversation.consent)).scalar_one() == "given"


# -- hostile and odd input ---------------------------------------------------------------------

HOSTILE = [
    ("empty body", {"Body": ""}),
    ("no Body field", {"Body": None}),
    ("whitespace only", {"Body": " \n\t "}),
    ("media only", {"Body": "", "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/x.jpg"}),
    ("media and NumMedia rubbish", {"Body": "", "NumMedia": "many"}),
    ("emoji", {"Body": "\U0001f44d\U0001f3fd\U0001f602"}),
    ("Arabic", {"Body": "\u0627\u0644\u0645\u062f\u0631\u0633\u0629 \u062c\u064a\u062f\u0629"}),
    ("Chinese", {"Body": "\u5b66\u6821\u5f88\u597d"}),
    ("10,000 characters", {"Body": "long " * 2000}),
    ("NUL bytes", {"Body": "a\x00b\x00\x00c"}),
    ("control characters", {"Body": "\x01\x02\x1b[31m\x7f"}),
    ("XML in the body", {"Body": "</Message><Message>pwned</Message>&amp;<!--"}),
    ("right-to-left override", {"Body": "\u202eevil\u202c"}),
    ("lone combining marks", {"Body": "\u0301\u0301\u0301"}),
    ("very many fields", {f"Extra{i}": "x" for i in range(200)}),
]
STAGES = ["before joining", "at consent", "at a choice", "at a free-text question"]


def _reach(sms: Any, stage: str) -> None:
    steps = {
        "before joining": [],
        "at consent": ["DEMO"],
        "at a choice": ["DEMO", "yes"],
        "at a free-text question": ["DEMO", "yes", "2", "Good"],
    }[stage]
    for body in steps:
        sms.send(body)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(("label", "extra"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_bodies_get_a_short_kind_reply(sms, stage, label, extra):
    """Anything at all, at any point: 200, one or two short GSM-7 replies, never a 500."""
    _reach(sms, stage)
    before = sms.count(InboundMessageId)
    others = {name: value for name, value in extra.items() if name != "Body"}
    texts = sms.send(extra.get("Body"), **others)
    assert 1 <= len(texts) <= 2, texts
    assert "pwned" not in "".join(texts)
    assert sms.count(InboundMessageId) == before + 1
    with sms.services.database.engine.connect() as conn:
        kept = [row.text for row in conn.execute(select(TranscriptMessage.text))]
        kept += [row.answer for row in conn.execute(select(Answer.answer))]
    assert not any("\x00" in text for text in kept)


def test_long_answer_is_kept_up_to_the_limit_and_said_so(sms):
    """A 10,000-character answer keeps 2,000 characters, and the person is told kindly."""
    _reach(sms, "at a free-text question")
    texts = sms.send("a" * 10_000)
    assert texts[0].startswith(replies.LONG_ANSWER.format(limit=f"{MAX_ANSWER_CHARS:,}"))
    (answer,) = [a for a in sms.answers() if a.kind == "top"]
    assert len(answer.answer) == MAX_ANSWER_CHARS


def test_media_only_is_answered_kindly(sms):
    """A picture with no words: thank you, I can only read words, and the question again."""
    _reach(sms, "at a choice")
    texts = sms.send("", NumMedia="1")
    assert texts[0].startswith(replies.MEDIA_ONLY)
    assert "1 School or college" in texts[-1]


MALFORMED = [
    ("no From", {"From": None}, 400),
    ("empty From", {"From": ""}, 400),
    ("From with spaces", {"From": "+44 7700 900123"}, 400),
    ("no message sid", {"MessageSid": None, "SmsMessageSid": None, "SmsSid": None}, 400),
    ("sid far too long", {"MessageSid": "SM" + "1" * 200}, 400),
]


@pytest.mark.parametrize(("label", "change", "status"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_requests(sms, label, change, status):
    """Signed but not a message we can read: a 4xx with empty TwiML, nothing kept."""
    fields = sms.form("DEMO")
    for name, value in change.items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = value
    response = sms.post_form(fields)
    assert response.status_code == status
    assert response.mimetype == "text/xml"
    assert sms.replies(response.data) == []
    assert sms.nothing_stored()


def test_json_instead_of_a_form(sms):
    """A signed request with a JSON body has no From: 400, never a 500."""
    signature = sms.validator.compute_signature(sms.url(), {})
    response = sms.client.post(
        "/sms/twilio",
        data=json.dumps({"From": sms.number, "Body": "DEMO"}),
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 400
    assert sms.nothing_stored()


def test_too_large_request(sms):
    """A body over the app's size limit is refused before anything is read or kept."""
    fields = sms.form("x" * 300_000)
    response = sms.post_form(fields)
    assert response.status_code == 413
    assert sms.nothing_stored()


def test_a_database_failure_is_not_a_500(sms):
    """When the database fails mid-message: 503 with empty TwiML, nothing half-kept."""
    with sms.services.database.engine.begin() as conn:
        conn.execute(text("DROP TABLE transcript_messages"))
    sms.send("DEMO")  # before consent nothing goes to the transcript: still fine
    response = sms.post_form(sms.form("yes"))
    assert response.status_code == 503
    assert response.mimetype == "text/xml"
    assert sms.replies(response.data) == []
    assert sms.count(InboundMessageId) == 1  # the failed message was rolled back


# -- whole check-ins over SMS, ending in the export ----------------------------------------------

PLANS = {
    "DEMO": {
        "consent": "1",
        "topic": "2",
        "feeling": "not good",
        "another": "No",
        "hear_back": "1",
    },
    "CORNER": {"consent": "Yes", "hear_back": "2"},
}


def _step(sms: Any) -> tuple[str, bool]:
    with sms.services.database.engine.connect() as conn:
        row = conn.execute(
            select(Conversation.step, Conversation.ended_at).order_by(Conversation.id.desc())
        ).first()
    return row.step, row.ended_at is not None


@pytest.mark.parametrize(
    ("code", "flow", "kinds"),
    [
        ("DEMO", "tops_and_pants", {"top", "pants", "better", "feeling"}),
        ("CORNER", "four_cornerstones", {"top", "better"}),
    ],
)
def test_whole_check_in_lands_in_the_export(sms, code, flow, kinds):
    """Both flows, start to end by SMS; the export says sms and never shows the number."""
    plan = PLANS[code]
    texts = sms.send(f"join {code.lower()}")
    turns = 0
    while True:
        step, ended = _step(sms)
        if ended:
            break
        turns += 1
        assert turns < 40, f"the check-in did not end (stuck at {step})"
        if step in plan:
            body = plan[step]
        elif re.search(r"^1 ", texts[-1], re.MULTILINE):
            body = "1"
        else:
            body = f"My answer about {step}: it is fine, thanks."
        texts = sms.send(body)
    assert texts, "the last message says goodbye"
    rows = list(export_rows(sms.services.database, code))
    assert rows, "answers were kept"
    assert {row["channel"] for row in rows} == {"sms"}
    assert {row["consultation"] for row in rows} == {code}
    assert kinds <= {row["kind"] for row in rows}
    (pseudonym,) = {row["participant"] for row in rows}
    assert re.fullmatch(r"[A-Z][a-z]+-\d{4}", pseudonym)
    for chunks in (csv_chunks, json_chunks):
        text = b"".join(chunks(iter(rows))).decode()
        for needle in (sms.number, sms.number[1:], sms.number[3:], "07700900123"):
            assert needle not in text
    with sms.services.database.engine.connect() as conn:
        transcript = " ".join(r.text for r in conn.execute(select(TranscriptMessage.text)))
    assert sms.number not in transcript


def test_two_people_at_once_stay_apart(sms):
    """Two numbers mid check-in: each one's answers are their own."""
    other = "+447700900456"
    _mid_check_in(sms)
    _mid_check_in(sms, sender=other)
    sms.send("Mine is calm")
    sms.send("Mine is noisy", sender=other)
    answers = {(a.participant_id, a.answer) for a in sms.answers() if a.kind == "top"}
    assert len({pid for pid, _ in answers}) == 2
    assert {text for _, text in answers} == {"Mine is calm", "Mine is noisy"}


# -- status callbacks ------------------------------------------------------------------------------


def _queued_sms(sms: Any, provider_id: str) -> int:
    sms.send("DEMO")
    pid = sms.participant().id
    with sms.services.database.engine.begin() as conn:
        outbox.enqueue(conn, pid, "sms", [OutboundMessage("You said, we did.")], purpose="report")
        conn.execute(
            update(OutboxMessage).values(status="sent", provider_id=provider_id, attempts=1)
        )
        return conn.execute(select(OutboxMessage.id)).scalar_one()


def _delivery(sms: Any) -> tuple[str | None, str | None]:
    with sms.services.database.engine.connect() as conn:
        row = conn.execute(
            select(OutboxMessage.delivery_status, OutboxMessage.delivery_error)
        ).one()
    return row.delivery_status, row.delivery_error


# (label, callbacks in the order they arrive, final status, final error)
STATUS_SEQUENCES = [
    ("in order", ["queued", "sending", "sent", "delivered"], "delivered", None),
    ("late 'sent' after 'delivered'", ["delivered", "sent"], "delivered", None),
    ("late 'queued' after 'sending'", ["sending", "queued"], "sending", None),
    ("failed is final", ["sent", "failed:30003", "delivered"], "failed", "30003"),
    ("undelivered is final", ["undelivered:30005", "sent", "failed"], "undelivered", "30005"),
    ("delivered is final", ["delivered", "undelivered:30008"], "delivered", None),
    ("accepted counts as queued", ["accepted"], "queued", None),
    ("untracked status ignored", ["sent", "read"], "sent", None),
]


@pytest.mark.parametrize(
    ("label", "sequence", "final", "error"),
    STATUS_SEQUENCES,
    ids=[c[0] for c in STATUS_SEQUENCES],
)
def test_status_callbacks_never_go_backwards(sms, label, sequence, final, error):
    """Signed status callbacks keep the delivery status, only ever moving forward."""
    sid = "SM" + "f" * 32
    _queued_sms(sms, sid)
    for item in sequence:
        status, _, code = item.partition(":")
        fields = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1"}
        if code:
            fields["ErrorCode"] = code
        response = sms.post_form(fields, path="/sms/twilio/status")
        assert response.status_code == 204
    assert _delivery(sms) == (final, error)


def test_status_callback_for_an_unknown_message(sms):
    """A callback about a message we never sent changes nothing and is answered 204."""
    _queued_sms(sms, "SM" + "1" * 32)
    response = sms.post_form(
        {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}, path="/sms/twilio/status"
    )
    assert response.status_code == 204
    assert _delivery(sms) == (None, None)


def test_status_callback_with_21610_marks_opted_out(sms):
    """Twilio saying the person unsubscribed marks them opted out."""
    sid = "SM" + "3" * 32
    _queued_sms(sms, sid)
    fields = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21610"}
    assert sms.post_form(fields, path="/sms/twilio/status").status_code == 204
    assert sms.participant().opted_out
    assert sms.send("hello") == []


def test_status_callback_behind_a_proxy(sms_factory):
    """The status callback is checked against the public URL too."""
    sms = sms_factory(public_url="https://voice.example.org")
    sid = "SM" + "4" * 32
    _queued_sms(sms, sid)
    fields = {"MessageSid": sid, "MessageStatus": "delivered"}
    inside = sms.post_form(
        fields, path="/sms/twilio/status", signed_url="http://localhost/sms/twilio/status"
    )
    assert inside.status_code == 403
    assert _delivery(sms) == (None, None)
    assert sms.post_form(fields, path="/sms/twilio/status").status_code == 204
    assert _delivery(sms) == ("delivered", None)


def test_status_callback_without_a_sid(sms):
    """Signed but no MessageSid: 400."""
    response = sms.post_form({"MessageStatus": "sent"}, path="/sms/twilio/status")
    assert response.status_code == 400


def test_to_field_is_ours(sms):
    """The To field (our number) plays no part in who the person is."""
    sms.send("DEMO", To=sms.our_number)
    sms.send("yes", To="+447700900888")
    assert sms.count(Participant) == 1
