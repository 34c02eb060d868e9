"""Draw README's picture of a Telegram check-in: what a young person sees.

The demo check-in runs against the real app with the Telegram channel pointed at the test
suite's fake Bot API (tests/channels/telegram_app.py); the fake keeps each chat as the
person sees it (edits applied). The chat is drawn as a plain, accessible HTML page styled
like a phone chat, and Debian's Chromium (through Playwright) takes its picture.

    python docs/telegram_screenshot.py            # writes docs/screenshots/telegram-chat.png
    python docs/telegram_screenshot.py --html chat.html   # also keeps the page

Needs /usr/bin/chromium (apt-get install chromium) and a colour emoji font
(apt-get install fonts-noto-color-emoji), else the symbols show as empty boxes.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels.telegram_app import Person, TelegramApp  # noqa: E402
from tests.channels.telegram_harness import FakeBotApi, ShownMessage  # noqa: E402
from voicebox.storage import reach  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
OUT = ROOT / "docs" / "screenshots" / "telegram-chat.png"
# Symbols, drawn in colour: plain fonts have black-and-white shapes for some of them.
EMOJI = re.compile("[\u2190-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]+")


@dataclass
class Bubble:
    """One message in the chat: from the bot (with its buttons) or typed by the person."""

    mine: bool
    text: str
    rows: list[list[str]] = field(default_factory=list)
    edited: bool = False


class Reader(Person):
    """A person who presses a button only once the bot has noted which message holds it,
    as anyone reading the message first does (a machine's press can beat the outbox)."""

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[ShownMessage]:
        """Wait for `count` messages from the bot, the newest noted as sent."""
        super().wait_for_messages(count, timeout)
        newest = str(self.newest().message_id)
        services = self.app.services
        deadline = time.monotonic() + timeout
        address = f"telegram:{self.chat_id}"
        while (
            reach.newest_sent_to(services.database, services.secret, "telegram", address) or ("",)
        )[0] != newest:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not note its message")
            time.sleep(0.02)
        return self.shown()


def run_check_in(folder: Path) -> list[Bubble]:
    """The start of the demo check-in by buttons; the chat as the person sees it then."""
    typed: list[tuple[int, str]] = []  # (bot messages before it, the words)
    with FakeBotApi() as fake:
        app = TelegramApp(folder, fake)
        try:
            person = Reader(app)

            def send(words: str) -> None:
                typed.append((len(person.shown()), words))
                person.send(words)

            send("/start DEMO")
            person.press("Yes, that is OK")
            person.press("Home")
            shown = person.shown()
        finally:
            app.close()
    bubbles: list[Bubble] = []
    for index, message in enumerate(shown):
        bubbles += [Bubble(True, words) for before, words in typed if before == index]
        rows = [
            [button["text"] for button in row]
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
        ]
        bubbles.append(Bubble(False, message.text, rows, message.edited))
    return bubbles


STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.4 "DejaVu Sans", sans-serif;
       background: #cfdce6; color: #111; }
header { display: flex; align-items: center; gap: 12px; padding: 10px 14px;
         background: #24507a; color: #fff; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #f2a33a; color: #111;
          display: grid; place-items: center; font-weight: bold; font-size: 20px; }
h1 { margin: 0; font-size: 18px; }
header p { margin: 0; font-size: 14px; color: #e8f0f7; }
ol { list-style: none; margin: 0; padding: 12px 10px 16px; display: flex;
     flex-direction: column; gap: 10px; }
li { max-width: 88%; }
li.bot { align-self: flex-start; }
li.mine { align-self: flex-end; }
.bubble { padding: 8px 12px; border-radius: 14px; white-space: pre-wrap;
          box-shadow: 0 1px 1px rgba(0, 0, 0, 0.2); }
.bot .bubble { background: #fff; border-bottom-left-radius: 4px; }
.mine .bubble { background: #dcf5c4; border-bottom-right-radius: 4px; }
.edited { display: block; text-align: right; font-size: 13px; color: #4d4d4d; }
.buttons { margin-top: 4px; display: flex; flex-direction: column; gap: 4px; }
.row { display: flex; gap: 4px; }
.row button { flex: 1; font: inherit; font-size: 15px; padding: 8px 6px; border: 0;
              border-radius: 10px; background: #3b6687; color: #fff; }
.emoji { font-family: "Noto Color Emoji", sans-serif; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip-path: inset(50%); white-space: nowrap; }
"""


def words(text: str) -> str:
    """Text as HTML, its symbols in the colour emoji font."""
    return EMOJI.sub(lambda found: f'<span class="emoji">{found.group()}</span>', html.escape(text))


def chat_page(bubbles: list[Bubble]) -> str:
    """The chat as an HTML page: who said each message, then its words and buttons."""
    items = []
    for bubble in bubbles:
        who = "You" if bubble.mine else "Voicebox"
        edited = '<span class="edited">edited</span>' if bubble.edited else ""
        keyboard = ""
        if bubble.rows:
            rows = "".join(
                '<div class="row">'
                + "".join(f'<button type="button">{words(b)}</button>' for b in row)
                + "</div>"
                for row in bubble.rows
            )
            keyboard = f'<div class="buttons" role="group" aria-label="Buttons">{rows}</div>'
        items.append(
            f'<li class="{"mine" if bubble.mine else "bot"}">'
            f'<span class="visually-hidden">{who}:</span>'
            f'<div class="bubble">{words(bubble.text)}{edited}</div>{keyboard}</li>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>A check-in on Telegram</title><style>{STYLE}</style></head><body>"
        '<header><span class="avatar" aria-hidden="true">V</span>'
        "<div><h1>Voicebox</h1><p>bot</p></div></header>"
        f'<main><ol aria-label="Chat with Voicebox">{"".join(items)}</ol></main>'
        "</body></html>"
    )


def screenshot(page_html: str, out: Path) -> None:
    """A phone-sized picture of the whole page, by Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE, device_scale_factor=1)
            page.set_content(page_html)
            page.screenshot(path=str(out), full_page=True, animations="disabled")
        finally:
            browser.close()


def main() -> None:
    """Run the check-in, draw the chat and take its picture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNG goes")
    parser.add_argument("--html", type=Path, help="also keep the HTML page here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        page_html = chat_page(run_check_in(Path(folder)))
    if args.html:
        args.html.write_text(page_html, encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(page_html, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
