"""Golden transcripts: every file in tests/transcripts, played through the real engine and store.

Each file gives a flow's join code and turns (`send`, and the `expect`ed replies, each as
the text SMS would show), then the `answers` the export must hold (question_id, answer,
answer_key, kind, topic) and the safeguarding `flags` raised ("category: phrase").
Optional: `button` per turn (a payload instead of text; for cards "step:key,key" with
the turn's `send` as the words), `keeps_nothing: true` for a file where nothing may be
kept, `also` (more check-ins to make, code: flow id), `channel` (sms, console or web:
the web has buttons, so its words differ) and `address`. A file is named
flow.scenario.yaml, or flow.scenario.channel.yaml for the same scenario on another channel.

Golden text catches every change of wording; the scenario promises below are checked
apart from it, so a careless re-recording cannot make a broken behaviour golden.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.bot.words import command_word
from voicebox.flows import load_builtin_flows
from voicebox.storage.consultations import create_consultation, get_consultation
from voicebox.storage.database import Database
from voicebox.storage.export import export_rows
from voicebox.storage.models import Conversation, Participant, SafeguardingFlag, TranscriptMessage
from voicebox.storage.store import SqlStore

TRANSCRIPTS = sorted((Path(__file__).parent.parent / "transcripts").glob("*.yaml"))
SECRET = b"golden-transcript-secret"
ANSWER_KEYS = ("question_id", "answer", "answer_key", "kind", "topic")


def play(db: Database, script: dict) -> dict:
    """Send each turn through Engine.handle; return replies, export rows and flags."""
    flows = load_builtin_flows()
    flow = flows[script["flow"]]
    code = script["code"]
    for each, flow_id in {code: flow.id, **(script.get("also") or {})}.items():
        if get_consultation(db, each) is None:
            other = flows[flow_id]
            create_consultation(db, each, other.id, other.version, f"Golden {other.id}")
    engine = Engine(flows.values(), SqlStore(db, SECRET))
    channel = script.get("channel", "sms")
    address = f"{channel}:{script.get('address', '+447700900001')}"
    replies = []
    page = code
    for number, turn in enumerate(script["turns"]):
        if isinstance(turn.get("send"), bool):  # YAML reads a bare no/yes/off as a boolean
            raise ValueError(f"turn {number}: quote the text to send, e.g. send: 'no'")
        inbound = InboundMessage(
            channel=channel,
            address=address,
            text=str(turn.get("send", "")),
            payload=turn.get("button"),
            message_id=f"golden-{number}",
            consultation=page if channel == "web" else None,
            buttons=channel == "web",
        )
        result = engine.handle(inbound)
        replies.append([message.as_text() for message in result.replies])
        if channel == "web" and result.consultation is not None:
            page = result.consultation.code  # the page follows the person to a new check-in
    rows = [{key: row[key] for key in ANSWER_KEYS} for row in export_rows(db, code)]
    with db.engine.connect() as conn:
        flags = [
            f"{category}: {phrase}"
            for category, phrase in conn.execute(
                select(SafeguardingFlag.category, SafeguardingFlag.phrase).order_by(
                    SafeguardingFlag.id
                )
            )
        ]
        transcript = conn.scalar(select(func.count(TranscriptMessage.id)))
        conversation = conn.execute(
            select(Conversation.consent, Conversation.ended_at, Conversation.flagged)
            .order_by(Conversation.id.desc())
            .limit(1)
        ).one_or_none()
        opted_out = conn.scalar(select(Participant.opted_out))
        people = conn.scalar(select(func.count(Participant.id)))
    return {
        "replies": replies,
        "answers": rows,
        "flags": flags,
        "transcript": transcript,
        "consent": conversation.consent if conversation else None,
        "ended": conversation.ended_at is not None if conversation else None,
        "flagged": conversation.flagged if conversation else None,
        "opted_out": opted_out,
        "people": people,
    }


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_golden_transcript(database, path):
    """What the engine says, and what lands in the store, match the golden file."""
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = play(database, script)
    for number, (turn, got) in enumerate(zip(script["turns"], result["replies"], strict=True)):
        expected = [text.rstrip("\n") for text in turn.get("expect") or []]
        assert got == expected, f"turn {number} (sent {turn.get('send')!r})"
    assert result["answers"] == (script.get("answers") or [])
    assert result["flags"] == (script.get("flags") or [])
    if script.get("keeps_nothing"):
        assert result["transcript"] == 0
        assert result["answers"] == []
    else:
        assert result["transcript"] > 0


def _sent(script: dict) -> list[str]:
    return [str(turn.get("send", "")) for turn in script["turns"]]


def _check_happy(script: dict, result: dict) -> None:
    assert result["consent"] == "given" and result["ended"]
    kinds = {row["kind"] for row in result["answers"]}
    assert {"top", "pants", "better"} <= kinds
    sent = _sent(script)
    for row in result["answers"]:  # every free-text answer is exactly what was typed
        if row["answer_key"] == "":
            assert row["answer"] in sent


def _check_skip_all(script: dict, result: dict) -> None:
    assert result["consent"] == "given" and result["ended"]
    assert [r for r in result["answers"] if r["kind"] in ("top", "pants", "better")] == []
    assert result["transcript"] > 0  # they agreed, so the conversation itself is kept


def _check_stop_start(script: dict, result: dict) -> None:
    stopped = False
    stops = 0
    for turn, replies in zip(script["turns"], result["replies"], strict=True):
        word = command_word(str(turn.get("send", "")))
        if stopped and (word == "start" or str(turn.get("send")).strip().lower() == "yes"):
            stopped = False
            assert replies, "START is answered"
        elif stopped:
            assert replies == [], f"{turn.get('send')!r} was answered after STOP"
        elif word == "stop":
            stopped = True
            stops += 1
            assert len(replies) == 1 and "START" in replies[0]
    assert stops >= 1 and not stopped
    assert result["opted_out"] is False and result["ended"]
    assert result["answers"], "answers from before STOP and after START are kept"


def _check_consent_no(script: dict, result: dict) -> None:
    assert script.get("keeps_nothing") is True
    assert result["consent"] is None and result["people"] == 0, "no person, no check-in"
    assert result["answers"] == [] and result["transcript"] == 0 and result["flags"] == []
    assert all(replies for replies in result["replies"])


def _check_safeguarding(script: dict, result: dict) -> None:
    assert result["flags"] and result["flagged"]
    sent = " ".join(_sent(script)).lower()
    flagged_turns = [
        number
        for number, replies in enumerate(result["replies"])
        if any("0800 1111" in r and "999" in r for r in replies)
    ]
    assert flagged_turns, "the caring reply gives Childline and 999"
    for flag in result["flags"]:
        assert flag.split(": ", 1)[1] in sent, "the flag names the phrase that was sent"
    for number in flagged_turns:  # the check-in goes on: the next question comes at once
        assert len(result["replies"][number]) >= 2
    assert result["ended"] and result["consent"] == "given"


def _check_back(script: dict, result: dict) -> None:
    """BACK keeps an answer unless a new one is given; the new one replaces it."""
    sent = _sent(script)
    answers = [row["answer"] for row in result["answers"]]
    backs = [n for n, text in enumerate(sent) if command_word(text) == "back"]
    assert backs
    changed = kept = 0
    for number in backs:
        before = sent[number - 1] if number else ""
        after = sent[number + 1] if number + 1 < len(sent) else ""
        if command_word(before) is not None or before.strip().isdigit() or not before:
            continue
        if command_word(after) == "skip":
            assert before in answers, f"{before!r} was kept with SKIP but is not exported"
            kept += 1
        elif command_word(after) is None and not after.strip().isdigit() and after:
            assert before not in answers, f"{before!r} was changed but is still exported"
            changed += 1
    assert changed, "at least one free-text answer is changed with BACK"
    # One row per question and topic, or per card: a card answer is one row per card chosen.
    places = [
        (row["question_id"], row["topic"], row["answer_key"])
        for row in result["answers"]
        if row["answer"]
    ]
    assert len(places) == len(set(places)), "only the new answer is exported"


def _check_back_history(script: dict, result: dict) -> None:
    """Back and forth through topics and 'another part?': every typed answer is kept."""
    sent = _sent(script)
    answers = {row["answer"] for row in result["answers"]}
    typed = [t for t in sent if command_word(t) is None and not t.strip().isdigit()]
    assert "a garden to sit in" in answers  # the one changed answer is the new one
    for text in typed[1:]:
        assert text in answers or text == "quiet rooms", f"{text!r} was lost going back"
    assert "quiet rooms" not in answers  # replaced by the garden
    assert result["consent"] == "given" and not result["ended"]


def _check_stop_phrases(script: dict, result: dict) -> None:
    """Misses always repeat the question; 'make it stop' is care; 'Stop please' stops."""
    sent = _sent(script)
    replies = result["replies"]
    for number, text in enumerate(sent):
        if text == "banana":
            assert len(replies[number]) == 2, "a re-ask always shows the question again"
    care = sent.index("make it stop")
    assert any("0800 1111" in r for r in replies[care]) and len(replies[care]) >= 2
    stop = sent.index("Stop please")
    assert len(replies[stop]) == 1
    assert replies[sent.index("my dad hits me")] == [] and replies[sent.index("hello")] == []
    assert len(result["flags"]) == 2, "the call for help after STOP is still flagged"
    assert result["opted_out"] is False


def _check_codes(script: dict, result: dict) -> None:
    """Codes move people and are never kept as answers; 'four' in lower case answers."""
    answers = [row["answer"] for row in result["answers"]]
    assert not {"DEMO", "YOUTH2", "FOUR"} & set(answers)
    assert "kind teachers" in answers, "answers from before the move are kept"
    sent, replies = _sent(script), result["replies"]
    assert "getting around" in " ".join(replies[sent.index("four")])
    for code in ("YOUTH2", "FOUR"):
        assert code in replies[sent.index(code)][0]


def _check_pictures(script: dict, result: dict) -> None:
    """A check-in by pictures only: each card is its own row; numbers never become words."""
    rows = result["answers"]
    assert {"top", "pants", "better"} <= {row["kind"] for row in rows}
    cards = [row for row in rows if row["kind"] in ("top", "pants", "better")]
    assert len(cards) >= 4, "several cards were chosen"
    for row in cards:
        assert row["answer_key"] or not row["answer"].replace(" ", "").isdigit()
    keys = [(row["question_id"], row["answer_key"]) for row in cards if row["answer_key"]]
    assert len(keys) == len(set(keys)), "each card is kept once"
    assert result["consent"] == "given" and result["ended"]


def _check_help(script: dict, result: dict) -> None:
    """HELP speaks in the flow's own words, says how to skip and stop, then asks again."""
    flow = load_builtin_flows()[script["flow"]]
    sent, replies = _sent(script), result["replies"]
    helps = [n for n, text in enumerate(sent) if command_word(text) == "help"]
    assert len(helps) >= 2, "HELP is asked at two questions at least"
    how = "Press Skip" if script.get("channel") == "web" else "Send SKIP"
    for number in helps:
        first = replies[number][0]
        assert first.startswith(flow.help or "Voicebox asks what is good and not good")
        assert how in first and "a person" in first
        assert len(replies[number]) == 2, "the question comes again at once"
        assert replies[number][1] == replies[number - 1][-1], "the same question, unchanged"
    assert result["consent"] == "given" and result["answers"]


PROMISES = {
    "help": _check_help,
    "pictures": _check_pictures,
    "back_history": _check_back_history,
    "stop_phrases": _check_stop_phrases,
    "codes": _check_codes,
    "happy": _check_happy,
    "skip_all": _check_skip_all,
    "stop_start": _check_stop_start,
    "consent_no": _check_consent_no,
    "safeguarding": _check_safeguarding,
    "back": _check_back,
}


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_scenario_promises(sqlite_database, path):
    """What each scenario promises holds, whatever the exact words are."""
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenario = path.stem.split(".")[1]
    assert scenario in PROMISES, f"say what the scenario '{scenario}' promises in PROMISES"
    result = play(sqlite_database, script)
    PROMISES[scenario](script, result)


def test_there_are_transcripts_for_both_flows():
    """Both built-in flows have every scenario the engine promises."""
    names = {p.stem for p in TRANSCRIPTS}
    for flow in ("tops_and_pants", "four_cornerstones"):
        for scenario in ("happy", "skip_all", "stop_start", "consent_no", "safeguarding", "back"):
            assert f"{flow}.{scenario}" in names
