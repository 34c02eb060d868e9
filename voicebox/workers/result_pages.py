"""A check-in's results on the workers' blueprint: results at a glance, and a live view to
show on a screen in the room, which updates by itself (a plain refresh without script).

The numbers come from storage/results.py, already safe to show: fewer than 5 people is
only ever "fewer than 5". Here they get words, bar charts (SVG drawn by a template), data
tables and one-line summaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import cast

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.flows import Flow
from voicebox.storage.consultations import ConsultationInfo
from voicebox.storage.masking import mask
from voicebox.storage.results import Bar, Count, Results, ResultsCache
from voicebox.workers import auth, share
from voicebox.workers.views import blueprint

LIVE_REFRESH_SECONDS = 20  # the live view's refresh without script
LIVE_POLL_SECONDS = 5  # how often its script asks for new results
KIND_WORDS = {
    "top": "What is good",
    "pants": "What is not good",
    "better": "What would make it better",
}
CHANNEL_WORDS = {"sms": "Text message", "web": "Web chat", "telegram": "Telegram"}
PERIOD_WORDS = {"day": "Day", "week": "Week", "month": "Month"}
IN_GENERAL = "In general"  # answers about no one part of life


@dataclass(frozen=True)
class Row:
    """One bar and its row in the data table."""

    label: str
    count: Count
    share: float | None  # the bar's length, 0 to 1 of the longest; None when hidden


@dataclass(frozen=True)
class Chart:
    """A bar chart with its data table and a summary in words."""

    id: str
    title: str
    heading: str  # the table's first column
    rows: tuple[Row, ...]
    summary: str


@dataclass(frozen=True)
class TopicView:
    """One part of life: who talked about it, their feelings and the cards they chose."""

    label: str
    people: Count
    said: dict[str, Count]
    feelings: Chart | None
    cards: tuple[Chart, ...]


@dataclass(frozen=True)
class QuoteView:
    """Words a young person typed, and what they answered."""

    text: str
    about: str


@dataclass(frozen=True)
class ResultsView:
    """Everything a results page or the live view shows."""

    results: Results
    channels: Chart
    over_time: Chart
    topics: tuple[TopicView, ...]
    better_cards: Chart | None
    better_quotes: tuple[QuoteView, ...]
    quotes: tuple[QuoteView, ...]


class Words:
    """What a check-in's keys are called: topics, feelings and cards, from its flow."""

    def __init__(self, flow: Flow | None) -> None:
        self.topics: dict[str, str] = {}
        self.feelings: dict[str, str] = {}
        self.cards: dict[tuple[str, str], str] = {}
        for step in flow.steps.values() if flow else ():
            if step.topic:
                self.topics.setdefault(step.topic, _plain(step.topic))
            for choice in step.choices:
                if choice.topic:  # the answers keep the choice's key as their topic
                    self.topics.setdefault(choice.key, choice.words)
                if step.type == "scale":
                    self.feelings.setdefault(choice.key, choice.words)
                elif step.is_cards and step.kind:
                    self.cards.setdefault((step.kind, choice.key), choice.words)

    def feeling(self, key: str) -> str:
        """A feeling's words on the flow's scale."""
        return self.feelings.get(key) or _plain(key)

    def card(self, kind: str, key: str) -> str:
        """A picture card's words."""
        return self.cards.get((kind, key)) or _plain(key)

    def topic(self, topic: str) -> str:
        """A topic as a worker reads it; typed topics with identifying details hidden."""
        if not topic:
            return IN_GENERAL
        return self.topics.get(topic) or _plain(mask(topic))


def _plain(text: str) -> str:
    """A key or typed words as a label: spaces for underscores, a capital first letter."""
    text = " ".join(text.replace("_", " ").split())
    return text[:1].upper() + text[1:]


def channel_words(name: str) -> str:
    """A channel as workers read it."""
    return CHANNEL_WORDS.get(name, _plain(name))


def period_words(period: str, key: str) -> str:
    """A day, week or month by its first day: Sat 28 Nov 2026, Week of 23 Nov 2026,
    November 2026."""
    day = date.fromisoformat(key)
    if period == "month":
        return day.strftime("%B %Y")
    words = day.strftime("%-d %b %Y")
    return f"Week of {words}" if period == "week" else day.strftime("%a ") + words


def summary(rows: tuple[Row, ...], nothing: str) -> str:
    """One or two short sentences: which bar is longest, and how many are hidden."""
    shown = [row for row in rows if row.count.value is not None]
    if not rows:
        return nothing
    if not shown:
        return "Every number here is hidden, so no one can be picked out."
    top = max(row.count.value or 0 for row in shown)
    first = [row.label for row in shown if row.count.value == top]
    if len(first) == 1:
        words = f"The most is {first[0]}, with {top} people."
    else:
        words = f"{_and(first)} have the most, with {top} people each."
    hidden = len(rows) - len(shown)
    if hidden:
        numbers = "1 number is" if hidden == 1 else f"{hidden} numbers are"
        words += f" {numbers} hidden, so no one can be picked out."
    return words


def _about(label: str, topic: str) -> str:
    """What a question is about, inside a sentence: about school or college; in general."""
    return f"about {label[:1].lower()}{label[1:]}" if topic else label.lower()


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def chart(
    chart_id: str, title: str, heading: str, bars: list[tuple[str, Count]], nothing: str
) -> Chart:
    """A chart of these labelled counts; bar lengths are shares of the largest shown."""
    longest = max((c.value for _, c in bars if c.value is not None), default=0)
    rows = tuple(
        Row(label, c, c.value / longest if c.value is not None and longest else None)
        for label, c in bars
    )
    return Chart(chart_id, title, heading, rows, summary(rows, nothing))


def _labelled(bars: tuple[Bar, ...], name: Callable[[str], str]) -> list[tuple[str, Count]]:
    return [(name(bar.key), bar.count) for bar in bars]


def build_view(results: Results, flow: Flow | None) -> ResultsView:
    """Words, charts and summaries for a check-in's results."""
    words = Words(flow)
    topics = []
    for number, topic in enumerate(results.topics, start=1):
        label = words.topic(topic.topic)
        feelings = None
        if topic.feelings:
            feelings = chart(
                f"feelings-{number}",
                f"How people feel {_about(label, topic.topic)}",
                "Feeling",
                _labelled(topic.feelings, words.feeling),
                "No one said how they feel.",
            )
        cards = tuple(
            chart(
                f"cards-{number}-{kind}",
                f"{KIND_WORDS[kind]}: picture cards chosen",
                "Card",
                _labelled(bars, partial(words.card, kind)),
                "No one chose a card.",
            )
            for kind, bars in topic.cards.items()
        )
        topics.append(TopicView(label, topic.people, topic.said, feelings, cards))
    better_cards = None
    if results.better_cards:
        better_cards = chart(
            "better-cards",
            "What would make it better: picture cards chosen",
            "Card",
            _labelled(results.better_cards, partial(words.card, "better")),
            "No one chose a card.",
        )
    return ResultsView(
        results=results,
        channels=chart(
            "channels",
            "How people took part",
            "Way of taking part",
            _labelled(results.channels, channel_words),
            "No one has taken part yet.",
        ),
        over_time=chart(
            "over-time",
            f"When people took part, by {results.period} (UTC)",
            PERIOD_WORDS[results.period],
            _labelled(results.over_time, lambda k: period_words(results.period, k)),
            "No one has taken part yet.",
        ),
        topics=tuple(topics),
        better_cards=better_cards,
        better_quotes=tuple(_quote(q.text, q.kind, q.topic, words) for q in results.better_quotes),
        quotes=tuple(_quote(q.text, q.kind, q.topic, words) for q in results.quotes),
    )


def _quote(text: str, kind: str, topic: str, words: Words) -> QuoteView:
    return QuoteView(text, f"{KIND_WORDS.get(kind, _plain(kind))}: {words.topic(topic)}")


def _cache() -> ResultsCache:
    """This app's results cache (one per app, so per database)."""
    return cast(ResultsCache, current_app.extensions.setdefault("voicebox_results", ResultsCache()))


def _view(code: str) -> tuple[ConsultationInfo, ResultsView]:
    """The check-in and its results, if the worker may see them; any other is not found."""
    services = auth.services()
    groups = auth.visible_groups(auth.worker())
    found = auth.checkin_or_404(code)
    flow = services.engine.flows.get(found.flow_id)
    results = _cache().results(services.database, found.code, groups, flow)
    if results is None:
        abort(404)
    return found, build_view(results, flow)


@blueprint.get("/checkins/<code>/results")
@login_required
def results(code: str) -> ResponseReturnValue:
    """A check-in's results at a glance: who took part, how, when, and what they said."""
    found, view = _view(code)
    return render_template("workers/results.html", checkin=found, view=view)


@blueprint.get("/checkins/<code>/live")
@login_required
def live(code: str) -> ResponseReturnValue:
    """The results in big type for a screen in the room, updating by themselves."""
    found, view = _view(code)
    updates = request.args.get("updates") != "off"
    link = share.join_link(found.code, auth.services().public_url)
    return render_template(
        "workers/live.html",
        checkin=found,
        view=view,
        updates=updates,
        refresh=LIVE_REFRESH_SECONDS,
        poll=LIVE_POLL_SECONDS,
        link=link,
        qr_svg=share.qr_in_page(link),
    )


@blueprint.get("/checkins/<code>/live/latest")
@login_required
def live_latest(code: str) -> ResponseReturnValue:
    """The live view's results alone, for its script to put in place of the old ones."""
    found, view = _view(code)
    return render_template("workers/_live_results.html", checkin=found, view=view)
