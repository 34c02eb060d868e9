"""The web chat's answer form says what each button does and never cuts words silently:
no Skip at consent, Start again says where it goes, a letter counter with the limit, long
answers given back (not cut), "saved" said where the person looks, and no "send SKIP"."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.channels.web_visitor import Page, Visitor
from tests.channels.webpage import Element, parse
from voicebox.bot.easyread import sentences, word_count, word_problems
from voicebox.bot.engine import MAX_ANSWER_CHARS
from voicebox.channels.web import chat, views
from voicebox.storage.export import export_rows

WEB = Path(views.__file__).parent


def _to_a_text_question(visitor: Visitor) -> Page:
    visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("Home")
    return visitor.choose("Good")


def _commands(page: Page) -> list[str]:
    return [b.text() for b in page.buttons("command")]


def _plain(doc: Element) -> None:
    for element in doc.iter():
        if element.tag in ("p", "li", "label", "button", "a", "h1", "title"):
            text = element.text()
            assert word_problems(text) == [], text
            assert all(word_count(s) <= 15 for s in sentences(text)), text


# -- Skip and Start again ----------------------------------------------------------------


def test_skip_is_not_offered_at_consent(visitor):
    """Skip and Go back cannot work at the consent question, so they are not there."""
    page = visitor.open()
    assert _commands(page) == ["Help", "Stop"]
    page = visitor.choose("Yes, that is OK")
    assert _commands(page) == ["Go back", "Skip", "Help", "Stop"]


def _start_again(page: Page) -> str:
    button = page.buttons("command")[0]
    assert button.text() == "Start again"
    hint = page.doc.by_id(button.get("aria-describedby"))
    return hint.text()


def test_start_again_says_what_it_does(visitor):
    """After Stop it goes back to where the person was; after the end, to the first question."""
    _to_a_text_question(visitor)
    page = visitor.press("stop")
    assert _start_again(page) == "Start again takes you back to where you stopped."
    _plain(page.doc)
    page = visitor.press("start")
    assert "What is good about home?" in page.log_texts()[-1][1]
    fresh = Visitor(visitor.client.application.test_client())
    fresh.open()
    page = fresh.choose("No thanks")
    assert _start_again(page) == "Start again takes you back to the first question."
    page = fresh.press("stop")
    assert _start_again(page) == "Start again takes you back to the first question."
    page = fresh.press("start")
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]


# -- the letter counter and long answers ---------------------------------------------------


def test_text_box_has_a_counter_and_no_silent_limit(visitor):
    """The counter names the limit and is described by the box; the box has no maxlength
    (it would cut pasted words without a word); the spoken count starts empty."""
    page = _to_a_text_question(visitor)
    box = page.doc.by_id("answer-text")
    assert box.get("maxlength") is None
    assert box.get("data-limit") == str(MAX_ANSWER_CHARS) == "2000"
    assert box.get("aria-describedby") == "answer-count"
    counter = page.doc.by_id("answer-count")
    assert counter.text() == "You can write up to 2,000 letters."
    assert counter.get("aria-live") is None and counter.get("role") is None
    said = page.doc.by_id("answer-count-said")
    assert said.get("aria-live") == "polite" and said.text() == ""


@pytest.mark.parametrize(
    ("count", "limit", "words"),
    [
        (0, 2000, "You can write up to 2,000 letters."),
        (120, 2000, "120 of 2,000 letters."),
        (2000, 2000, "2,000 of 2,000 letters."),
        (2345, 2000, "2,345 of 2,000 letters. That is 345 too many."),
    ],
)
def test_counter_words(count, limit, words):
    """The counter's words, as the page draws them (the script says the same)."""
    assert chat.counter_text(count, limit) == words


def test_script_counts_with_the_same_words():
    """web.js builds the counter from the same sentences."""
    script = (WEB / "static" / "web.js").read_text(encoding="utf-8")
    assert '"You can write up to "' in script and '" too many."' in script
    assert '" letters."' in script


LONG = "\nMy first line.\n" + "word " * 469  # 2,360 letters once the ends are trimmed


def test_too_long_without_script_is_given_back_in_the_box(visitor, web_services):
    """More than 2,000 letters: nothing is sent or cut; the words stay in the box, with the
    reason next to it, and no 500. Shorter words then go as usual."""
    page = _to_a_text_question(visitor)
    before = page.log_texts()
    fields = {"token": page.field("token"), "nonce": page.field("nonce"), "text": LONG}
    response = visitor.client.post("/c/DEMO", data={**fields, "send": "1"})
    assert response.status_code == 400
    page = Page(400, response.get_data(as_text=True), parse(response.get_data(as_text=True)))
    box = page.doc.by_id("answer-text")
    assert "".join(c for c in box.children if isinstance(c, str)) == "\n" + LONG
    assert box.get("aria-invalid") == "true" and box.get("autofocus") == ""
    assert box.get("aria-describedby") == "answer-error answer-count"
    count = len(LONG.strip())
    message = f"Your answer has {count:,} letters. The most is 2,000. Please make it shorter."
    assert page.doc.by_id("answer-error").text() == f"Error: {message}"
    assert page.status_text == message
    assert page.doc.by_id("answer-count").text() == (
        f"{count:,} of 2,000 letters. That is {count - 2000:,} too many."
    )
    assert "counter-over" in page.doc.by_id("answer-count").classes
    assert page.doc.find_all("title")[0].text().startswith("Error:")
    assert page.log_texts() == before
    assert "What is good about home?" in page.log_texts()[-1][1]
    _plain(page.doc)
    assert [r["answer"] for r in export_rows(web_services.database, "DEMO")] == ["Good"]
    exactly = "a" * MAX_ANSWER_CHARS
    page = visitor.say(exactly)
    assert "What is not good about home?" in page.log_texts()[-1][1]
    assert [r["answer"] for r in export_rows(web_services.database, "DEMO")][-1] == exactly


def test_too_long_with_the_script_is_given_back_in_the_box(visitor, web_services):
    """The script gets no new messages, the reason as status, and the box with the words."""
    page = _to_a_text_question(visitor)
    fields = {"token": page.field("token"), "nonce": page.field("nonce")}
    response = visitor.client.post(
        "/c/DEMO/messages", data={**fields, "text": "x" * 2001, "send": "1"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["messages"] == [] and body["log_html"].strip() == ""
    assert (
        body["status"]
        == "Your answer has 2,001 letters. The most is 2,000. Please make it shorter."
    )
    answer = parse(body["answer_html"])
    box = answer.by_id("answer-text")
    assert box.text() == "x" * 2001 and box.get("aria-invalid") == "true"
    assert [r["answer"] for r in export_rows(web_services.database, "DEMO")] == ["Good"]


def test_huge_answers_are_given_back_whole(visitor):
    """Even more than any channel sends (10,000 letters) comes back whole, not cut."""
    page = _to_a_text_question(visitor)
    fields = {"token": page.field("token"), "nonce": page.field("nonce")}
    text = "y" * 30_000
    response = visitor.client.post("/c/DEMO", data={**fields, "text": text, "send": "1"})
    assert response.status_code == 400
    assert parse(response.get_data(as_text=True)).by_id("answer-text").text() == text


# -- "Your changes are saved" ---------------------------------------------------------


def test_saved_is_said_next_to_the_save_button_with_focus(visitor):
    """After Save, the settings page says so right after the button, as a status that gets
    focus; the way back to the check-in is next."""
    token = visitor.open("/settings").doc.find_all(lambda e: e.get("name") == "token")[0]
    data = {"text": "big", "next": "/c/DEMO", "token": token.get("value")}
    response = visitor.client.post("/settings", data=data)
    page = visitor.open(response.headers["Location"])
    form = next(f for f in page.doc.find_all("form") if f.get("action") == "/settings")
    children = [c for c in form.children if isinstance(c, Element)]
    button = next(c for c in children if c.tag == "button")
    saved = children[children.index(button) + 1]
    assert saved.text() == "Your changes are saved."
    assert saved.get("role") == "status"
    assert saved.get("tabindex") == "-1" and saved.get("autofocus") == ""
    back = page.doc.with_class("back-link")[0]
    assert (back.text(), back.get("href")) == ("Go back to your check-in", "/c/DEMO")
    plain = visitor.open("/settings")
    assert plain.doc.by_id("saved") is None
    assert plain.doc.with_class("back-link")[0].text() == "Go back"


# -- the web's own words: press, never send ------------------------------------------------

SEND_A_WORD = re.compile(r"\bsend\s+(skip|stop|start|help|back|yes|no)\b", re.IGNORECASE)


def _python_strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_the_web_never_says_send_skip_in_its_own_words():
    """The page has buttons: its own words say "press Skip", never "send SKIP"."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in (WEB / "templates" / "web").iterdir()}
    texts["web.js"] = (WEB / "static" / "web.js").read_text(encoding="utf-8")
    for module in ("views.py", "chat.py"):
        texts[module] = "\n".join(_python_strings(WEB / module))
    found = {name: SEND_A_WORD.findall(text) for name, text in texts.items()}
    assert {name: words for name, words in found.items() if words} == {}
    assert "press Skip" in views.EMPTY_ANSWER


def test_new_pages_use_plain_words(visitor):
    """The hidden page and a page with a caring reply keep to plain words."""
    _to_a_text_question(visitor)
    _plain(visitor.say("I am not safe at home").doc)
    visitor.open("/away")
    _plain(visitor.open().doc)


def test_the_engine_says_press_on_the_web(visitor):
    """The web asks the engine for words for buttons: its own replies (help, asking again,
    stop, going back) never say "send SKIP". Flow words are the flow's to write."""
    visitor.open()
    visitor.press("help")
    for _ in range(3):
        visitor.say("what")
    visitor.choose("Yes, that is OK")
    for _ in range(3):
        visitor.say("what")
    visitor.choose("Home")
    visitor.choose("Good")
    visitor.say("   ")
    visitor.say("My dog")
    visitor.press("back")
    visitor.press("stop")
    page = visitor.press("start")
    log = next(e for e in page.doc.iter() if e.get("role") == "log")
    own = [
        msg.with_class("text")[0].text()
        for msg in log.with_class("msg")
        if not {"purpose-flow", "purpose-current", "purpose-end"} & msg.classes
    ]
    assert len(own) >= 8
    assert [text for text in own if SEND_A_WORD.search(text)] == []
    assert any("press Skip" in text for text in own)
