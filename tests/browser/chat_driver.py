"""Driving the web chat in Chromium: by keyboard, by mouse, with JavaScript off; and axe."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from axe_playwright_python.sync_playwright import Axe

# axe skips target size (2.5.8) unless wcag22aa is asked for.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()

# The demo check-in (tops_and_pants), as a young person answers.
DEMO_STEPS = [
    ("choose", "Yes, that is OK"),
    ("choose", "School or college"),
    ("choose", "Good"),
    ("type", "My teacher explains things"),
    ("type", "The corridors are too busy"),
    ("type", "A quiet place at break"),
    ("choose", "No, I am done"),
    ("choose", "Yes, tell me"),
]
END_WORDS = "will talk about what to change"
# From the demo check-in's start to its first question answered in words.
TO_A_TEXT_QUESTION = [("choose", "Yes, that is OK"), ("choose", "Home"), ("choose", "Good")]


class Way(NamedTuple):
    """How the page is used: script on or off, and the window's size."""

    script: bool
    width: int
    height: int

    def __str__(self) -> str:
        return f"{'js' if self.script else 'no-js'}-{self.width}"

    def options(self) -> dict[str, Any]:
        """The browser context's options for this way."""
        return {
            "viewport": {"width": self.width, "height": self.height},
            "java_script_enabled": self.script,
        }


# A phone and a laptop, each with the script on and off.
WAYS = [Way(True, 320, 640), Way(False, 320, 640), Way(True, 1280, 800), Way(False, 1280, 800)]


_RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.flatMap((rule) => rule.nodes.map((node) => {
        const check = [...node.any, ...node.all, ...node.none][0];
        return `${rule.id} (${rule.impact}) ${node.target.join(' ')}: `
            + (check ? check.message : rule.help);
    }));
}"""

# Resolves once the page is still: no scrolling (a smooth scroll to the reply has ended) and
# no transition running (a button's colour fading in), for a few frames in a row.
_SETTLED = """() => new Promise((done) => {
    let last = null, still = 0;
    const tick = () => {
        const moving = document.getAnimations().some((a) => a.playState === 'running');
        still = !moving && window.scrollY === last ? still + 1 : 0;
        last = window.scrollY;
        if (still >= 6) { done(last); } else { requestAnimationFrame(tick); }
    };
    requestAnimationFrame(tick);
})"""


def settled_scroll(page) -> int:
    """Wait until the page (script on) is still; return where it is scrolled to."""
    return page.evaluate(_SETTLED)


def accessibility_problems(page) -> list[str]:
    """axe-core on the page as it is now: one line per WCAG 2.2 A/AA violation.

    The page is checked where it is scrolled to, as a person sees it. axe is put into each
    document once (it is big) and run again on later steps of the same page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE.axe_script)
    return page.evaluate(_RUN_AXE, AXE_TAGS)


def assert_accessible(page, where: str = "", copy: ScriptlessCopy | None = None) -> None:
    """Fail with a readable list of violations (rule, impact, target, why) unless none.

    Give `copy` for a page with JavaScript off (axe then checks an exact copy). A page with
    the script is checked once it is still: the smooth scroll to the reply has ended."""
    if copy is None:
        scrolled = settled_scroll(page)
        problems = accessibility_problems(page)
    else:
        scrolled = page.evaluate("() => window.scrollY")
        problems = copy.problems(page)
    if problems:
        size = page.viewport_size or {}
        raise AssertionError(
            f"axe found {len(problems)} problem(s) {where} at {page.url} "
            f"({size.get('width')}x{size.get('height')}, scrolled to {scrolled}):\n  "
            + "\n  ".join(problems)
        )


class ScriptlessCopy:
    """axe for pages loaded with JavaScript off: axe needs script, so it checks a copy.

    The copy is the exact HTML the page got, shown at the same address in a second page (in
    a window of the same size, scrolled to the same place) that may run axe but whose own
    script file is blocked. One copy page serves every test: later copies replace its
    document (set_content keeps the window), so axe is put into it once."""

    def __init__(self, browser):
        self._browser = browser
        self._context = None
        self._page = None
        self._html = ""
        self._url = ""

    def problems(self, page) -> list[str]:
        self._html = page.content()
        url = self._url = page.url.split("#")[0]
        scrolled = page.evaluate("() => window.scrollY")
        checker = self._checker(page.viewport_size)
        if checker.url == url:
            checker.set_content(self._html)
        else:
            checker.goto(url)
        checker.evaluate("(y) => window.scrollTo(0, y)", scrolled)
        there = settled_scroll(checker)
        assert abs(there - scrolled) < 1, f"the copy scrolled to {there}, not {scrolled}"
        return accessibility_problems(checker)

    def _checker(self, viewport):
        if self._page is None:
            self._context = self._browser.new_context(viewport=viewport)
            self._page = self._context.new_page()
            self._page.route("**/web-static/web.js", lambda route: route.abort())
            self._page.route("**/workers/static/live.js", lambda route: route.abort())
            self._page.route(
                lambda address: address.split("#")[0] == self._url,
                lambda route: route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=self._html
                ),
            )
        elif self._page.viewport_size != viewport:
            self._page.set_viewport_size(viewport)
        return self._page

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = self._page = None


@dataclass
class Focused:
    """What has keyboard focus."""

    tag: str
    id: str
    text: str
    classes: str
    outline: str
    covered: bool  # under the header that stays in view (WCAG 2.4.11)


def focused(page) -> Focused:
    """The element with focus, how its focus is drawn, and whether the header covers it."""
    data = page.evaluate(
        """() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const header = document.querySelector('.site-header');
        let covered = false;
        if (header && !header.contains(el) && !el.classList.contains('skip-link')
            && getComputedStyle(header).position === 'sticky') {
            covered = el.getBoundingClientRect().top < header.getBoundingClientRect().bottom - 1;
        }
        return {tag: el.tagName.toLowerCase(), id: el.id || '',
                text: (el.innerText || el.value || '').trim().replace(/\\s+/g, ' '),
                classes: el.className || '',
                outline: style.outlineStyle + ' ' + style.outlineWidth,
                covered: covered};
    }"""
    )
    return Focused(**data)


def tab_to(page, match, limit: int = 80) -> Focused:
    """Press Tab until the focused element matches; each stop must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now.tag in ("a", "button", "input", "textarea"):
            assert not now.outline.startswith("none"), f"no visible focus on {now}"
        assert not now.covered, f"focus is under the header: {now}"
        if match(now):
            return now
    raise AssertionError(f"Tab never reached the element ({focused(page)})")


def button_named(words: str):
    """A matcher for a button whose text is exactly these words."""
    return lambda f: f.tag == "button" and f.text == words


def turn_count(page) -> int:
    """How many turns the log holds."""
    return page.locator("#log .turn").count()


def wait_for_reply(page, turns_before: int) -> None:
    """Wait until the script has added the reply and the form is ready again."""
    page.wait_for_function(
        """(before) => document.querySelectorAll('#log .turn').length > before
            && !document.querySelector('.answer-form[aria-busy]')""",
        arg=turns_before,
    )


def press_or_type(page, kind: str, words: str) -> None:
    """Answer one step as a person would: type and Send, or press the choice's button."""
    if kind == "type":
        page.get_by_label("Your answer").fill(words)
        page.get_by_role("button", name="Send", exact=True).click()
    else:
        page.get_by_role("button", name=words, exact=True).click()


def answer(page, kind: str, words: str) -> None:
    """Answer one step with the script on, and wait for the reply."""
    before = turn_count(page)
    press_or_type(page, kind, words)
    wait_for_reply(page, before)


def take(page, kind: str, words: str, script: bool) -> None:
    """One step as a person takes it, script on or off; back once the reply is there."""
    if script:
        answer(page, kind, words)
    else:
        with page.expect_navigation():
            press_or_type(page, kind, words)


def mark_history(page) -> None:
    """Remember the first message node, to prove later the history was never re-drawn."""
    page.evaluate("() => { window.__firstTurn = document.querySelector('#log .turn'); }")


def history_untouched(page) -> bool:
    """True when the first message is still the very same node."""
    return page.evaluate(
        """() => window.__firstTurn === document.querySelector('#log .turn')
            && window.__firstTurn.isConnected"""
    )


def last_bot_text(page) -> str:
    """The newest message from Voicebox."""
    return page.locator("#log .turn-bot .msg .text").last.inner_text()


def no_sideways_scroll(page) -> bool:
    """True when the page is no wider than the window."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"
    )


def code_of(url: str) -> str:
    """The check-in code in a /c/CODE address."""
    found = re.search(r"/c/([A-Z0-9_-]+)", url)
    assert found, url
    return found.group(1)


def watch_requests(page) -> tuple[list[str], list[str]]:
    """Record every request and every policy complaint or error the page makes."""
    requests: list[str] = []
    complaints: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    return requests, complaints
