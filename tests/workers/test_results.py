"""The results pages: results at a glance and the live view, on a real app and database.
Every chart has a summary and a table of the same numbers; fewer than 5 people is only
ever "fewer than 5"; another group's check-in is not found."""

from __future__ import annotations

import re

import pytest

from tests.channels.webpage import parse
from tests.storage.test_results import take_part
from voicebox.flows import load_builtin_flows
from voicebox.storage.results import FEWER, FIVE_OR_MORE
from voicebox.workers.result_pages import Words, period_words

PAGES = ["results", "live", "live/latest"]
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _charts(page) -> dict[str, dict]:
    """Each chart on a page by id: its title, summary, bars (SVG) and table rows."""
    found = {}
    for chart in page.with_class("chart"):
        svg = chart.find_all("svg")
        table = chart.find_all("table")
        found[chart.get("id")] = {
            "title": chart.by_id(f"{chart.get('id')}-title").text(),
            "summary": chart.with_class("chart-summary")[0].text(),
            "svg": svg[0] if svg else None,
            "labels": [t.text() for t in chart.find_all("text")],
            "bars": len(chart.find_all("rect")),
            "rows": [
                tuple(cell.text().strip() for cell in row.find_all(lambda e: e.tag in ("th", "td")))
                for row in table[0].find_all("tr")[1:]
            ]
            if table
            else [],
        }
    return found


def _crowd(area, people: int, code: str = "YOUTH1") -> None:
    for _ in range(people):
        take_part(area.services.engine, code)


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_goes_to_sign_in(area, path):
    """No one signed in: every results page sends them to sign in first."""
    response = area.client().get(f"/workers/checkins/YOUTH1/{path}")
    assert response.status_code == 302
    assert "/workers/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_another_groups_results_are_not_found(area, path):
    """A worker of another group gets 'not found'; the group's worker and admins see them;
    a check-in with no group is for admins only."""
    _crowd(area, 5)
    assert (
        area.signed_in("council@example.org").get(f"/workers/checkins/YOUTH1/{path}").status_code
        == 404
    )
    assert (
        area.signed_in("youth@example.org").get(f"/workers/checkins/YOUTH1/{path}").status_code
        == 200
    )
    admin = area.signed_in("admin@example.org")
    assert admin.get(f"/workers/checkins/YOUTH1/{path}").status_code == 200
    assert admin.get(f"/workers/checkins/LOOSE/{path}").status_code == 200
    assert (
        area.signed_in("youth@example.org").get(f"/workers/checkins/LOOSE/{path}").status_code
        == 404
    )
    assert admin.get(f"/workers/checkins/NOSUCH/{path}").status_code == 404


def test_4_people_show_as_fewer_than_5_on_every_page(area):
    """Exactly 4 people: each page says "fewer than 5" in its words, cells and bars (no bar
    is drawn for a hidden number), lists no part of life and shows none of their words."""
    _crowd(area, 4)
    client = area.signed_in("youth@example.org")
    for path in PAGES:
        html = _html(client, f"/workers/checkins/YOUTH1/{path}")
        page = parse(html)
        text = page.text()
        assert "Fewer than 5 people have taken part so far" in text, path
        assert "Kind teachers" not in html and "A quiet room" not in html, path
        assert "School or college" not in text, path
        charts = _charts(page)
        assert charts["channels"]["rows"] == [("Text message", FEWER)], path
        assert charts["channels"]["labels"] == [f"Text message: {FEWER}"], path
        assert all(chart["bars"] == 0 for chart in charts.values()), path
        assert not re.search(r">\s*4\s*<", html), path  # the number itself is nowhere
    results = parse(_html(client, "/workers/checkins/YOUTH1/results")).text()
    assert "No part of life has 5 or more people yet." in results
    assert "Fewer than 5 people have said what would make things better." in results
    assert (
        _charts(parse(_html(client, "/workers/checkins/YOUTH1/results")))["over-time"]["rows"][0][1]
        == FEWER
    )


def test_5_people_show_as_5_with_charts_tables_and_words(area):
    """The fifth person: the numbers, a bar for each shown number, the part of life with
    its feelings, and the words young people typed."""
    _crowd(area, 5)
    client = area.signed_in("youth@example.org")
    page = parse(_html(client, "/workers/checkins/YOUTH1/results"))
    text = page.text()
    assert "5 people have taken part." in text
    charts = _charts(page)
    assert charts["channels"]["rows"] == [("Text message", "5")]
    assert charts["channels"]["bars"] == 1
    assert charts["channels"]["summary"] == "The most is Text message, with 5 people."
    feelings = charts["feelings-1"]
    assert feelings["title"] == "How people feel about school or college"
    assert feelings["rows"] == [
        ("Very good", FEWER),
        ("Good", "5"),
        ("OK", FEWER),
        ("Not good", FEWER),
        ("Bad", FEWER),
    ]
    assert feelings["bars"] == 1
    assert feelings["summary"] == (
        "The most is Good, with 5 people. 4 numbers are hidden, so no one can be picked out."
    )
    topics = page.by_id("topics").find_all("tr")[1]
    assert [c.text().strip() for c in topics.find_all(lambda e: e.tag in ("th", "td"))] == [
        "School or college",
        "5",
        "5",
        "5",
        "5",
    ]
    quotes = [q.text().strip() for q in page.with_class("quote-text")]
    assert "Kind teachers" in quotes and "Noisy corridors" in quotes and "A quiet room" in quotes
    assert "5 people said what would make things better." in text


def test_a_lone_small_channel_hides_the_next_smallest_too(area):
    """5 by text message and 1 on the web, 6 in all: the web is hidden, and text message
    says only "5 or more", so the web's number cannot be worked out from the total."""
    _crowd(area, 5)
    take_part(area.services.engine, "YOUTH1", channel="web")
    page = parse(_html(area.signed_in("youth@example.org"), "/workers/checkins/YOUTH1/results"))
    assert "6 people have taken part." in page.text()
    channels = _charts(page)["channels"]
    assert channels["rows"] == [("Text message", FIVE_OR_MORE), ("Web chat", FEWER)]
    assert channels["bars"] == 0
    assert channels["summary"] == "Every number here is hidden, so no one can be picked out."


def test_every_chart_is_svg_with_a_name_a_summary_and_the_same_numbers_in_a_table(area):
    """Each chart: an SVG image with a name, a summary in words, and a table whose rows are
    the chart's labels; nothing in any chart points to another site."""
    _crowd(area, 6)
    client = area.signed_in("youth@example.org")
    for path in ("results", "live"):
        html = _html(client, f"/workers/checkins/YOUTH1/{path}")
        charts = _charts(parse(html))
        assert {"channels", "feelings-1"} <= set(charts)
        for chart_id, chart in charts.items():
            svg = chart["svg"]
            assert svg.get("role") == "img" and chart["title"] in svg.get("aria-label"), chart_id
            assert chart["summary"].endswith("."), chart_id
            assert chart["labels"] == [f"{label}: {value}" for label, value in chart["rows"]]
            shown = [value for _, value in chart["rows"] if value.isdigit()]
            assert chart["bars"] == len(shown), chart_id
        for svg in re.findall(r"<svg.*?</svg>", html, re.S):
            assert set(re.findall(r"https?://[^\s\"'<>]+", svg)) <= {SVG_NAMESPACE}
        assert "<script>" not in html and " style=" not in html


def test_an_answer_arriving_changes_the_live_results(area):
    """The live view's script asks for its results again: one more person, new numbers."""
    _crowd(area, 5)
    client = area.signed_in("youth@example.org")
    before = parse(_html(client, "/workers/checkins/YOUTH1/live/latest"))
    assert before.by_id("live-results").get("data-people") == "5"
    assert "5 people have taken part" in before.by_id("live-count").text()
    take_part(area.services.engine, "YOUTH1", feeling="bad")
    after = parse(_html(client, "/workers/checkins/YOUTH1/live/latest"))
    assert after.by_id("live-results").get("data-people") == "6"
    assert "6 people have taken part" in after.by_id("live-count").text()
    assert _charts(after)["channels"]["rows"] == [("Text message", "6")]


def test_the_live_view_refreshes_itself_without_script_and_can_stop(area):
    """Without script the page refreshes every 20 seconds; "Stop updating" turns that off.
    It has its own script file, and no flag count or email for the room to see."""
    _crowd(area, 5)
    client = area.signed_in("youth@example.org")
    html = _html(client, "/workers/checkins/YOUTH1/live")
    assert '<noscript><meta http-equiv="refresh" content="20"></noscript>' in html
    page = parse(html)
    assert page.by_id("live-pause").get("hidden") is not None  # the script shows it
    assert '<script src="/workers/static/live.js" defer></script>' in html
    assert "safeguarding" not in page.text().lower() and "youth@example.org" not in html
    assert "Have your say" in page.text() and "/c/YOUTH1" in page.text()
    stopped = _html(client, "/workers/checkins/YOUTH1/live?updates=off")
    assert 'http-equiv="refresh"' not in stopped
    assert "Start updating again" in stopped
    assert parse(stopped).by_id("main").get("data-updates") == "off"
    script = client.get("/workers/static/live.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"


def test_the_checkin_and_home_pages_link_to_the_results(area):
    """A check-in's page links to its results and live view; the list links to results."""
    client = area.signed_in("youth@example.org")
    links = [a.get("href") for a in parse(_html(client, "/workers/checkins/YOUTH1")).find_all("a")]
    assert "/workers/checkins/YOUTH1/results" in links
    assert "/workers/checkins/YOUTH1/live" in links
    home = [a.get("href") for a in parse(_html(client, "/workers/")).find_all("a")]
    assert "/workers/checkins/YOUTH1/results" in home


def test_what_keys_are_called():
    """Topics, feelings and cards read as the flow says; other topics in plain words, with
    phone numbers and the like hidden."""
    flows = load_builtin_flows()
    words = Words(flows["tops_and_pants_pictures"])
    assert words.topic("school") == "School or college"
    assert words.topic("") == "In general"
    assert words.topic("my club 07700 900123") == "My club [phone number]"
    assert words.feeling("not_good") == "Not good"
    assert words.card("pants", "too_noisy") == "Too noisy"
    assert Words(flows["four_cornerstones"]).topic("welcome_and_care") == "Welcome and care"
    assert period_words("day", "2026-11-28") == "Sat 28 Nov 2026"
    assert period_words("week", "2026-11-23") == "Week of 23 Nov 2026"
    assert period_words("month", "2026-11-01") == "November 2026"
