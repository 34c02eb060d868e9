"""Cards on the web chat: toggle buttons with a picture and words, Done, and "Tell us more".
Without JavaScript a card posts the form and the page comes back with it pressed; with the
script the answer goes as one payload. Going back shows the earlier answer. The export has
one row per card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.channels.conftest import WEB_SECRET
from tests.channels.web_visitor import Page, Visitor
from tests.channels.webpage import Element, parse
from voicebox.app import build_services, create_app
from voicebox.bot.engine import Engine
from voicebox.channels.registry import build_channels
from voicebox.flows import load_builtin_flows
from voicebox.flows.loader import load_flow
from voicebox.settings import Settings
from voicebox.storage.consultations import create_consultation, ensure_demo
from voicebox.storage.export import export_rows
from voicebox.storage.services import Services

PICTURES = Path(__file__).resolve().parents[1] / "flows" / "pictures_test.yaml"
GOOD = "What is good about school?"
NOT_GOOD = "What is not good about school?"


@pytest.fixture
def cards_services(database) -> Iterator[Services]:
    """Services whose engine also runs the test flow of picture cards; PICS uses it."""
    services = build_services(
        Settings(database_url=database.url, secret_key=WEB_SECRET), build_channels({})
    )
    flow = load_flow(PICTURES)
    services.engine = Engine([*load_builtin_flows().values(), flow], services.store)
    ensure_demo(services.database, dict(services.engine.flows))
    create_consultation(services.database, "PICS", flow.id, flow.version, "Say it with pictures")
    yield services
    services.database.dispose()


@pytest.fixture
def cards_client(cards_services) -> FlaskClient:
    """A browser with JavaScript off on an app with the picture cards check-in."""
    app = create_app(
        {"TESTING": True}, settings=Settings(), services=cards_services, channels=build_channels({})
    )
    return app.test_client()


@pytest.fixture
def person(cards_client) -> Visitor:
    """A young person on the picture cards check-in, past consent."""
    visitor = Visitor(cards_client, "PICS")
    visitor.open()
    visitor.choose("Yes, that is OK")
    return visitor


def _cards(page: Page) -> list[Element]:
    return page.buttons("card")


def _pressed(page: Page) -> list[str]:
    return [b.text() for b in _cards(page) if b.get("aria-pressed") == "true"]


def _fields(page: Page) -> dict[str, str]:
    return {"token": page.field("token"), "nonce": page.field("nonce")}


def _press_card(visitor: Visitor, words: str, text: str = "") -> Page:
    """Press a card with JavaScript off: the page comes back at once, the card pressed."""
    page = visitor.page
    assert page is not None
    card = next(b for b in _cards(page) if b.text() == words)
    data = {**_fields(page), "cards": page.field("cards"), "card": card.get("value"), "text": text}
    response = visitor.client.post(f"/c/{visitor.code}", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    visitor.page = Page(200, html, parse(html))
    return visitor.page


def _done(visitor: Visitor, text: str = "") -> Page:
    page = visitor.page
    assert page is not None
    return visitor.post({"cards": page.field("cards"), "text": text, "done": "1"})


def _said(page: Page) -> list[tuple[list[str], str]]:
    """The person's messages: the cards' words, and the words typed."""
    log = next(e for e in page.doc.iter() if e.get("role") == "log")
    said = []
    for turn in log.with_class("turn-you"):
        for msg in turn.with_class("msg"):
            cards = [li.text() for ul in msg.with_class("said-cards") for li in ul.find_all("li")]
            texts = msg.with_class("text")
            said.append((cards, texts[0].text() if texts else ""))
    return said


def test_a_cards_question_is_toggle_buttons_done_and_tell_us_more(person):
    """Each card is a toggle button named by its words (picture alt=""), then a labelled
    text box, Done, and the usual buttons; the question is the question alone."""
    page = person.open()
    assert page.log_texts()[-1] == ("bot", GOOD)
    cards = _cards(page)
    assert [c.text() for c in cards] == ["My friends", "Lessons", "Sport", "The bus", "Talking"]
    for card in cards:
        assert card.get("aria-pressed") == "false" and card.get("type") == "submit"
        assert [img.get("alt") for img in card.find_all("img")] == [""]
        tick = card.with_class("tick")[0]
        assert tick.get("aria-hidden") == "true" and tick.text() == ""
    legend = page.doc.with_class("cards-set")[0].find_all("legend")[0]
    assert legend.text() == "Choose one or more. Then press Done."
    label = next(lab for lab in page.doc.find_all("label") if lab.get("for") == "answer-text")
    assert label.text() == "Tell us more (you do not have to)"
    assert [b.text() for b in page.buttons("done")] == ["Done"]
    assert [b.text() for b in page.buttons("command")] == ["Go back", "Skip", "Help", "Stop"]
    assert page.field("cards") == "good:"
    reader = page.doc.with_class("current")[0].with_class("read-aloud")[0]
    assert reader.get("data-speak").endswith(
        "You can choose one or more: My friends, Lessons, Sport, The bus, or Talking."
    )


def test_cards_without_javascript(person, cards_services):
    """A card's press comes back pressed (focus on it, the words kept), a second press lets
    it go, Done sends the cards and the words; one export row per card, then the words."""
    page = _press_card(person, "My friends")
    assert _pressed(page) == ["My friends"]
    assert page.doc.by_id("card-friends").get("autofocus") == ""
    assert page.field("cards") == "good:friends"
    assert page.log_texts()[-1] == ("bot", GOOD)
    assert list(export_rows(cards_services.database, "PICS")) == []  # nothing sent yet
    page = _press_card(person, "Sport", text="We play football")
    assert _pressed(page) == ["My friends", "Sport"]
    assert page.doc.by_id("answer-text").text() == "We play football"
    page = _press_card(person, "My friends", text="We play football")
    assert _pressed(page) == ["Sport"]
    page = _press_card(person, "Lessons", text="We play football")
    assert _pressed(page) == ["Lessons", "Sport"]
    page = _done(person, "We play football")
    assert page.log_texts()[-1] == ("bot", NOT_GOOD)
    assert _said(page)[-1] == (["Lessons", "Sport"], "We play football")
    pictures = page.doc.with_class("said-cards")[-1].find_all("img")
    assert [(img.get("alt"), img.get("src")) for img in pictures] == [
        ("", "/pictures/school"),
        ("", "/pictures/clubs_and_fun"),
    ]
    rows = list(export_rows(cards_services.database, "PICS"))
    assert [(r["answer"], r["answer_key"], r["kind"]) for r in rows] == [
        ("Lessons", "lessons", "top"),
        ("Sport", "sport", "top"),
        ("We play football", "", "top"),
    ]
    assert {r["channel"] for r in rows} == {"web"}


def test_pressing_the_same_card_twice_keeps_it_pressed(person):
    """A card's button says whether it presses or lets go, so a form sent twice (Back and
    resend, a double tap) gives the same page."""
    page = person.open()
    value = next(b for b in _cards(page) if b.text() == "Talking").get("value")
    assert value == "+talking"
    for _ in range(2):
        data = {**_fields(page), "cards": "good:", "card": value}
        html = person.client.post("/c/PICS", data=data).get_data(as_text=True)
        again = Page(200, html, parse(html))
        assert _pressed(again) == ["Talking"]
        assert again.doc.by_id("card-talking").get("value") == "-talking"


def test_cards_with_the_script(person, cards_services):
    """Done sends one payload; the new messages show the cards; the next question comes."""
    page = person.open()
    fields = {**_fields(page), "cards": "good:bus,talking", "text": "", "done": "1"}
    body = person.client.post("/c/PICS/messages", data=fields).get_json()
    assert body["messages"][0]["who"] == "you"
    assert [c["words"] for c in body["messages"][0]["cards"]] == ["The bus", "Talking"]
    assert body["messages"][-1]["text"] == NOT_GOOD
    assert body["mode"] == "cards"
    log = parse(body["log_html"])
    assert [li.text() for li in log.with_class("said-cards")[0].find_all("li")] == [
        "The bus",
        "Talking",
    ]
    answer = parse(body["answer_html"])
    assert [b.text() for b in answer.find_all("button") if b.get("name") == "card"] == [
        "The bus",
        "Lessons",
        "Going home",
    ]
    rows = list(export_rows(cards_services.database, "PICS"))
    assert [r["answer_key"] for r in rows] == ["bus", "talking"]


def test_done_with_nothing_is_asked_again_kindly(person, cards_services):
    """Done with no card and no words: the engine asks again, in words for buttons."""
    page = _done(person)
    texts = page.log_texts()
    assert texts[-3] == ("you", "Done")
    assert texts[-2] == (
        "bot",
        "Please choose one or more pictures, then press Done. Or press Skip.",
    )
    assert texts[-1] == ("bot", GOOD)
    assert list(export_rows(cards_services.database, "PICS")) == []


def test_words_alone_answer_a_cards_question(person, cards_services):
    """Tell us more with no card is an answer too."""
    page = _done(person, "The library")
    assert _said(page)[-1] == ([], "The library")
    assert page.log_texts()[-1] == ("bot", NOT_GOOD)
    assert [r["answer"] for r in export_rows(cards_services.database, "PICS")] == ["The library"]


def test_going_back_shows_the_cards_chosen_before(person, cards_services):
    """Go back to a cards question: the cards chosen are pressed and the words are in the
    box; Done again replaces the answer (still one row per card)."""
    _press_card(person, "My friends")
    _press_card(person, "The bus", text="And my teacher")
    _done(person, "And my teacher")
    page = person.press("back")
    assert page.log_texts()[-1] == ("bot", GOOD)
    assert ("you", "Go back") in page.log_texts()  # a command at a cards question, as pressed
    assert any(text.startswith("Your answer was:") for _who, text in page.log_texts()[-3:])
    assert _pressed(page) == ["My friends", "The bus"]
    assert page.field("cards") == "good:friends,bus"
    assert page.doc.by_id("answer-text").text() == "And my teacher"
    page = _press_card(person, "The bus", text="And my teacher")
    page = _done(person, "And my teacher")
    assert page.log_texts()[-1] == ("bot", NOT_GOOD)
    rows = list(export_rows(cards_services.database, "PICS"))
    assert [r["answer"] for r in rows] == ["My friends", "And my teacher"]


def test_going_back_marks_the_choice_and_fills_the_box(client):
    """Go back to a choice question: the earlier choice has a "Your answer" tag that
    describes its button (whose name stays its words); a text question keeps the words."""
    visitor = Visitor(client)
    visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("Home")
    visitor.choose("Good")
    visitor.say("My dog")
    page = visitor.press("back")
    assert page.doc.by_id("answer-text").text() == "My dog"
    assert page.doc.by_id("answer-count").text() == "6 of 2,000 letters."
    page = visitor.press("back")
    assert page.choice_words() == ["Very good", "Good", "OK", "Not good", "Bad"]
    good = next(b for b in page.buttons("choice") if b.text() == "Good")
    tag = page.doc.by_id(good.get("aria-describedby"))
    assert tag.text() == "Your answer"
    assert "earlier-tag" in tag.classes and tag not in list(good.iter())
    others = [b for b in page.buttons("choice") if b.text() != "Good"]
    assert all(b.get("aria-describedby") is None for b in others)


def test_the_transcript_shows_cards_as_pictures_and_words(person):
    """After a reload the person's cards come back from the transcript as pictures."""
    _done_via(person, "good:friends,sport", "")
    page = person.open()
    assert _said(page)[-1] == (["My friends", "Sport"], "")
    assert ("you", "Yes, that is OK") in page.log_texts()


def _done_via(visitor: Visitor, cards: str, text: str) -> Page:
    page = visitor.open()
    return visitor.post({"cards": cards, "text": text, "done": "1", **_fields(page)})


def test_too_long_words_under_cards_are_given_back_with_the_cards(person, cards_services):
    """More than 2,000 letters in Tell us more: nothing is sent, cards and words stay."""
    page = person.open()
    fields = {**_fields(page), "cards": "good:lessons", "text": "z" * 2100, "done": "1"}
    response = person.client.post("/c/PICS", data=fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    page = Page(400, html, parse(html))
    assert _pressed(page) == ["Lessons"]
    assert page.doc.by_id("answer-text").text() == "z" * 2100
    assert page.doc.by_id("answer-text").get("aria-invalid") == "true"
    assert list(export_rows(cards_services.database, "PICS")) == []


def test_a_card_for_an_earlier_question_changes_nothing(person, cards_services):
    """An old form's cards (for a question already passed) are not taken as this answer."""
    _done_via(person, "good:friends", "")
    page = _done_via(person, "good:sport", "")
    assert page.log_texts()[-1] == ("bot", NOT_GOOD)
    assert [r["answer_key"] for r in export_rows(cards_services.database, "PICS")] == ["friends"]
