"""The SMS channel's pure parts, by tables: GSM-7 text, packing replies, reading Twilio."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicebox.bot.messages import MAX_MESSAGE_CHARS as MAX_INBOUND_CHARS
from voicebox.bot.messages import ChoiceOption, InboundMessage, OutboundMessage
from voicebox.bot.replies import (
    HELP,
    JOIN_HINT,
    LONG_ANSWER,
    REASK_CHOICE,
    SAFEGUARDING,
    STOPPED,
    WELCOME_BACK,
)
from voicebox.bot.results import TurnResult
from voicebox.channels.sms.gsm7 import gsm7_length, non_gsm7, segment_count, to_gsm7
from voicebox.channels.sms.packing import render_segments
from voicebox.channels.sms.sender import failure_from_response, parse_retry_after
from voicebox.channels.sms.settings import SmsSettings
from voicebox.channels.sms.webhook import (
    InvalidRequest,
    parse_inbound,
    parse_status,
    render_twiml,
    replies_to_send,
    signed_url,
)
from voicebox.storage.outbox import DELIVERY_RANK as STATUS_RANK

# -- GSM-7 ---------------------------------------------------------------------------------

GSM7_CASES = [
    ("plain text stays", "Hi, how are you? 1 Yes", "Hi, how are you? 1 Yes"),
    ("GSM-7 accents stay", "Café à Zürich", "Café à Zürich"),
    ("other accents lose the mark", "naïve façade ōū", "naive facade ou"),
    ("curly quotes", "\u201cit\u2019s\u201d", '"it\'s"'),
    ("dashes", "good \u2013 bad \u2014 ok", "good - bad - ok"),
    ("ellipsis", "wait\u2026", "wait..."),
    ("non-breaking space", "a\u00a0b", "a b"),
    ("emoji left out", "Good \U0001f642 day", "Good day"),
    ("emoji with joiners left out", "\U0001f468\u200d\U0001f469\u200d\U0001f467 hi", "hi"),
    ("Arabic becomes question marks", "\u0645\u0631\u062d\u0628\u0627", "?????"),
    ("Chinese becomes question marks", "\u4f60\u597d", "??"),
    ("extended characters stay", "{[~]} \u20ac5", "{[~]} \u20ac5"),
    ("escape character removed", "a\x1bb", "ab"),
    ("carriage returns become line breaks", "a\r\nb\rc", "a\nb\nc"),
    ("tab and form feed become spaces", "a\tb\fc", "a b c"),
    ("compatibility forms", "\ufb01ne x\u00b2", "fine x2"),
    ("control characters left out", "a\x00b\x07c", "abc"),
]


@pytest.mark.parametrize(("label", "text", "expected"), GSM7_CASES, ids=[c[0] for c in GSM7_CASES])
def test_to_gsm7(label, text, expected):
    """Every character is one GSM-7 can carry, replaced by a lookalike or left out."""
    out = to_gsm7(text)
    assert out == expected, label
    assert not non_gsm7(out) and "\x1b" not in out


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_to_gsm7_always_gives_gsm7(text):
    """Whatever comes in, what goes out is GSM-7 with no escape characters."""
    out = to_gsm7(text)
    assert not non_gsm7(out)
    assert "\x1b" not in out and "\r" not in out


SEGMENT_CASES = [
    ("empty", "", 1),
    ("160 plain", "a" * 160, 1),
    ("161 plain", "a" * 161, 2),
    ("306 plain", "a" * 306, 2),
    ("307 plain", "a" * 307, 3),
    ("80 extended count double", "{" * 80, 1),
    ("81 extended count double", "{" * 81, 2),
]


@pytest.mark.parametrize(
    ("label", "text", "count"), SEGMENT_CASES, ids=[c[0] for c in SEGMENT_CASES]
)
def test_segment_count(label, text, count):
    """One segment up to 160 septets, then 153 a part."""
    assert segment_count(text) == count


# -- packing replies -----------------------------------------------------------------------


def say(text: str, purpose: str = "flow") -> OutboundMessage:
    """A message that asks nothing."""
    return OutboundMessage(text, purpose=purpose)


def ask(text: str, *words: str) -> OutboundMessage:
    """A question with numbered options (free text when there are none)."""
    options = tuple(
        ChoiceOption(number=n, key=f"k{n}", words=w) for n, w in enumerate(words, start=1)
    )
    return OutboundMessage(text, options, "step", "choice" if words else "text")


def filler(length: int, word: str = "word") -> str:
    """Plain text of exactly this many characters."""
    text = " ".join([word] * (length // (len(word) + 1) + 1))
    return text[:length].rstrip().ljust(length, "x")


CONSENT = ask(
    "The people who run this group read your answers. We will not share your name. "
    "If you are not safe, they may need to act.",
    "Yes, that is OK",
    "No thanks",
)
HELLO = say("Hi, I am Voicebox. I ask what is good and what is not good for you.")
FEELING = ask("How do you feel about home?", "Very good", "Good", "OK", "Not good", "Bad")
GOOD = ask("What is good about home? Type your answer, or send SKIP.")
LONG = say(LONG_ANSWER.format(limit="2,000"), "notice")
SAFE = say(SAFEGUARDING, "safeguarding")
REASK = say(REASK_CHOICE.format(count=5), "reask")

RENDER_CASES = [
    ("nothing to say", [], []),
    ("one message", [say(JOIN_HINT, "notice")], [JOIN_HINT]),
    (
        "short replies are joined into one message",
        [REASK, FEELING],
        [REASK.text + "\n" + FEELING.as_text()],
    ),
    (
        "replies that do not fit together stay two messages",
        [HELLO, CONSENT],
        [HELLO.text, CONSENT.as_text()],
    ),
    (
        "safeguarding words come first, whole",
        [GOOD, SAFE],
        [SAFEGUARDING, GOOD.text],
    ),
    (
        "safeguarding, a passing remark and a long question: the remark is left out",
        [SAFE, HELLO, CONSENT],
        [SAFEGUARDING, CONSENT.as_text()],
    ),
    (
        "safeguarding, a notice and a question: notice and question share a message",
        [SAFE, LONG, GOOD],
        [SAFEGUARDING, LONG.text + "\n" + GOOD.text],
    ),
    (
        "a re-ask hint goes before a passing remark",
        [say(filler(100)), REASK, ask(filler(150), "Yes")],
        [filler(100), filler(150) + "\n1 Yes"],
    ),
    (
        "a passing remark goes before a notice",
        [say(filler(100, "say")), say(filler(100, "note"), "notice"), ask(filler(150), "Yes")],
        [filler(100, "note"), filler(150) + "\n1 Yes"],
    ),
    (
        "help and a question",
        [say(HELP, "help"), FEELING],
        [HELP, FEELING.as_text()],
    ),
    ("stop confirmation", [say(STOPPED, "stop")], [STOPPED]),
    (
        "welcome back joined with the question",
        [say(WELCOME_BACK, "start"), GOOD],
        [WELCOME_BACK + "\n" + GOOD.text],
    ),
    (
        "characters outside GSM-7 are replaced",
        [say("It\u2019s \U0001f642 fine \u2013 really\u2026")],
        ["It's fine - really..."],
    ),
    (
        "choices show as numbered lines without emoji",
        [
            OutboundMessage(
                "Pick one",
                (ChoiceOption(1, "a", "Home", emoji="\U0001f3e0"),),
                "s",
                "choice",
            )
        ],
        ["Pick one\n1 Home"],
    ),
    (
        "a question too long for one message is cut at words, options kept together",
        [ask(filler(200), "Yes", "No")],
        [filler(159), filler(200)[160:] + "\n1 Yes\n2 No"],
    ),
    ("empty replies are not sent", [say(""), say("Hi")], ["Hi"]),
]


@pytest.mark.parametrize(
    ("label", "messages", "expected"), RENDER_CASES, ids=[c[0] for c in RENDER_CASES]
)
def test_render_segments(label, messages, expected):
    """The engine's replies as at most two SMS of at most 160 GSM-7 characters."""
    segments = render_segments(messages)
    assert segments == expected, label
    assert len(segments) <= 2
    for segment in segments:
        assert not non_gsm7(segment) and gsm7_length(segment) <= 160


def test_render_keeps_first_and_last_when_nothing_can_be_left_out():
    """Three questions (a broken flow): the first and the last message survive."""
    messages = [ask(filler(150, "one"), "A"), ask(filler(150, "two"), "B"), ask("Three", "C")]
    segments = render_segments(messages)
    assert len(segments) == 2
    assert segments[0].startswith("one") and segments[1].endswith("1 C")


_purposes = st.sampled_from(["flow", "notice", "reask", "help", "start", "safeguarding", "end"])
_short_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=90
)
_message = st.builds(
    lambda text, purpose, options: OutboundMessage(
        text,
        tuple(ChoiceOption(n, f"k{n}", f"Option {n}") for n in range(1, options + 1)),
        "step" if options else None,
        "choice" if options else None,
        purpose if not options else "flow",
    ),
    _short_text,
    _purposes,
    st.integers(min_value=0, max_value=4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_message, max_size=5))
def test_render_segments_always_fits(messages):
    """Any replies at all: at most two GSM-7 messages of at most 160 characters."""
    segments = render_segments(messages)
    assert len(segments) <= 2
    for segment in segments:
        assert segment and not non_gsm7(segment) and gsm7_length(segment) <= 160
    questions = [m for m in messages if m.choices]
    if len(questions) == 1 and not any(m.purpose == "safeguarding" for m in messages):
        last_option = questions[0].choices[-1]
        assert f"{last_option.number} {last_option.words}" in "\n".join(segments)


def test_render_twiml():
    """TwiML with one <Message> per segment, escaped; an empty <Response/> for none."""
    assert render_twiml([]) == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    xml = render_twiml(["a & <b>", "two"])
    assert xml == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<Message>a &amp; &lt;b&gt;</Message><Message>two</Message></Response>"
    )


# -- Twilio's own opt-out answers ------------------------------------------------------------

OPT_OUT_CASES = [
    ("no OptOutType: everything", None, [STOPPED], [STOPPED]),
    ("STOP answered by Twilio: nothing", "stop", [say(STOPPED, "stop")], []),
    ("HELP answered by Twilio: nothing", "help", [say(HELP, "help")], []),
    (
        "HELP mid check-in: only the question again",
        "help",
        [say(HELP, "help"), FEELING],
        [FEELING.as_text()],
    ),
    (
        "START answered by Twilio: only the question they were on",
        "start",
        [say(WELCOME_BACK, "start"), GOOD],
        [GOOD.text],
    ),
]


@pytest.mark.parametrize(
    ("label", "opt_out", "replies", "expected"), OPT_OUT_CASES, ids=[c[0] for c in OPT_OUT_CASES]
)
def test_replies_to_send(label, opt_out, replies, expected):
    """What Twilio's Advanced Opt-Out already said is not said twice."""
    replies = [say(r) if isinstance(r, str) else r for r in replies]
    inbound = InboundMessage("sms", "sms:+447700900123", "x", opt_out=opt_out)
    assert render_segments(replies_to_send(inbound, TurnResult(tuple(replies)))) == expected


# -- reading Twilio's webhooks ---------------------------------------------------------------

BASE = {"From": "+447700900123", "To": "+447700900999", "MessageSid": "SM" + "a" * 32}

INBOUND_CASES = [
    ("a text", {**BASE, "Body": "Hello"}, {"text": "Hello", "has_media": False}),
    ("address is URN-like", {**BASE, "Body": "x"}, {"address": "sms:+447700900123"}),
    ("message id", {**BASE, "Body": "x"}, {"message_id": "SM" + "a" * 32}),
    ("no Body", BASE, {"text": ""}),
    ("media only", {**BASE, "NumMedia": "2"}, {"text": "", "has_media": True}),
    ("odd NumMedia", {**BASE, "NumMedia": "lots"}, {"has_media": False}),
    ("superscript NumMedia", {**BASE, "NumMedia": "\u00b9"}, {"has_media": False}),
    ("NUL bytes removed", {**BASE, "Body": "a\x00b\x00"}, {"text": "ab"}),
    ("line breaks kept", {**BASE, "Body": "a\r\nb"}, {"text": "a\nb"}),
    ("emoji kept", {**BASE, "Body": "\U0001f44d"}, {"text": "\U0001f44d"}),
    (
        "very long body cut",
        {**BASE, "Body": "a" * (MAX_INBOUND_CHARS + 50)},
        {"text": "a" * MAX_INBOUND_CHARS},
    ),
    ("OptOutType STOP", {**BASE, "Body": "ARRET", "OptOutType": "STOP"}, {"opt_out": "stop"}),
    ("OptOutType START", {**BASE, "Body": "START", "OptOutType": "START"}, {"opt_out": "start"}),
    ("OptOutType HELP", {**BASE, "Body": "HELP", "OptOutType": "HELP"}, {"opt_out": "help"}),
    ("unknown OptOutType", {**BASE, "Body": "x", "OptOutType": "MAYBE"}, {"opt_out": None}),
    ("no OptOutType", {**BASE, "Body": "STOP"}, {"opt_out": None, "text": "STOP"}),
    (
        "older SmsMessageSid field",
        {"From": "+447700900123", "SmsMessageSid": "SM1", "Body": "x"},
        {"message_id": "SM1"},
    ),
    ("channel", {**BASE, "Body": "x"}, {"channel": "sms", "consultation": None}),
]


@pytest.mark.parametrize(
    ("label", "form", "expected"), INBOUND_CASES, ids=[c[0] for c in INBOUND_CASES]
)
def test_parse_inbound(label, form, expected):
    """Twilio's fields become one InboundMessage."""
    message = parse_inbound(form)
    for name, value in expected.items():
        assert getattr(message, name) == value, (label, name)


BAD_INBOUND = [
    ("no From", {"MessageSid": "SM1", "Body": "x"}),
    ("empty From", {**BASE, "From": " "}),
    ("From with spaces", {**BASE, "From": "+44 7700 900123"}),
    ("From far too long", {**BASE, "From": "+" + "1" * 80}),
    ("no MessageSid", {"From": "+447700900123", "Body": "x"}),
    ("MessageSid with a NUL", {**BASE, "MessageSid": "SM\x00"}),
    ("nothing at all", {}),
]


@pytest.mark.parametrize(("label", "form"), BAD_INBOUND, ids=[c[0] for c in BAD_INBOUND])
def test_parse_inbound_refuses(label, form):
    """Requests that are not messages we can answer."""
    with pytest.raises(InvalidRequest):
        parse_inbound(form)


STATUS_CASES = [
    ("delivered", {"MessageSid": "SM1", "MessageStatus": "delivered"}, ("delivered", None)),
    ("case", {"MessageSid": "SM1", "MessageStatus": "Sent"}, ("sent", None)),
    ("accepted is queued", {"MessageSid": "SM1", "MessageStatus": "accepted"}, ("queued", None)),
    (
        "failed with a code",
        {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30003"},
        ("failed", "30003"),
    ),
    (
        "odd error code dropped",
        {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "<x>"},
        ("undelivered", None),
    ),
    ("older SmsStatus field", {"SmsSid": "SM1", "SmsStatus": "sending"}, ("sending", None)),
    ("untracked status", {"MessageSid": "SM1", "MessageStatus": "read"}, None),
    ("no status", {"MessageSid": "SM1"}, None),
]


@pytest.mark.parametrize(
    ("label", "form", "expected"), STATUS_CASES, ids=[c[0] for c in STATUS_CASES]
)
def test_parse_status(label, form, expected):
    """A status callback becomes a StatusReport (or None when we do not track it)."""
    report = parse_status(form)
    if expected is None:
        assert report is None
    else:
        assert (report.status, report.error) == expected
        assert report.provider_id == "SM1"


def test_parse_status_needs_a_sid():
    """No MessageSid: not a callback we can use."""
    with pytest.raises(InvalidRequest):
        parse_status({"MessageStatus": "sent"})


def test_status_ladder_only_goes_up():
    """queued < sending < sent < delivered; delivered, undelivered, failed are final."""
    assert STATUS_RANK["queued"] < STATUS_RANK["sending"] < STATUS_RANK["sent"]
    assert STATUS_RANK["sent"] < STATUS_RANK["delivered"]
    final = {STATUS_RANK[s] for s in ("delivered", "undelivered", "failed", "canceled")}
    assert final == {max(STATUS_RANK.values())}


SIGNED_URL_CASES = [
    ("no public URL: the request URL", None, "http://10.0.0.5:8000/sms/twilio?a=1", b"a=1",
     "http://10.0.0.5:8000/sms/twilio?a=1"),
    ("public URL and path", "https://voice.example.org", "http://10.0.0.5/sms/twilio", b"",
     "https://voice.example.org/sms/twilio"),
    ("public URL with a trailing slash", "https://voice.example.org/", "http://x/sms/twilio", b"",
     "https://voice.example.org/sms/twilio"),
    ("raw query kept exactly", "https://v.example.org", "http://x/sms/twilio?b=%2F&a=1",
     b"b=%2F&a=1", "https://v.example.org/sms/twilio?b=%2F&a=1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "public", "url", "query", "expected"),
    SIGNED_URL_CASES,
    ids=[c[0] for c in SIGNED_URL_CASES],
)
def test_signed_url(label, public, url, query, expected):
    """Twilio signed the public URL + path + raw query when we are behind a proxy."""
    assert signed_url(public, url, "/sms/twilio", query) == expected


# -- outbound: errors, waits, rates ----------------------------------------------------------

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
FAILURE_CASES = [
    ("429 with Retry-After", 429, b'{"code": 20429}', "7", (True, False, 7.0)),
    ("429 without Retry-After", 429, b"", None, (True, False, None)),
    ("500", 500, b"oops", None, (True, False, None)),
    ("503 with Retry-After", 503, b"{}", "30", (True, False, 30.0)),
    ("21610 unsubscribed", 400, b'{"code": 21610, "status": 400}', None, (False, True, None)),
    ("21211 bad number", 400, b'{"code": 21211, "status": 400}', None, (False, False, None)),
    ("401 bad credentials", 401, b'{"code": 20003}', None, (False, False, None)),
    ("404", 404, b"not json", None, (False, False, None)),
]


@pytest.mark.parametrize(
    ("label", "status", "body", "retry_after", "expected"),
    FAILURE_CASES,
    ids=[c[0] for c in FAILURE_CASES],
)
def test_failure_from_response(label, status, body, retry_after, expected):
    """429 and 5xx are retried (waiting as asked); 21610 opts out; other 4xx are final."""
    failure = failure_from_response(status, body, retry_after)
    assert (failure.retry, failure.opted_out, failure.wait) == expected
    assert "+44" not in failure.reason


RETRY_AFTER_CASES = [
    ("seconds", "12", 12.0),
    ("fraction", "1.5", 1.5),
    ("HTTP date", "Mon, 23 Nov 2026 12:00:30 GMT", 30.0),
    ("date in the past", "Mon, 23 Nov 2026 11:00:00 GMT", 0.0),
    ("capped at an hour", "999999", 3600.0),
    ("negative", "-5", 0.0),
    ("rubbish", "soon", None),
    ("not a number", "nan", None),
    ("absent", None, None),
]


@pytest.mark.parametrize(
    ("label", "value", "expected"), RETRY_AFTER_CASES, ids=[c[0] for c in RETRY_AFTER_CASES]
)
def test_parse_retry_after(label, value, expected):
    """Retry-After in seconds or as an HTTP date."""
    assert parse_retry_after(value, now=NOW) == expected


RATE_SETTING_CASES = [
    ("unset", {}, 1.0),
    ("empty", {"VOICEBOX_TWILIO_RATE": " "}, 1.0),
    ("set", {"VOICEBOX_TWILIO_RATE": "10"}, 10.0),
    ("fraction", {"VOICEBOX_TWILIO_RATE": "0.5"}, 0.5),
    ("zero falls back", {"VOICEBOX_TWILIO_RATE": "0"}, 1.0),
    ("negative falls back", {"VOICEBOX_TWILIO_RATE": "-3"}, 1.0),
    ("rubbish falls back", {"VOICEBOX_TWILIO_RATE": "fast"}, 1.0),
    ("infinity falls back", {"VOICEBOX_TWILIO_RATE": "inf"}, 1.0),
]


@pytest.mark.parametrize(
    ("label", "env", "expected"), RATE_SETTING_CASES, ids=[c[0] for c in RATE_SETTING_CASES]
)
def test_sender_rate(label, env, expected):
    """VOICEBOX_TWILIO_RATE: segments a second, default 1."""
    assert SmsSettings.from_env(env).rate == expected
