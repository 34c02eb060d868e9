"""Safeguarding alerts: a new flag is told at once to the group's contacts by email (a fake
mail server on 127.0.0.1) and to a webhook, through the outbox with retries. An alert
holds a link, never the young person's words."""

from __future__ import annotations

import itertools
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.channels.webpage import parse
from tests.fake_alerts import free_port
from tests.workers.conftest import make_area
from voicebox.bot.messages import InboundMessage, utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, SafeguardingFlag
from voicebox.storage.workers import add_group_contact, group_contacts, remove_group_contact

PUBLIC = "https://voice.example.org"
WORDS = "i want to kill myself"
_ids = itertools.count()


@pytest.fixture
def alerting(area_template, tmp_path, mail, webhook):
    """The area with email and webhook alerts on, and contacts for the youth club."""
    path = tmp_path / "area.db"
    shutil.copyfile(area_template, path)
    database = Database(f"sqlite:///{path}")
    add_group_contact(database, "Youth club", "dsl@youth.example")
    add_group_contact(database, "youth CLUB", "Deputy@Youth.example")
    env = {**mail.env(), "VOICEBOX_SAFEGUARDING_WEBHOOK_URL": webhook.url}
    made = make_area(database, public_url=PUBLIC, env=env)
    yield made
    made.services.database.dispose()


def _say(area, address: str, *texts: str) -> None:
    for text in texts:
        area.services.engine.handle(
            InboundMessage("sms", address, text, message_id=f"a{next(_ids)}")
        )


def _flag_ids(area) -> list[int]:
    with area.services.database.read_sessions() as session:
        return list(session.scalars(select(SafeguardingFlag.id).order_by(SafeguardingFlag.id)))


def _alerts(area) -> list[OutboxMessage]:
    with area.services.database.read_sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "alert").order_by(OutboxMessage.id)
        )
        return list(rows)


def test_a_flag_is_emailed_to_the_groups_contacts_with_a_link_and_no_words(alerting, mail):
    """Both contacts of the youth club get one email each, linking to the flag."""
    _say(alerting, "sms:+447700900301", "YOUTH1", "1", WORDS)
    (flag,) = _flag_ids(alerting)
    assert alerting.dispatch() == 3  # two emails and the webhook
    assert sorted(m.recipients[0] for m in mail.received) == [
        "deputy@youth.example",
        "dsl@youth.example",
    ]
    for sent in mail.received:
        assert sent.message["Subject"] == "Voicebox: a safeguarding flag to read today"
        assert sent.message["From"] == "voicebox@council.example"
        assert f"{PUBLIC}/workers/flags/{flag}" in sent.text
        assert "YOUTH1" in sent.text
        assert "kill" not in sent.text.lower() and "+447700900301" not in sent.text
    assert {row.status for row in _alerts(alerting)} == {"sent"}


def test_the_webhook_gets_json_with_the_link_only(alerting, webhook):
    """A Teams or Slack style {"text": ...} POST."""
    _say(alerting, "sms:+447700900302", "YOUTH1", "1", WORDS)
    (flag,) = _flag_ids(alerting)
    alerting.dispatch()
    (posted,) = webhook.received
    assert set(posted) == {"text"}
    assert f"{PUBLIC}/workers/flags/{flag}" in posted["text"]
    assert "kill" not in posted["text"].lower()


def test_a_group_without_contacts_tells_every_admin(alerting, mail):
    """Every flag must reach a person: with no contact, the admins are told."""
    _say(alerting, "sms:+447700900303", "COUNCIL", "1", WORDS)
    alerting.dispatch()
    assert [m.recipients for m in mail.received] == [["admin@example.org"]]


def test_a_flag_before_any_check_in_tells_every_admin(alerting, mail):
    """A call for help with no code yet belongs to no group: the admins are told."""
    _say(alerting, "sms:+447700900304", WORDS)
    assert len(_flag_ids(alerting)) == 1
    alerting.dispatch()
    (sent,) = mail.received
    assert sent.recipients == ["admin@example.org"]
    assert "before they joined a check-in" in sent.text


def test_each_flag_sends_its_own_alert(alerting, mail):
    """Two calls for help, two alerts to each contact, each with its own link."""
    _say(alerting, "sms:+447700900305", "YOUTH1", "1", WORDS, "he hits me")
    first, second = _flag_ids(alerting)
    alerting.dispatch()
    links = sorted(m.text.split("Read the flag: ")[1].split()[0] for m in mail.received)
    assert links == sorted(
        [f"{PUBLIC}/workers/flags/{first}"] * 2 + [f"{PUBLIC}/workers/flags/{second}"] * 2
    )


def test_stop_from_the_young_person_does_not_cancel_the_alert(alerting, mail):
    """STOP ends messages to the young person, never the alert to a worker."""
    _say(alerting, "sms:+447700900306", "YOUTH1", "1", WORDS, "STOP")
    alerting.dispatch()
    assert len(mail.received) == 2


def test_a_mail_server_that_is_down_is_tried_again(alerting, mail):
    """The alert waits in the outbox and goes when the server is back."""
    mail.stop()
    _say(alerting, "sms:+447700900307", "YOUTH1", "1", WORDS)
    alerting.dispatch()
    emails = [row for row in _alerts(alerting) if row.channel == "email"]
    assert {row.status for row in emails} == {"queued"}
    assert all("could not reach the mail server" in (row.last_error or "") for row in emails)
    mail.start()
    later = utcnow() + timedelta(hours=2)
    from voicebox.storage.dispatcher import Dispatcher

    Dispatcher(alerting.services.database, alerting.senders).run_once(later)
    assert len(mail.received) == 2


def test_an_address_the_server_refuses_fails_without_retrying(alerting, mail):
    """A 550 for an address is final; the other contact still gets theirs."""
    mail.refuse["dsl@youth.example"] = "550 5.1.1 No such mailbox"
    _say(alerting, "sms:+447700900308", "YOUTH1", "1", WORDS)
    alerting.dispatch()
    by_address = {row.address: row for row in _alerts(alerting) if row.channel == "email"}
    assert by_address["dsl@youth.example"].status == "failed"
    assert "550" in (by_address["dsl@youth.example"].last_error or "")
    assert by_address["deputy@youth.example"].status == "sent"


@pytest.mark.parametrize(("status", "final"), [(500, "queued"), (429, "queued"), (404, "failed")])
def test_webhook_errors(alerting, webhook, status, final):
    """Server errors and 'too many' are tried again later; a wrong address is not."""
    webhook.statuses.append(status)
    _say(alerting, "sms:+447700900309", "YOUTH1", "1", WORDS)
    alerting.dispatch()
    (row,) = [row for row in _alerts(alerting) if row.channel == "webhook"]
    assert row.status == final
    assert str(status) in (row.last_error or "")
    if status == 429:  # the webhook asked for 30 seconds
        assert row.next_attempt_at - utcnow() > timedelta(seconds=25)


def test_the_flag_page_says_who_was_told(alerting, mail):
    """The safeguarding lead sees that the alert went, and to whom."""
    mail.refuse["dsl@youth.example"] = "550 5.1.1 No such mailbox"
    _say(alerting, "sms:+447700900310", "YOUTH1", "1", WORDS)
    (flag,) = _flag_ids(alerting)
    client = alerting.signed_in("youth@example.org")
    waiting = parse(client.get(f"/workers/flags/{flag}").get_data(as_text=True)).text()
    assert "Email to deputy@youth.example: waiting to be sent" in waiting
    alerting.dispatch()
    page = parse(client.get(f"/workers/flags/{flag}").get_data(as_text=True)).text()
    assert "Email to deputy@youth.example: sent" in page
    assert "Email to dsl@youth.example: could not be sent" in page
    assert "Webhook: sent" in page


def test_no_alerts_are_queued_when_none_are_set_up(area):
    """With no mail server and no webhook, a flag still shows in the queue, and nothing
    waits in the outbox for a sender that does not exist."""
    _say(area, "sms:+447700900311", "YOUTH1", "1", WORDS)
    assert len(_flag_ids(area)) == 1
    assert _alerts(area) == []


def test_contacts_are_kept_tidy(area):
    """Contacts are stored in lower case, once; removing one that is not there says so."""
    database = area.services.database
    assert add_group_contact(database, "Youth club", " DSL@Youth.example ") is True
    assert add_group_contact(database, "youth club", "dsl@youth.example") is False
    assert group_contacts(database, "Youth Club") == ["dsl@youth.example"]
    assert remove_group_contact(database, "Youth club", "nobody@youth.example") is False
    assert remove_group_contact(database, "Youth club", "DSL@youth.example") is True
    assert group_contacts(database, "Youth club") == []


def test_nothing_is_sent_to_a_port_nobody_listens_on(area_template, tmp_path):
    """A mail server that was never there is a retry, not a crash."""
    path = tmp_path / "area.db"
    shutil.copyfile(area_template, path)
    env = {
        "VOICEBOX_SMTP_HOST": "127.0.0.1",
        "VOICEBOX_SMTP_PORT": str(free_port()),
        "VOICEBOX_SMTP_SECURITY": "none",
    }
    made = make_area(Database(f"sqlite:///{path}"), env=env)
    _say(made, "sms:+447700900312", "YOUTH1", "1", WORDS)
    assert made.dispatch() == 1
    (row,) = _alerts(made)
    assert row.status == "queued" and row.attempts == 1
    assert row.body["text"].startswith("A young person's message in the check-in YOUTH1")
    assert "Read the flag: /workers/flags/" in row.body["text"]  # no public address set
    made.services.database.dispose()
