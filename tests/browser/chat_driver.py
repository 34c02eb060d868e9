"""Driving the web chat in Chromium: by keyboard, by mouse, with JavaScript off; and axe."""

from __future__ import annotations

import re
from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe

# axe skips target size (2.5.8) unless wcag22aa is asked for.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()

# The demo check-in (tops_and_pants) and the four cornerstones, as a young person answers.
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
CORNER_STEPS = [
    ("choose", "Yes, that is OK"),
    ("type", "People say hello to me"),
    ("type", "Say my name right"),
    ("skip", "Skip"),
    ("type", "Ask me first"),
    ("type", "They talk to me, not my mum"),
    ("type", "Use pictures"),
    ("type", "We plan my review together"),
    ("skip", "Skip"),
    ("type", "Listen and then do it"),
    ("choose", "No thanks"),
]
END_WORDS = "Thank you for your answers"


def accessibility_problems(page) -> str:
    """axe-core on the page: a report of WCAG 2.2 A/AA violations, or ''.

    The page is checked scrolled to the top. The header (with Exit this page) stays in view
    as the page scrolls, so at other scroll positions axe counts whatever is passing under
    it as "partly covered" (target size). Focus never goes under it: see `focused`."""
    page.evaluate("() => window.scrollTo(0, 0)")
    results = _AXE.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return "" if results.violations_count == 0 else results.generate_report()


def assert_accessible(page, where: str = "", browser=None) -> None:
    """Fail with axe's whole report unless the page has no violations.

    Give `browser` for a page with JavaScript off (axe then checks an exact copy)."""
    if browser is None:
        problems = accessibility_problems(page)
    else:
        problems = accessibility_problems_without_script(browser, page)
    if problems:
        raise AssertionError(f"axe found problems {where} at {page.url}:\n{problems}")


def accessibility_problems_without_script(browser, page) -> str:
    """axe on a page loaded with JavaScript off (axe needs script, so check a copy).

    The copy is the exact HTML the page got, served at the same address to a second page
    that may run axe but whose own script file is blocked."""
    html = page.content()
    url = page.url.split("#")[0]
    context = browser.new_context(viewport=page.viewport_size)
    try:
        checker = context.new_page()
        checker.route("**/web-static/web.js", lambda route: route.abort())
        checker.route(
            url,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        checker.goto(url)
        return accessibility_problems(checker)
    finally:
        context.close()


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
