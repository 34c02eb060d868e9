"""A check-in's "You said, we did" on the workers' blueprint: write it theme by theme, see
exactly what each channel will send, then send it back with a confirmation step, and watch
what becomes of it.

Nothing is sent while a text is too long or the words break the Easy Read rules. Sending
twice sends nothing twice (storage/reports.py keeps one delivery a person)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.bot.messages import OutboundMessage
from voicebox.bot.report_back import (
    STATUS_NAMES,
    STATUSES,
    ReportItem,
    SentText,
    report_messages,
    wording_problems,
)
from voicebox.storage.audit import record_report_back
from voicebox.storage.consultations import ConsultationInfo
from voicebox.storage.reports import (
    DeliveryCounts,
    ReportProblem,
    ReportView,
    delivery_counts,
    reach,
    read_report,
    save_report,
    send_report_back,
    set_public,
)
from voicebox.storage.themes import list_themes
from voicebox.workers import auth, share
from voicebox.workers.forms import CheckinStatusForm
from voicebox.workers.views import blueprint

MAX_WORDS = 500  # characters in each of a theme's three boxes
CHANNEL_NAMES = {"sms": "Text message", "telegram": "Telegram", "web": "Web chat"}
Preview = Callable[[Sequence[OutboundMessage]], list[SentText] | None]


@dataclass(frozen=True)
class ThemeBox:
    """A theme's three boxes and status on the page, with their Easy Read problems."""

    theme_id: int
    name: str
    answers: int
    item: ReportItem | None
    problems: tuple[str, ...]


def _previews() -> Mapping[str, Preview]:
    return cast(Mapping[str, Preview], current_app.extensions.get("voicebox_previews", {}))


def _joined() -> Mapping[str, int]:
    return cast(Mapping[str, int], current_app.extensions.get("voicebox_joined", {}))


def _reachable() -> list[str]:
    """The channels a report-back can go out on (not the terminal)."""
    return cast(list[str], current_app.extensions.get("voicebox_reached_later", []))


def _state(found: ConsultationInfo) -> tuple[ReportView | None, list[ThemeBox]]:
    with auth.services().database.reading() as conn:
        report = read_report(conn, found.id)
        themes = list_themes(conn, found.id)
    written = {i.theme_id: i for i in report.items} if report else {}
    boxes = [
        ThemeBox(
            t.id,
            t.name,
            t.answers,
            written.get(t.id),
            tuple(wording_problems(written[t.id])) if t.id in written else (),
        )
        for t in themes
    ]
    boxes.sort(key=lambda b: (b.item is None, list(written).index(b.theme_id) if b.item else 0))
    return report, boxes


def _channel_texts(
    found: ConsultationInfo, report: ReportView | None, channels: Sequence[str]
) -> list[tuple[str, list[SentText]]]:
    """What each channel would send someone who spoke to none of the themes."""
    if report is None or not report.items:
        return []
    messages = report_messages(found.title, report.items)
    shown = []
    for name in channels:
        preview = _previews().get(name)
        texts = preview(messages) if preview is not None else None
        if texts is not None:
            shown.append((name, texts))
    return shown


def _blockers(boxes: list[ThemeBox], texts: list[tuple[str, list[SentText]]]) -> list[str]:
    found = [f"{b.name}: {p}" for b in boxes for p in b.problems]
    for name, sent in texts:
        found.extend(
            f"{CHANNEL_NAMES.get(name, name)}, message {n}: {t.problem}"
            + (" The check-in's title is in this one: a shorter title helps." if n == 1 else "")
            for n, t in enumerate(sent, 1)
            if t.problem
        )
    return found


def _page_state(found: ConsultationInfo) -> dict[str, object]:
    report, boxes = _state(found)
    with auth.services().database.reading() as conn:
        who = reach(conn, found.id, _reachable())
        counts = delivery_counts(conn, report.id) if report and report.sent_at else None
    channels = sorted(who.by_channel) or sorted(n for n in _previews() if n in CHANNEL_NAMES)
    texts = _channel_texts(found, report, channels)
    return {
        "checkin": found,
        "report": report,
        "boxes": boxes,
        "reach": who,
        "texts": texts,
        "blockers": _blockers(boxes, texts),
        "counts": counts,
        "statuses": [(s, STATUS_NAMES[s]) for s in STATUSES],
        "channel_names": CHANNEL_NAMES,
        "form": CheckinStatusForm(),
        "max_words": MAX_WORDS,
        "public_link": share.report_link(found.code, auth.services().public_url),
    }


@blueprint.get("/checkins/<code>/report")
@login_required
def report(code: str) -> ResponseReturnValue:
    """The report to write, its preview on each channel, and what became of it once sent."""
    return render_template("workers/report.html", **_page_state(auth.checkin_or_404(code)))


@blueprint.post("/checkins/<code>/report")
@login_required
def save(code: str) -> ResponseReturnValue:
    """Keep the report as written (a theme with nothing in 'You said' is left out)."""
    found = auth.checkin_or_404(code)
    if not CheckinStatusForm().validate_on_submit():
        flash("That did not work. Please try again.")
        return redirect(url_for("workers.report", code=found.code))
    written, boxes = _state(found)
    items = []
    for box in boxes:
        said = request.form.get(f"said-{box.theme_id}", "")[:MAX_WORDS]
        if not said.strip():
            continue
        status = request.form.get(f"status-{box.theme_id}", "planned")
        items.append(
            ReportItem(
                box.theme_id,
                box.name,
                said,
                request.form.get(f"did-{box.theme_id}", "")[:MAX_WORDS],
                request.form.get(f"next-{box.theme_id}", "")[:MAX_WORDS],
                status if status in STATUSES else "planned",
            )
        )
    try:
        public = written.public if written is not None else False
        save_report(auth.services().database, found.id, items, public=public)
    except ReportProblem as problem:
        flash(str(problem))
    else:
        flash("Saved. Check the preview below before you send it.")
    return redirect(url_for("workers.report", code=found.code) + "#preview")


@blueprint.get("/checkins/<code>/report/send")
@login_required
def confirm_send(code: str) -> ResponseReturnValue:
    """The confirmation step: who will get it, on which channel, and who will not."""
    state = _page_state(auth.checkin_or_404(code))
    return render_template("workers/report_send.html", **state)


@blueprint.post("/checkins/<code>/report/send")
@login_required
def send(code: str) -> ResponseReturnValue:
    """Send it to everyone who should hear back and has not yet; a second press adds no one."""
    found = auth.checkin_or_404(code)
    state = _page_state(found)
    if not CheckinStatusForm().validate_on_submit():
        flash("That did not work. Please try again.")
        return redirect(url_for("workers.report", code=found.code))
    if state["blockers"]:
        flash("Nothing was sent. Fix the problems on this page first.")
        return redirect(url_for("workers.report", code=found.code))
    report = state["report"]
    if isinstance(report, ReportView):  # in the audit log before anything is queued
        record_report_back(auth.services().database, auth.worker().id, found.code, report.id)
    try:
        sent = send_report_back(
            auth.services().database,
            found.id,
            found.title,
            _joined(),
            auth.worker().id,
            channels=_reachable(),
        )
    except ReportProblem as problem:
        flash(f"Nothing was sent. {problem}")
        return redirect(url_for("workers.report", code=found.code))
    if sent.people:
        flash(f"Sent to {sent.people} {'person' if sent.people == 1 else 'people'}.")
    else:
        flash("Nobody new to send to. Everyone who asked to hear back has it already.")
    return redirect(url_for("workers.report", code=found.code) + "#delivery")


@blueprint.post("/checkins/<code>/report/public")
@login_required
def publish(code: str) -> ResponseReturnValue:
    """Open the report's public page to anyone with the link, or close it again."""
    found = auth.checkin_or_404(code)
    if not CheckinStatusForm().validate_on_submit():
        flash("That did not work. Please try again.")
    elif request.form.get("public") == "yes":
        if set_public(auth.services().database, found.id, True):
            flash("The public page is open. Anyone with the link can see it.")
        else:
            flash("Write and save it first. Then you can open the public page.")
    else:
        set_public(auth.services().database, found.id, False)
        flash("The public page is closed. The link shows nothing now.")
    return redirect(url_for("workers.report", code=found.code) + "#public")


@blueprint.get("/checkins/<code>/report/counts.json")
@login_required
def counts(code: str) -> ResponseReturnValue:
    """What became of the report-back so far, for the page to show as it changes."""
    found = auth.checkin_or_404(code)
    with auth.services().database.reading() as conn:
        report = read_report(conn, found.id)
        now = delivery_counts(conn, report.id) if report is not None else DeliveryCounts()
    return jsonify(now.__dict__)
