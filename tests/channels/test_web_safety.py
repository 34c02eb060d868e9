"""The web chat keeps people safe: the caring reply stands apart with big buttons to call,
no page is kept in a cache, Back after Exit this page shows no answers, and a check-in
closed while the page is open takes its answer buttons away."""

from __future__ import annotations

import pytest

from tests.channels.web_visitor import Page, Visitor
from tests.channels.webpage import Element, parse
from voicebox.storage.consultations import close_consultation

WORRY = "I am not safe at home"
CARING = "You can call Childline free on 0800 1111"


def _to_a_text_question(visitor: Visitor) -> Page:
    visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("Home")
    return visitor.choose("Good")


def _json(visitor: Visitor, page: Page, **data: str):
    fields = {"token": page.field("token"), "nonce": page.field("nonce"), **data}
    return visitor.client.post(f"/c/{visitor.code}/messages", data=fields)


def _caring_panels(doc: Element) -> list[Element]:
    return doc.with_class("caring")


def _check_panel(panel: Element) -> None:
    """The caring reply's panel: the engine's words, then two big links to call."""
    assert CARING in panel.with_class("text")[0].text()
    calls = {a.get("href"): a.text() for a in panel.find_all("a")}
    assert calls == {
        "tel:08001111": "Call Childline free: 0800 1111",
        "tel:999": "In an emergency, call 999",
    }
    # In the log like every message: never also an alert, so it is read once, not twice.
    for element in [panel, *panel.ancestors()]:
        assert element.get("role") not in ("alert", "status")
        assert element.get("aria-live") in (None, "off")


# -- the caring reply ----------------------------------------------------------------


def test_caring_reply_is_a_panel_in_the_log_and_stays_after_reload(visitor):
    """A worrying message: the caring reply is its own panel, focus lands on its turn, and
    it is still there (from the transcript) when the page is loaded again."""
    _to_a_text_question(visitor)
    page = visitor.say(WORRY)
    panels = _caring_panels(page.doc)
    assert len(panels) == 1
    _check_panel(panels[0])
    log = next(e for e in page.doc.iter() if e.get("role") == "log")
    assert panels[0] in list(log.iter())
    now = page.doc.by_id("now")
    assert now.get("autofocus") == "" and panels[0] in list(now.iter())
    assert page.status_text == ""  # not said again in the status region
    # The question after it is still asked, below the panel.
    assert "What is not good about home?" in page.log_texts()[-1][1]
    again = visitor.open()
    assert len(_caring_panels(again.doc)) == 1
    _check_panel(_caring_panels(again.doc)[0])
    reader = _caring_panels(again.doc)[0].with_class("read-aloud")[0]
    assert reader.get("data-speak").startswith("Thank you for telling me.")


def test_caring_reply_before_consent_is_a_panel_too(visitor):
    """Before consent nothing is kept on the server; the panel comes back from the cookie."""
    visitor.open()
    page = visitor.say(WORRY)
    assert len(_caring_panels(page.doc)) == 1
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]
    _check_panel(_caring_panels(visitor.open().doc)[0])


def test_caring_reply_with_the_script(visitor):
    """The script gets the panel in the new messages, focus goes to its turn, no status."""
    page = _to_a_text_question(visitor)
    body = _json(visitor, page, text=WORRY, send="1").get_json()
    fragment = parse(body["log_html"])
    panels = _caring_panels(fragment)
    assert len(panels) == 1
    _check_panel(panels[0])
    assert panels[0] in list(fragment.by_id(body["focus"]).iter())
    assert body["status"] == ""
    assert [m["purpose"] for m in body["messages"] if m["who"] == "bot"][0] == "safeguarding"


# -- nothing is kept in a cache ---------------------------------------------------------


def test_every_web_chat_response_says_no_store(web_app, visitor):
    """Every page, redirect, error and JSON answer of the web chat: Cache-Control: no-store.
    Only pictures and static files may be kept. Every route of the chat is asked."""
    client = visitor.client
    page = visitor.open()
    token = page.field("token")
    seen: dict[str, list] = {}

    def check(response, endpoint: str) -> None:
        assert response.headers.get("Cache-Control") == "no-store", (endpoint, response.status)
        seen.setdefault(endpoint, []).append(response.status_code)

    check(client.get("/"), "web.landing")
    check(client.get("/join?code=demo"), "web.join")  # a redirect
    check(client.get("/join?code="), "web.join")  # a 400 page
    check(client.get("/c/DEMO"), "web.chat_page")
    check(client.get("/c/NOPE"), "web.chat_page")  # a 404 page
    check(client.post("/c/DEMO", data={"token": token, "choice": "consent:yes"}), "web.chat_post")
    check(client.post("/c/DEMO", data={"choice": "consent:yes"}), "web.chat_post")  # no token
    check(client.post("/c/SHUT", data={"token": token, "text": "hi"}), "web.chat_post")
    page = visitor.open()
    check(_json(visitor, page, choice="topic:home"), "web.messages")
    check(client.post("/c/DEMO/messages", data={"text": "hi"}), "web.messages")  # 400
    check(client.post("/c/SHUT/messages", data={"token": token, "text": "hi"}), "web.messages")
    check(client.get("/settings"), "web.settings")
    check(client.get("/settings?saved=1&next=/c/DEMO"), "web.settings")
    check(client.post("/settings", data={"text": "big", "next": "/c/DEMO"}), "web.settings")
    check(client.get("/about"), "web.about")
    check(client.get("/who-sees-my-answers"), "web.who_sees")
    check(client.get("/away"), "web.away")
    check(client.get("/you-said-we-did/DEMO"), "web.report")  # found nothing: not opened
    check(client.get("/c/DEMO"), "web.chat_page")  # hidden after Exit this page
    check(client.post("/c/DEMO/show", data={"token": token}), "web.show")
    check(client.post("/forget", data={"token": token}), "web.forget")
    for path in ("/web-static/web.css", "/pictures/yes"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.get("Cache-Control") != "no-store", path
    endpoints = {r.endpoint for r in web_app.url_map.iter_rules() if r.endpoint.startswith("web.")}
    assert set(seen) == endpoints - {"web.static", "web.picture"}
    assert {code for codes in seen.values() for code in codes} >= {200, 303, 400, 404}


# -- Back after Exit this page ------------------------------------------------------------


def test_after_exit_this_page_the_answers_stay_hidden_until_asked_for(visitor):
    """With JavaScript off, Exit this page is a plain link: Back loads the check-in again, so
    it shows no answers until the person presses Show my answers."""
    _to_a_text_question(visitor)
    assert visitor.open("/away").status == 200
    page = visitor.open()
    assert page.status == 200
    assert page.doc.find_all("h1")[0].text() == "Your answers are hidden"
    assert not [e for e in page.doc.iter() if e.get("role") == "log"]
    assert "Home" not in page.html and "What is good" not in page.html
    form = next(f for f in page.doc.find_all("form") if f.get("action") == "/c/DEMO/show")
    token = next(i.get("value") for i in form.find_all("input") if i.get("name") == "token")
    assert [b.text() for b in form.find_all("button")] == ["Show my answers"]
    assert visitor.client.post("/c/DEMO/show", data={"token": "wrong"}).status_code == 303
    assert visitor.open().doc.find_all("h1")[0].text() == "Your answers are hidden"
    response = visitor.client.post("/c/DEMO/show", data={"token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/c/DEMO"
    page = visitor.open()
    assert "What is good about home?" in page.log_texts()[-1][1]


def test_the_neutral_page_sets_nothing_for_a_stranger(page_client):
    """Exit this page with no check-in on this device leaves no cookie behind."""
    response = page_client.get("/away")
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []


def test_hidden_page_for_a_closed_check_in_is_the_closed_page(visitor, web_services):
    """After Exit this page, a check-in that has closed since says so (a 404, as usual)."""
    _to_a_text_question(visitor)
    visitor.open("/away")
    close_consultation(web_services.database, "DEMO")
    page = visitor.open()
    assert page.status == 404
    assert page.doc.find_all("h1")[0].text() == "This check-in has closed"


# -- a check-in closed while the page is open ---------------------------------------------


def _no_answer_controls(doc: Element) -> None:
    assert doc.with_class("answer-form") == []
    assert doc.find_all("textarea") == []
    assert [b for b in doc.find_all("button") if b.get("name") in ("choice", "command")] == []


PRESSES = [
    ({"text": "My dog", "send": "1"}, "My dog"),
    ({"command": "skip"}, "Skip"),
    ({"text": " ", "send": "1"}, "You pressed Send."),
    ({"choice": "topic:home"}, "Home"),
]


@pytest.mark.parametrize(("fields", "said"), PRESSES, ids=["text", "command", "empty", "choice"])
def test_closed_while_open_the_script_takes_the_buttons_away(visitor, web_services, fields, said):
    """The next press shows in the log with why it did not count, and the answer form goes."""
    page = _to_a_text_question(visitor)
    close_consultation(web_services.database, "DEMO")
    response = _json(visitor, page, **fields)
    assert response.status_code == 404
    body = response.get_json()
    assert body["mode"] == "closed"
    assert [(m["who"], m["text"]) for m in body["messages"]] == [
        ("you", said),
        ("bot", "Sorry, this check-in has closed. Thank you for wanting to take part."),
    ]
    fragment = parse(body["log_html"])
    assert "turn-bot" in fragment.by_id(body["focus"]).classes
    answer = parse(body["answer_html"])
    _no_answer_controls(answer)
    assert [a.get("href") for a in answer.find_all("a")] == ["/"]


def test_closed_while_open_without_script(visitor, web_services):
    """The next press, or a reload, shows the closed page: no answer buttons, no text box."""
    page = _to_a_text_question(visitor)
    close_consultation(web_services.database, "DEMO")
    fields = {"token": page.field("token"), "nonce": page.field("nonce"), "text": "My dog"}
    response = visitor.client.post("/c/DEMO", data=fields)
    assert response.status_code == 404
    for doc in (parse(response.get_data(as_text=True)), visitor.open().doc):
        assert doc.find_all("h1")[0].text() == "This check-in has closed"
        _no_answer_controls(doc)
