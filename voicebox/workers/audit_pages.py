"""The audit log's page on the workers' blueprint (admins only): who did what, on which
check-in, and when, newest first, 50 a page, filtered by action, worker and days.

A worker who is not an admin gets the area's "You cannot see this page" (403)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs are 3.2

from voicebox.storage.audit import (
    ACTIONS,
    EXPORTED,
    EXPORTED_REVEALED,
    PER_PAGE,
    REPORT_BACK_SENT,
    REVEALED_CONVERSATION,
    SIGN_IN_FAILED,
    SIGNED_IN,
    SIGNED_OUT,
    VIEWED_CONVERSATION,
    AuditFilter,
    AuditRecord,
    list_audit,
)
from voicebox.storage.schedule import end_of, start_of
from voicebox.storage.workers import list_workers
from voicebox.workers import auth
from voicebox.workers.errors import error_page
from voicebox.workers.forms import AuditFilterForm
from voicebox.workers.query import page_asked
from voicebox.workers.views import blueprint

# Each action in plain words, as a list of choices and in the table.
ACTION_WORDS = {
    SIGNED_IN: "Signed in",
    SIGN_IN_FAILED: "Tried to sign in, but could not",  # a wrong password, or turned off
    SIGNED_OUT: "Signed out",
    VIEWED_CONVERSATION: "Read a conversation",
    REVEALED_CONVERSATION: "Saw a conversation with nothing hidden",
    EXPORTED: "Downloaded the answers",
    EXPORTED_REVEALED: "Downloaded the answers with nothing hidden",
    REPORT_BACK_SENT: "Sent “You said, we did” back",
}
FORMAT_WORDS = {"csv": "CSV", "xlsx": "Excel", "json": "JSON"}
NOT_OFFERED = "Choose one from the list"
NOT_A_DAY = "Enter a real day, like 2026-11-28"


def describe(entry: AuditRecord) -> str:
    """What an entry says was done, in plain words: "Downloaded the answers as CSV"."""
    words = ACTION_WORDS.get(entry.action, entry.action)
    if entry.action in (EXPORTED, EXPORTED_REVEALED) and entry.target in FORMAT_WORDS:
        as_format = f" as {FORMAT_WORDS[entry.target]}"
        return words.replace("the answers", "the answers" + as_format, 1)
    return words


@blueprint.get("/admin/audit")
@login_required
def audit_log() -> ResponseReturnValue:
    """Who did what, newest first, a page at a time, with filters (admins only)."""
    if not auth.worker().is_admin:
        return error_page(403)
    database = auth.services().database
    workers = list_workers(database)
    form = AuditFilterForm(request.args)
    form.action.choices = [
        SelectChoice("", "Anything"),
        *(SelectChoice(a, ACTION_WORDS[a]) for a in ACTIONS),
    ]
    form.worker.choices = [
        SelectChoice("", "Anyone"),
        *(SelectChoice(str(w.id), w.email) for w in workers),
    ]
    valid = form.validate()
    for choice in (form.action, form.worker):
        if choice.errors:
            choice.errors = [NOT_OFFERED]
    for day in (form.since, form.until):
        if day.errors and day.raw_data and day.data is None:
            day.errors = [NOT_A_DAY]
    filters = AuditFilter()
    if valid:
        filters = AuditFilter(
            action=form.action.data or "",
            worker_id=int(form.worker.data) if form.worker.data else None,
            since=start_of(form.since.data) if form.since.data else None,
            before=end_of(form.until.data) if form.until.data else None,
        )
    number = page_asked()
    rows, total = list_audit(database, filters, number)
    pages = max(1, -(-total // PER_PAGE))
    if number > pages:
        abort(404)
    kept = {k: v for k, v in request.args.items() if k != "page" and v}
    fields = (form.action, form.worker, form.since, form.until)
    return (
        render_template(
            "workers/admin_audit.html",
            rows=[(entry, describe(entry)) for entry in rows],
            total=total,
            page=number,
            pages=pages,
            form=form,
            filtered=filters != AuditFilter(),
            problems=[(f.id, f.errors[0]) for f in fields if f.errors],
            kept=kept,
        ),
        200 if valid else 400,
    )
