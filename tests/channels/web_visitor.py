"""A young person on the web chat with JavaScript off: read the HTML, press a button."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient

from tests.channels.webpage import Element, parse


@dataclass
class Page:
    """A page as a test reads it."""

    status: int
    html: str
    doc: Element

    def buttons(self, name: str) -> list[Element]:
        """Buttons with this form field name."""
        return [b for b in self.doc.find_all("button") if b.get("name") == name]

    def choice_words(self) -> list[str]:
        """The words on the choice buttons."""
        return [b.text() for b in self.buttons("choice")]

    def log_texts(self) -> list[tuple[str, str]]:
        """(who, text) for each message in the log."""
        log = self.doc.find_all(lambda e: e.get("role") == "log")[0]
        found = []
        for turn in log.with_class("turn"):
            who = "bot" if "turn-bot" in turn.classes else "you"
            for msg in turn.with_class("msg"):
                texts = msg.with_class("text")  # a message of cards alone has none
                cards = [
                    li.text() for li in msg.find_all("li") if "said-cards" in li.parent.classes
                ]
                found.append((who, texts[0].text() if texts else ", ".join(cards)))
        return found

    def field(self, name: str) -> str:
        """A hidden field's value in the answer form."""
        form = self.doc.with_class("answer-form")[0]
        return next(i.get("value") for i in form.find_all("input") if i.get("name") == name)

    @property
    def status_text(self) -> str:
        """What the role=status region says."""
        return self.doc.by_id("status").text()


class Visitor:
    """One young person on the web chat with JavaScript off."""

    def __init__(self, client: FlaskClient, code: str = "DEMO") -> None:
        self.client = client
        self.code = code
        self.page: Page | None = None

    def open(self, path: str | None = None) -> Page:
        """GET a page (the check-in by default)."""
        response = self.client.get(path or f"/c/{self.code}")
        self.page = Page(response.status_code, response.get_data(as_text=True), None)  # type: ignore[arg-type]
        self.page.doc = parse(self.page.html)
        return self.page

    def post(self, data: dict[str, str]) -> Page:
        """Post the answer form with these fields, follow the redirect, and read the page."""
        assert self.page is not None
        fields = {"token": self.page.field("token"), "nonce": self.page.field("nonce"), **data}
        response = self.client.post(f"/c/{self.code}", data=fields)
        assert response.status_code == 303, response.status_code
        assert response.headers["Location"].endswith(f"/c/{self.code.upper()}")
        return self.open()

    def choose(self, words: str) -> Page:
        """Press the choice button with these words."""
        assert self.page is not None
        button = next(b for b in self.page.buttons("choice") if b.text() == words)
        return self.post({"choice": button.get("value")})

    def say(self, text: str) -> Page:
        """Type words and press Send."""
        return self.post({"text": text, "send": "1"})

    def press(self, command: str) -> Page:
        """Press Skip, Help, Stop, Go back or Start again (by the command's value)."""
        return self.post({"command": command})
