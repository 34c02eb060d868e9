"""Making and changing check-ins on the workers' blueprint: create, edit, open and close.

A worker makes check-ins for their own groups; an admin for any group, or none."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.storage.consultations import (
    ConsultationError,
    ConsultationInfo,
    create_consultation,
    set_consultation_open,
    update_consultation,
)
from voicebox.storage.retention import set_retention
from voicebox.storage.schedule import end_of, first_day, last_day, start_of
from voicebox.storage.workers import list_groups, set_consultation_group
from voicebox.workers import auth
from voicebox.workers.forms import CheckinForm, CheckinStatusForm
from voicebox.workers.views import blueprint

NO_GROUP = "none"  # the radio value for "no group" (admins only)


def _group_choices() -> list[tuple[str, str]]:
    """The groups this worker may give a check-in to; an admin may also give none."""
    account = auth.worker()
    visible = auth.visible_groups(account)
    groups = [
        (str(group_id), name)
        for group_id, name in list_groups(auth.services().database)
        if visible is None or group_id in visible
    ]
    if account.is_admin:
        groups.append((NO_GROUP, "No group: only admins see it"))
    return groups


def _flow_choices() -> list[tuple[str, str]]:
    flows = auth.services().engine.flows
    return [(flow_id, f"{flow.title} ({flow_id})") for flow_id, flow in sorted(flows.items())]


def _dates(form: CheckinForm) -> tuple[datetime | None, datetime | None]:
    starts = start_of(form.starts_on.data) if form.starts_on.data else None
    ends = end_of(form.ends_on.data) if form.ends_on.data else None
    return starts, ends


def _group_name(value: str | None) -> str | None:
    """The name of the chosen group, or None for no group."""
    names = {str(group_id): name for group_id, name in list_groups(auth.services().database)}
    return names.get(value or "")


def _sentence(words: str) -> str:
    """A storage message ("the code X is already used") as a sentence on the page."""
    return words[:1].upper() + words[1:]


def _page(form: CheckinForm, checkin: ConsultationInfo | None, problem: str | None, status: int):
    return (
        render_template("workers/checkin_form.html", form=form, checkin=checkin, problem=problem),
        status,
    )


@blueprint.route("/checkins/new", methods=["GET", "POST"])
@login_required
def new_checkin() -> ResponseReturnValue:
    """Make a check-in: its code, title, questions, group, words and dates."""
    form = CheckinForm()
    groups = _group_choices()
    form.offer(form.flow, _flow_choices())
    form.offer(form.group, groups)
    if request.method == "GET":
        if len(groups) == 1:  # a worker in one group: nothing to choose
            form.group.data = groups[0][0]
        return _page(form, None, None, 200)
    problem = None
    if form.validate_on_submit():
        flow = auth.services().engine.flows[form.flow.data or ""]
        starts, ends = _dates(form)
        database = auth.services().database
        try:
            made = create_consultation(
                database,
                form.code.data or "",
                flow.id,
                flow.version,
                form.title.data or "",
                form.intro.data or "",
                starts,
                ends,
            )
        except ConsultationError as error:
            problem = _sentence(str(error))
        else:
            group = _group_name(form.group.data)
            if group is not None:
                set_consultation_group(database, made.code, group)
            if form.retain_days.data is not None:
                set_retention(database, made.code, None, form.retain_days.data)
            flash(f"The check-in {made.code} is made. Share it with the link or QR code below.")
            return redirect(url_for("workers.checkin", code=made.code))
    return _page(form, None, problem, 400)


@blueprint.route("/checkins/<code>/edit", methods=["GET", "POST"])
@login_required
def edit_checkin(code: str) -> ResponseReturnValue:
    """Change a check-in's title, group, words and dates (its code and questions stay)."""
    found = auth.checkin_or_404(code)
    form = CheckinForm()
    del form.code, form.flow  # printed posters hold the code; answers need the same questions
    choices = _group_choices()
    form.offer(form.group, choices)
    if request.method == "GET":
        form.title.data = found.title
        form.intro.data = found.intro
        form.starts_on.data = first_day(found.starts_at)
        form.ends_on.data = last_day(found.ends_at)
        form.retain_days.data = found.retain_days
        names = {name: value for value, name in choices}
        form.group.data = names.get(found.group or "", NO_GROUP if found.group is None else None)
        return _page(form, found, None, 200)
    problem = None
    if form.validate_on_submit():
        starts, ends = _dates(form)
        database = auth.services().database
        groups = auth.visible_groups(auth.worker())
        try:
            changed = update_consultation(
                database,
                found.code,
                groups,
                form.title.data or "",
                form.intro.data or "",
                starts,
                ends,
            )
        except ConsultationError as error:
            problem = _sentence(str(error))
        else:
            days = form.retain_days.data
            if not changed or not set_retention(database, found.code, groups, days):
                abort(404)
            group = _group_name(form.group.data)
            if group is not None and group != found.group:
                set_consultation_group(database, found.code, group)
            flash(f"The check-in {found.code} is saved.")
            return redirect(url_for("workers.checkin", code=found.code))
    return _page(form, found, problem, 400)


@blueprint.post("/checkins/<code>/<any(open, close):action>")
@login_required
def checkin_status(code: str, action: str) -> ResponseReturnValue:
    """Close a check-in (its code stops working; answers stay), or open it again."""
    found = auth.checkin_or_404(code)
    CheckinStatusForm()  # the area checks the token before this runs
    try:
        done = set_consultation_open(
            auth.services().database,
            found.code,
            auth.visible_groups(auth.worker()),
            action == "open",
        )
    except ConsultationError as error:
        flash(str(error))
        return redirect(url_for("workers.checkin", code=found.code))
    if not done:
        abort(404)
    flash(
        f"The check-in {found.code} is open again."
        if action == "open"
        else f"The check-in {found.code} is closed. Its answers are kept."
    )
    return redirect(url_for("workers.checkin", code=found.code))
