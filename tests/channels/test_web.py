"""The web chat through Flask's test client: routes, a whole check-in with JavaScript off,
the script's JSON endpoint, cookies, headers, outbox messages and unkind input."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.channels.web_visitor import Visitor
from tests.channels.webpage import parse
from tests.helpers import participant_id
from voicebox.bot.easyread import sentences, word_count, word_problems
from voicebox.bot.messages import OutboundMessage
from voicebox.channels.web.pictures import BUILTIN_SET, load_picture_set
from voicebox.flows import load_builtin_flows
from voicebox.storage import outbox
from voicebox.storage.consultations import close_consultation, create_consultation
from voicebox.storage.export import export_rows
from voicebox.storage.models import Answer, InboundMessageId, OutboxMessage, TranscriptMessage

PAGES = ["/", "/about", "/who-sees-my-answers", "/settings", "/c/DEMO", "/c/NOPE", "/away"]


def _count(database, column) -> int:
    with database.engine.connect() as conn:
        return conn.scalar(select(func.count(column)))


def _address(client) -> str:
    with client.session_transaction() as session:
        return f"web:{session['web_id']}"


def _participant_id(web_services, client) -> int:
    found = participant_id(web_services.database, web_services.secret, "web", _address(client))
    assert found is not None
    return found


def _queue_note(web_services, participant_id: int, text: str) -> None:
    with web_services.database.engine.begin() as conn:
        outbox.enqueue(conn, participant_id, "web", [OutboundMessage(text)], purpose="report_back")


def _through_consent(visitor: Visitor) -> None:
    visitor.open()
    visitor.choose("Yes, that is OK")


# -- routes -------------------------------------------------------------------------


def test_landing_has_a_labelled_code_field(page_client):
    """GET / has a GET form to /join with a visibly labelled code field and a Start button."""
    doc = parse(page_client.get("/").get_data(as_text=True))
    form = next(f for f in doc.find_all("form") if f.get("action") == "/join")
    assert form.get("method") == "get"
    field = form.by_id("code")
    assert field is not None and field.get("name") == "code"
    label = next(lab for lab in doc.find_all("label") if lab.get("for") == "code")
    assert "code" in label.text().lower()
    assert [b.text() for b in form.find_all("button")] == ["Start"]


@pytest.mark.parametrize("typed", ["demo", "DEMO", " de mo ", "join demo"])
def test_join_goes_to_the_check_in(page_client, typed):
    """A typed code goes to /c/CODE, whatever its case or spaces."""
    response = page_client.get("/join", query_string={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"] == "/c/DEMO"


@pytest.mark.parametrize(
    ("typed", "status", "words"),
    [
        ("", 400, "Please type your code."),
        ("NOSUCH", 404, "We cannot find that code."),
        ("SHUT", 404, "We cannot find that code."),
        ("<script>", 404, "We cannot find that code."),
    ],
)
def test_join_says_what_is_wrong(page_client, typed, status, words):
    """An empty, unknown or closed code shows the form again with a linked error message."""
    response = page_client.get("/join", query_string={"code": typed})
    assert response.status_code == status
    doc = parse(response.get_data(as_text=True))
    assert words in doc.by_id("code-error").text()
    field = doc.by_id("code")
    assert field.get("aria-invalid") == "true"
    assert "code-error" in field.get("aria-describedby").split()
    assert "<script>" not in response.get_data(as_text=True)


def test_check_in_code_is_case_insensitive(page_client):
    """/c/demo and /c/DEMO are the same check-in."""
    assert page_client.get("/c/demo").status_code == 200
    assert page_client.get("/c/Demo").status_code == 200


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/c/NOSUCH", "We cannot find that check-in"),
        ("/c/x", "We cannot find that check-in"),
        ("/c/%00%01", "We cannot find that check-in"),
        ("/c/" + "A" * 300, "We cannot find that check-in"),
        ("/c/SHUT", "This check-in has closed"),
        ("/c/shut", "This check-in has closed"),
    ],
)
def test_unknown_or_closed_codes_get_a_plain_404(page_client, path, heading):
    """Unknown and closed codes get a 404 page in plain words with a way to try again."""
    response = page_client.get(path)
    assert response.status_code == 404
    doc = parse(response.get_data(as_text=True))
    assert doc.find_all("h1")[0].text() == heading
    assert doc.by_id("code") is not None


def test_posting_to_an_unknown_code_is_a_404_not_a_500(page_client):
    """A form post or a script call to a closed or unknown check-in is a plain 404."""
    assert page_client.post("/c/SHUT", data={"choice": "consent:yes"}).status_code == 404
    response = page_client.post("/c/NOPE/messages", data={"text": "hi"})
    assert response.status_code == 404
    assert response.get_json()["messages"][-1]["text"] == "Sorry, we cannot find this check-in."


# -- the page, as assistive technology sees it ----------------------------------------------


def test_first_visit_asks_for_consent_with_picture_buttons(visitor, web_services):
    """The opening messages are in role=log; each choice is a button named by its words."""
    page = visitor.open()
    assert page.status == 200
    assert page.log_texts()[0] == (
        "bot",
        "Hi, I am Voicebox. I ask what is good and what is not good for you.",
    )
    assert "The people who run this group" in page.log_texts()[-1][1]
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]
    for button in page.buttons("choice"):
        assert button.get("type") == "submit"
        images = button.find_all("img")
        assert len(images) == 1 and images[0].get("alt") == ""
        assert images[0].get("src").startswith("/pictures/")
    log = page.doc.find_all(lambda e: e.get("role") == "log")
    assert len(log) == 1
    current = log[0].with_class("current")
    assert len(current) == 1 and "The people who run this group" in current[0].text()
    # Skip cannot work at consent, and nothing comes before it: neither is there.
    assert [b.text() for b in page.buttons("command")] == ["Help", "Stop"]
    assert page.doc.by_id("status").get("role") == "status"
    # Nothing is kept before consent but what runs the conversation.
    assert _count(web_services.database, TranscriptMessage.id) == 0
    assert _count(web_services.database, Answer.id) == 0


def test_head_request_starts_nothing(client, web_services):
    """A link preview (HEAD) does not start a check-in."""
    assert client.head("/c/DEMO").status_code == 200
    assert _count(web_services.database, TranscriptMessage.id) == 0
    from voicebox.storage.models import Conversation

    assert _count(web_services.database, Conversation.id) == 0


def test_text_question_has_a_labelled_field_and_a_send_button(visitor):
    """A free-text question has a textarea with a visible label and a button named Send."""
    _through_consent(visitor)
    visitor.choose("School or college")
    page = visitor.choose("Good")
    assert "What is good about school or college?" in page.log_texts()[-1][1]
    area = page.doc.by_id("answer-text")
    assert area.tag == "textarea" and area.get("name") == "text"
    label = next(lab for lab in page.doc.find_all("label") if lab.get("for") == "answer-text")
    assert label.text() == "Your answer"
    assert [b.text() for b in page.buttons("send")] == ["Send"]
    assert page.buttons("choice") == []


def test_every_bot_message_has_a_read_aloud_button(visitor):
    """Each message from Voicebox has a Read aloud button; the question's includes the choices."""
    page = visitor.open()
    for msg in page.doc.with_class("msg"):
        turn = next(a for a in msg.ancestors() if "turn" in a.classes)
        readers = msg.with_class("read-aloud")
        assert len(readers) == (1 if "turn-bot" in turn.classes else 0)
    current = page.doc.with_class("current")[0].with_class("read-aloud")[0]
    assert current.get("data-speak").endswith("You can choose: Yes, that is OK, or No thanks.")


# -- a whole check-in with JavaScript off -----------------------------------------------


def test_whole_tops_and_pants_check_in_with_javascript_off(visitor, web_services):
    """Plain form posts, a redirect after each, and the answers land in the export as web."""
    _through_consent(visitor)
    page = visitor.choose("School or college")
    assert page.choice_words() == ["Very good", "Good", "OK", "Not good", "Bad"]
    visitor.choose("Good")
    visitor.say("My teacher listens to me")
    visitor.say("The lunch hall is too loud")
    page = visitor.say("A quiet room at lunch")
    assert page.choice_words() == ["Yes", "No, I am done"]
    page = visitor.choose("No, I am done")
    assert "hear what we do" in page.log_texts()[-1][1]
    page = visitor.choose("Yes, tell me")
    assert "will talk about what to change" in page.log_texts()[-1][1]
    assert [b.text() for b in page.buttons("command")] == ["Start again"]
    # The history shows what they said, in their words and the buttons' words.
    said = [text for who, text in page.log_texts() if who == "you"]
    assert said == [
        "Yes, that is OK",
        "School or college",
        "Good",
        "My teacher listens to me",
        "The lunch hall is too loud",
        "A quiet room at lunch",
        "No, I am done",
        "Yes, tell me",
    ]
    rows = list(export_rows(web_services.database, "DEMO"))
    assert {r["channel"] for r in rows} == {"web"}
    assert [r["answer"] for r in rows] == [
        "Good",
        "My teacher listens to me",
        "The lunch hall is too loud",
        "A quiet room at lunch",
    ]
    assert [r["kind"] for r in rows] == ["feeling", "top", "pants", "better"]


def test_whole_four_cornerstones_check_in_with_javascript_off(client, web_services):
    """The second built-in flow works the same way, with Skip along the way."""
    visitor = Visitor(client, "corner")
    visitor.open()
    visitor.choose("Yes, that is OK")
    answers = ["People say hello", "Skip", "They ask me", "More pictures", "Skip", "Skip"]
    answers += ["They plan with me", "Earlier meetings", "Listen more"]
    for answer in answers:
        page = visitor.press("skip") if answer == "Skip" else visitor.say(answer)
    assert page.choice_words() == ["Yes, tell me", "No thanks"]
    page = visitor.choose("No thanks")
    assert page.buttons("command")[0].text() == "Start again"
    rows = list(export_rows(web_services.database, "CORNER"))
    assert [r["answer"] for r in rows] == [a for a in answers if a != "Skip"]
    assert {r["channel"] for r in rows} == {"web"}


def test_saying_no_keeps_nothing(visitor, web_services):
    """No thanks ends kindly, keeps no transcript, and offers Start again."""
    visitor.open()
    page = visitor.choose("No thanks")
    assert page.log_texts()[-1] == (
        "bot",
        "That is OK. We have not kept your answers. Thank you for your time.",
    )
    assert ("you", "No thanks") in page.log_texts()
    assert _count(web_services.database, TranscriptMessage.id) == 0
    assert _count(web_services.database, Answer.id) == 0
    page = visitor.press("start")
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]


def test_skip_help_back_and_stop(visitor):
    """The four buttons under every question do what they say."""
    _through_consent(visitor)
    visitor.choose("Home")
    page = visitor.press("help")
    assert page.log_texts()[-2][1].startswith("Voicebox asks what is good")
    assert page.choice_words()[0] == "Very good"
    page = visitor.press("skip")
    assert "What is good about home?" in page.log_texts()[-1][1]
    page = visitor.press("back")
    assert page.choice_words()[0] == "Very good"
    page = visitor.press("stop")
    assert page.log_texts()[-1][1].startswith("You have stopped.")
    assert [b.text() for b in page.buttons("command")] == ["Start again"]
    page = visitor.open()  # coming back after STOP: still stopped, nothing new
    assert [b.text() for b in page.buttons("command")] == ["Start again"]
    page = visitor.press("start")
    assert page.log_texts()[-2][1] == "Welcome back. Here is where you were."
    assert page.choice_words()[0] == "Very good"


def test_empty_answer_is_explained_next_to_the_field(visitor):
    """Send with nothing typed: an error linked to the field, and the same question again."""
    _through_consent(visitor)
    visitor.choose("Health")
    before = visitor.choose("OK")
    page = visitor.say("   ")
    assert page.log_texts() == before.log_texts()
    area = page.doc.by_id("answer-text")
    assert area.get("aria-invalid") == "true"
    error, counter = area.get("aria-describedby").split()
    assert page.doc.by_id(error).text().endswith("Please type your answer first, or press Skip.")
    assert page.doc.by_id(counter).text() == "You can write up to 2,000 letters."
    assert page.status_text == "Please type your answer first, or press Skip."
    assert visitor.open().doc.by_id("answer-text").get("aria-invalid") is None


def test_after_a_post_focus_lands_on_the_new_reply(visitor):
    """With JavaScript off the next page puts focus (autofocus) on the newest reply."""
    page = visitor.open()
    assert page.doc.by_id("now").get("autofocus") is None  # not on a first visit
    page = visitor.choose("Yes, that is OK")
    latest = page.doc.by_id("now")
    assert latest.get("autofocus") == "" and latest.get("tabindex") == "-1"
    assert "turn-bot" in latest.classes
    assert "Which part of your life" in latest.text()


def test_a_double_press_is_handled_once(visitor, web_services):
    """The same form posted twice (a double tap, or Back and resend) counts once."""
    _through_consent(visitor)
    page = visitor.choose("Home")
    visitor.choose("Good")
    page_fields = {"token": page.field("token"), "nonce": page.field("nonce")}
    visitor.client.post("/c/DEMO", data={**page_fields, "choice": "feeling:bad"})
    page = visitor.open()
    assert "What is good about home?" in page.log_texts()[-1][1]
    rows = list(export_rows(web_services.database, "DEMO"))
    assert [r["answer"] for r in rows] == ["Good"]


def test_a_forged_post_without_the_token_changes_nothing(visitor, web_services):
    """A post without this page's token (another site's form) is not answered."""
    visitor.open()
    response = visitor.client.post("/c/DEMO", data={"choice": "consent:yes"})
    assert response.status_code == 303
    page = visitor.open()
    assert page.status_text == "Sorry, that did not work. Please try again."
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]
    assert _count(web_services.database, TranscriptMessage.id) == 0


# -- identity, resume and history ------------------------------------------------------------


def test_session_cookie_stays_small_before_consent(visitor):
    """Messages kept in the cookie before consent are capped: browsers drop cookies over 4 KB."""
    visitor.open()
    for _ in range(15):
        visitor.press("help")
    cookie = visitor.client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 3500
    texts = visitor.open().log_texts()
    assert texts[-1][1].startswith("The people who run this group")  # the question is still there
    assert 3 <= len(texts) <= 13


def test_session_cookie_is_signed_httponly_lax_and_lasting(client):
    """The visitor id lives in Flask's signed session cookie: HttpOnly, SameSite=Lax, kept."""
    response = client.get("/c/DEMO")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "samesite", "expires"} <= attributes
    assert "SameSite=Lax" in header
    value = SimpleCookie(header)["session"].value
    assert "web_id" not in value  # signed and encoded, not plain JSON


def test_coming_back_resumes_where_they_were(web_app, visitor):
    """The same cookie in a new browser tab resumes; another person starts fresh."""
    _through_consent(visitor)
    visitor.choose("Getting around")
    visitor.choose("Not good")
    again = Visitor(visitor.client)
    page = again.open()
    assert "What is good about getting around?" in page.log_texts()[-1][1]
    assert ("you", "Not good") in page.log_texts()
    assert page.doc.by_id("answer-text") is not None
    stranger = Visitor(web_app.test_client())
    assert stranger.open().choice_words() == ["Yes, that is OK", "No thanks"]


def test_history_after_consent_comes_from_the_transcript(visitor):
    """Kept questions show without their numbered lists; typed answers show as typed."""
    _through_consent(visitor)
    visitor.choose("More choices")
    visitor.choose("Something else")
    visitor.say("My <b>bike</b> & me\nand my dog")
    page = visitor.open()
    texts = page.log_texts()
    assert ("you", "My <b>bike</b> & me and my dog") in texts
    assert "<b>bike</b>" not in page.html
    question = next(t for who, t in texts if who == "bot" and t.startswith("Here are more parts"))
    assert "1 Clubs and fun" not in question
    assert ("you", "Something else") in texts


def test_forget_me_gives_this_device_a_new_identity(visitor):
    """After 'Forget me on this device' the next person on the tablet starts fresh."""
    _through_consent(visitor)
    visitor.choose("Home")
    page = visitor.open("/who-sees-my-answers")
    token = next(i.get("value") for i in page.doc.find_all("input") if i.get("name") == "token")
    response = visitor.client.post("/forget", data={"token": token})
    assert response.status_code == 303
    page = visitor.open()
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]
    assert all(text != "Home" for _who, text in page.log_texts())


# -- the script's endpoint -----------------------------------------------------------------


def _json_post(visitor: Visitor, page, **data):
    fields = {"token": page.field("token"), "nonce": page.field("nonce"), **data}
    return visitor.client.post(
        "/c/DEMO/messages", data=fields, headers={"Accept": "application/json"}
    )


def test_script_endpoint_returns_only_the_new_messages(visitor):
    """POST /c/CODE/messages answers with the new messages and the new answer form only."""
    page = visitor.open()
    response = _json_post(visitor, page, choice="consent:yes")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert [(m["who"], m["text"][:20]) for m in body["messages"]] == [
        ("you", "Yes, that is OK"),
        ("bot", "Thank you. You can s"),
        ("bot", "Which part of your l"),
    ]
    assert body["messages"][-1]["choices"][0]["words"] == "School or college"
    fragment = parse(body["log_html"])
    assert "Hi, I am Voicebox" not in fragment.text()  # the history is not sent again
    assert fragment.by_id(body["focus"]) is not None
    assert "turn-bot" in fragment.by_id(body["focus"]).classes
    answer = parse(body["answer_html"])
    words = [b.text() for b in answer.find_all("button") if b.get("name") == "choice"]
    assert words[:2] == ["School or college", "Home"]
    assert body["mode"] == "choice"
    # The page, loaded again, shows the same history (kept after consent).
    assert ("you", "Yes, that is OK") in visitor.open().log_texts()


def test_script_endpoint_reports_problems_as_json(visitor):
    """A missing token or an empty answer is a short status message, never a 500."""
    page = visitor.open()
    response = visitor.client.post("/c/DEMO/messages", data={"choice": "consent:yes"})
    assert response.status_code == 400
    assert response.get_json()["status"] == "Sorry, that did not work. Please try again."
    _json_post(visitor, page, choice="consent:yes")
    page = visitor.open()
    _json_post(visitor, page, choice="topic:school")
    page = visitor.open()
    _json_post(visitor, page, choice="feeling:ok")
    body = _json_post(visitor, visitor.open(), text="  ", send="1").get_json()
    assert body["messages"] == [] and body["log_html"].strip() == ""
    assert body["status"] == "Please type your answer first, or press Skip."
    assert 'aria-invalid="true"' in body["answer_html"]


# -- "You said, we did": the outbox ----------------------------------------------------


def test_outbox_messages_are_shown_once_and_marked_sent(visitor, web_services):
    """A queued web message shows on the page, is marked sent, and is never shown twice."""
    _through_consent(visitor)
    participant = _participant_id(web_services, visitor.client)
    _queue_note(web_services, participant, "You said the lunch hall is loud. We made a quiet room.")
    page = visitor.open()
    notes = page.doc.with_class("note")
    assert len(notes) == 1 and "quiet room" in notes[0].text()
    assert "A message for you" in notes[0].text()
    with web_services.database.engine.connect() as conn:
        status, sent_at = conn.execute(select(OutboxMessage.status, OutboxMessage.sent_at)).one()
    assert status == "sent" and sent_at is not None
    page = visitor.open()  # still readable, still once
    assert len(page.doc.with_class("note")) == 1
    # The script gets a new message once, with its reply.
    _queue_note(web_services, participant, "We also changed the bus times.")
    body = _json_post(visitor, page, choice="topic:home").get_json()
    assert sum("bus times" in m["text"] for m in body["messages"]) == 1
    body = _json_post(visitor, visitor.open(), choice="feeling:good").get_json()
    assert all("bus times" not in m["text"] for m in body["messages"])
    assert len(visitor.open().doc.with_class("note")) == 2


def test_outbox_messages_are_not_shown_after_stop(visitor, web_services):
    """After STOP, queued messages are cancelled, not shown."""
    _through_consent(visitor)
    visitor.press("stop")
    _queue_note(web_services, _participant_id(web_services, visitor.client), "News for you.")
    page = visitor.open()
    assert page.doc.with_class("note") == []
    with web_services.database.engine.connect() as conn:
        assert conn.scalar(select(OutboxMessage.status)) == "cancelled"


def test_a_report_back_is_shown_after_the_check_in_closed(web_app, visitor, web_services):
    """Reports are written after a check-in closes: its closed page still shows what waits
    for the person (once), and shows nothing to anyone else."""
    _through_consent(visitor)
    participant = _participant_id(web_services, visitor.client)
    close_consultation(web_services.database, "DEMO")
    _queue_note(web_services, participant, "You said the lunch hall is loud. We made a quiet room.")
    page = visitor.open()
    assert page.status == 404 and "This check-in has closed" in page.html
    notes = page.doc.with_class("note")
    assert len(notes) == 1 and "quiet room" in notes[0].text()
    with web_services.database.engine.connect() as conn:
        assert conn.scalar(select(OutboxMessage.status)) == "sent"
    assert len(visitor.open().doc.with_class("note")) == 1  # still readable, still once
    stranger = Visitor(web_app.test_client(), "DEMO").open()
    assert stranger.status == 404 and stranger.doc.with_class("note") == []


# -- any input is safe -----------------------------------------------------------------


NASTY = [
    {"text": "", "send": "1"},
    {"text": "😀🎉 " * 50, "send": "1"},
    {"text": "x" * 10_000, "send": "1"},
    {"text": "null\x00byte and \x1b[31m escape", "send": "1"},
    {"text": "مرحبا بالعالم", "send": "1"},
    {"text": "<script>alert(1)</script>", "send": "1"},
    {"choice": "topic:nope"},
    {"choice": "no-colon-here"},
    {"choice": "x" * 500},
    {"command": "explode"},
    {"command": "STOP"},
    {},
]


@pytest.mark.parametrize("fields", NASTY, ids=range(len(NASTY)))
def test_any_input_is_safe(visitor, fields):
    """Odd, huge, empty or hostile input gets a page back, never a 500 or a traceback."""
    _through_consent(visitor)
    visitor.choose("More choices")
    page = visitor.choose("Something else")
    data = {"token": page.field("token"), "nonce": page.field("nonce"), **fields}
    response = visitor.client.post("/c/DEMO", data=data)
    too_long = len(fields.get("text", "")) > 2000  # given back at once, in the box
    assert response.status_code == (400 if too_long else 303)
    page = visitor.open()
    assert page.status == 200
    assert "<script>alert" not in page.html
    data["nonce"] = "another-nonce-123"
    response = visitor.client.post("/c/DEMO/messages", data=data)
    assert response.status_code == 200
    assert "<script>alert" not in response.get_json()["log_html"]


def test_broken_form_encoding_is_safe(visitor):
    """Bytes that are not UTF-8 (or halves of a character) are replaced, never a 500."""
    _through_consent(visitor)
    visitor.choose("More choices")
    page = visitor.choose("Something else")
    body = f"token={page.field('token')}&nonce=bytes-nonce-1&send=1&text=%FF%FE%ED%A0%80ok"
    response = visitor.client.post(
        "/c/DEMO", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303
    said = [text for who, text in visitor.open().log_texts() if who == "you"]
    assert said[-1].endswith("ok")


def test_long_answers_are_cut_by_the_engine_only_when_they_worry_us(visitor, web_services):
    """A long message with worrying words goes on: the flag is raised, the caring reply given,
    and the engine says it kept the first part."""
    _through_consent(visitor)
    visitor.choose("More choices")
    visitor.choose("Something else")
    page = visitor.say("long " * 500 + "I am not safe at home")
    said = [text for who, text in page.log_texts() if who == "bot"]
    assert any("kept the first 2,000 letters" in text for text in said)
    assert len(page.doc.with_class("caring")) == 1


def test_message_ids_are_only_kept_for_duplicates(visitor, web_services):
    """Each form post is one message id, so a resend is spotted; nothing else is kept."""
    visitor.open()
    visitor.choose("Yes, that is OK")
    assert _count(web_services.database, InboundMessageId.id) == 1


# -- headers and static content ------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_a_strict_policy_and_no_inline_code(page_client, path):
    """Every page: strict CSP, nosniff, no inline script or style, no third-party address."""
    response = page_client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    doc = parse(response.get_data(as_text=True))
    for script in doc.find_all("script"):
        assert script.get("src", "").startswith("/web-static/") and not script.text()
    assert doc.find_all("style") == []
    for element in doc.iter():
        assert "style" not in element.attrs
        assert not any(name.startswith("on") for name in element.attrs)
        for name in ("src", "href", "action"):
            value = element.get(name)
            if value and name != "href":
                assert value.startswith("/"), value
    for link in doc.find_all("link"):
        assert link.get("href").startswith(("/", "data:"))


@pytest.mark.parametrize("path", ["/c/DEMO", "/away"])
def test_private_pages_are_never_cached(page_client, path):
    """Pages with answers on them are not kept by the browser (shared tablets)."""
    assert page_client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_are_served(page_client):
    """The style sheet and script are files of our own, served with the right types."""
    assert page_client.get("/web-static/web.css").content_type.startswith("text/css")
    assert "javascript" in page_client.get("/web-static/web.js").content_type


def test_quick_exit_goes_to_a_neutral_page(page_client):
    """Exit this page is on every page and goes to a page that says nothing about Voicebox."""
    for path in ("/", "/c/DEMO", "/about"):
        doc = parse(page_client.get(path).get_data(as_text=True))
        assert doc.by_id("quick-exit").get("href") == "/away"
        assert doc.by_id("quick-exit").text() == "Exit this page"
    away = page_client.get("/away").get_data(as_text=True)
    assert "voicebox" not in away.lower()
    assert "web.js" not in away


# -- words a young person sees -------------------------------------------------------------


def _blocks(html: str) -> list[str]:
    doc = parse(html)
    tags = ("p", "li", "label", "legend", "h1", "h2", "h3", "button", "a", "title")
    found = []
    for element in doc.iter():
        if element.tag in tags and not any(a.get("role") == "log" for a in element.ancestors()):
            found.append(element.text())
    return [t for t in found if t]


@pytest.mark.parametrize("path", PAGES + ["/join?code=", "/c/SHUT"])
def test_pages_use_plain_words(page_client, path):
    """No jargon or acronyms, no 'submit' or 'consultation', sentences of 15 words or fewer."""
    for block in _blocks(page_client.get(path).get_data(as_text=True)):
        assert word_problems(block) == [], block
        for sentence in sentences(block):
            assert word_count(sentence) <= 15, sentence


# -- settings ---------------------------------------------------------------------------


def test_settings_are_kept_in_a_cookie(visitor):
    """Bigger text, strong colours and no pictures: saved, and used on every page."""
    token = visitor.open("/settings").doc.find_all(lambda e: e.get("name") == "token")[0]
    response = visitor.client.post(
        "/settings",
        data={
            **{"text": "bigger", "colours": "strong", "pictures": "off", "next": "/c/DEMO"},
            "token": token.get("value"),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings?next=/c/DEMO&saved=1"
    header = next(h for h in response.headers.getlist("Set-Cookie") if "voicebox_look" in h)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Max-Age" in header
    page = visitor.open()
    classes = page.doc.find_all("html")[0].classes
    assert {"text-bigger", "colours-strong", "no-pictures"} <= classes
    assert all(b.find_all("img") == [] for b in page.buttons("choice"))
    assert page.status_text == ""
    settings = visitor.open("/settings")
    checked = {i.get("id") for i in settings.doc.find_all("input") if "checked" in i.attrs}
    assert checked == {"text-bigger", "colours-strong", "pictures-off"}


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil", "javascript:x"]
)
def test_settings_only_go_back_to_our_own_pages(page_client, target):
    """The 'next' address after saving cannot send someone to another site."""
    page = parse(page_client.get("/settings").get_data(as_text=True))
    token = page.find_all(lambda e: e.get("name") == "token")[0].get("value")
    response = page_client.post("/settings", data={"text": "big", "next": target, "token": token})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/settings")
    assert "retry" not in response.headers["Location"]


def test_bad_settings_cookie_falls_back_to_defaults(page_client):
    """A broken or huge cookie never breaks the page."""
    page_client.set_cookie("voicebox_look", "text=%ZZ&&pictures=" + "x" * 500)
    doc = parse(page_client.get("/").get_data(as_text=True))
    assert "text-usual" in doc.find_all("html")[0].classes


# -- pictures ----------------------------------------------------------------------------


def test_every_picture_the_flows_use_is_shipped_small_and_credited(page_client):
    """Each picture id in the built-in flows has a small file, served as SVG and credited."""
    picture_set = load_picture_set(BUILTIN_SET)
    used = {
        choice.symbol.picture
        for flow in load_builtin_flows().values()
        for step in flow.steps.values()
        for choice in step.choices
        if choice.symbol
    }
    assert used <= set(picture_set.pictures)
    shipped = {p.name for p in BUILTIN_SET.iterdir() if p.suffix == ".svg"}
    assert shipped == {picture_set.pictures[i].path.name for i in used}  # only what is used
    # A page loads only the pictures of its question (at most 8 cards), so each file is small;
    # the whole set grows with the flows (43 pictures for the four built-in flows).
    assert all((BUILTIN_SET / name).stat().st_size < 12_000 for name in shipped)
    assert sum((BUILTIN_SET / name).stat().st_size for name in shipped) < 120_000
    about = parse(page_client.get("/about").get_data(as_text=True)).text()
    assert "OpenMoji" in about and "Creative Commons Attribution-ShareAlike 4.0" in about
    for picture_id in used:
        response = page_client.get(f"/pictures/{picture_id}")
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert picture_set.pictures[picture_id].by in about


def test_unknown_picture_is_a_404(page_client):
    """Only pictures in the set are served; paths cannot escape its folder."""
    assert page_client.get("/pictures/nope").status_code == 404
    assert page_client.get("/pictures/..%2Fset.yaml").status_code == 404


def test_a_school_can_bring_its_own_picture_set(page_services, tmp_path):
    """VOICEBOX_WEB_PICTURES points at a folder with set.yaml; missing ids use the built-in."""
    from voicebox.app import create_app
    from voicebox.channels.registry import build_channels
    from voicebox.channels.web import WebChannel
    from voicebox.channels.web.settings import WebSettings
    from voicebox.settings import Settings

    folder = tmp_path / "our-symbols"
    folder.mkdir()
    (folder / "tick.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    (folder / "set.yaml").write_text(
        "name: Our school symbols\n"
        "credit: Symbols used under our school's licence.\n"
        "licence: Our licence\n"
        "pictures:\n"
        "  'yes': {file: tick.png, shows: a tick}\n"
        "  'no': {file: ../outside.png}\n",
        encoding="utf-8",
    )
    channels = {**build_channels({}), "web": WebChannel(WebSettings(pictures=str(folder)))}
    app = create_app(
        {"TESTING": True}, settings=Settings(), services=page_services, channels=channels
    )
    client = app.test_client()
    client.get("/c/DEMO")
    response = client.get("/pictures/yes")
    assert response.mimetype == "image/png"
    assert client.get("/pictures/no").mimetype == "image/svg+xml"  # the built-in one
    about = parse(client.get("/about").get_data(as_text=True)).text()
    assert "Our school symbols" in about and "OpenMoji" in about


def test_no_page_has_a_horizontal_layout_trap():
    """The style sheet lets long words wrap and never fixes a width wider than a phone."""
    from voicebox.channels.web.views import blueprint

    css = Path(blueprint.static_folder, "web.css").read_text(encoding="utf-8")
    assert "overflow-wrap" in css
    widths = re.findall(r"(?<![-\w])(?:min-)?width:\s*(\d+)px", css)
    assert all(int(w) <= 320 for w in widths), widths


def test_another_groups_code_typed_in_the_chat_goes_to_that_check_in(visitor, web_services):
    """Typing YOUTH2 mid check-in is never an answer: the page moves to YOUTH2's check-in."""
    flow = web_services.engine.flows["tops_and_pants"]
    create_consultation(web_services.database, "YOUTH2", flow.id, flow.version, "Youth group")
    _through_consent(visitor)
    visitor.choose("School or college")
    page = visitor.choose("Good")
    fields = {"token": page.field("token"), "nonce": page.field("nonce")}
    response = visitor.client.post("/c/DEMO", data={**fields, "text": "YOUTH2", "send": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/c/YOUTH2")
    moved = Visitor(visitor.client, "YOUTH2").open()
    said = [text for who, text in moved.log_texts() if who == "bot"]
    assert said[0].startswith("OK. You have moved to the check-in with the code YOUTH2.")
    assert moved.choice_words() == ["Yes, that is OK", "No thanks"]
    assert _count(web_services.database, Answer.id) == 1  # 'Good' kept; YOUTH2 is no answer


def test_the_script_is_sent_to_the_new_check_in_page_too(visitor, web_services):
    """With JavaScript the answer says where to go; the page's script goes there."""
    flow = web_services.engine.flows["tops_and_pants"]
    create_consultation(web_services.database, "YOUTH2", flow.id, flow.version, "Youth group")
    _through_consent(visitor)
    page = visitor.choose("School or college")
    fields = {"token": page.field("token"), "nonce": page.field("nonce")}
    response = visitor.client.post(
        "/c/DEMO/messages", data={**fields, "text": "join youth2", "send": "1"}
    )
    assert response.status_code == 200
    assert response.get_json()["go"].endswith("/c/YOUTH2")
    assert response.headers["Cache-Control"] == "no-store"
