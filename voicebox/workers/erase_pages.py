"""Erasing one person on request, for admins: find them, see what will go, confirm.

A phone number or chat id is typed into a POST form, hashed as on arrival, and never shown,
kept or logged. Nothing is erased until the admin confirms on a second page, by a POST
with the area's CSRF token. A worker who is not an admin gets 403."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.storage.erasure import (
    erase_person,
    find_person,
    get_person,
    list_erasures,
)
from voicebox.workers import auth
from voicebox.workers.admin_pages import problems
from voicebox.workers.forms import ErasePersonForm, FindPersonForm
from voicebox.workers.views import blueprint

log = logging.getLogger(__name__)

NOT_FOUND = {
    "pseudonym": "We found no one with that name. Check it, like Otter-4821.",
    "sms": "We found no one who texted from that number.",
    "telegram": "We found no one with that Telegram chat id.",
}
NOTHING_LEFT = "Nothing to erase: this person was erased before. Nothing of theirs is left."
OPEN_FLAG = (
    "This person has a safeguarding flag that is still open. Safeguarding comes first. "
    "Close the flag, then erase them."
)


def _n(count: int, noun: str) -> str:
    """A count and its noun: 1 message, 2 messages."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def admins_only(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Sign in first; then a worker who is not an admin may not use the page (403)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not auth.worker().is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _find_page(form: FindPersonForm, status: int) -> ResponseReturnValue:
    if form.kind.data != "pseudonym":  # a number typed is never shown again
        form.who.raw_data, form.who.data = None, ""
    erasures = list_erasures(auth.services().database)
    page = render_template(
        "workers/erase.html", form=form, problems=problems(form), erasures=erasures
    )
    return page, status


@blueprint.get("/admin/erase")
@admins_only
def erase() -> ResponseReturnValue:
    """Find the person to erase, and the latest erasures (who, when, counts)."""
    return _find_page(FindPersonForm(), 200)


@blueprint.post("/admin/erase")
@admins_only
def erase_find() -> ResponseReturnValue:
    """Look the person up; show what erasing them takes away, or why it cannot be done."""
    form = FindPersonForm()
    if not form.validate_on_submit():
        return _find_page(form, 400)
    kind = form.kind.data or ""
    services = auth.services()
    person = find_person(services.database, services.secret, kind, form.who.data or "")
    if person is None:
        form.who.errors = [NOT_FOUND[kind]]
        return _find_page(form, 200)
    if person.erased:
        flash(NOTHING_LEFT)
        return redirect(url_for("workers.erase"))
    page = render_template(
        "workers/erase_confirm.html", person=person, confirm=ErasePersonForm(), open_flag=OPEN_FLAG
    )
    return page


@blueprint.post("/admin/erase/<int:participant_id>")
@admins_only
def erase_confirm(participant_id: int) -> ResponseReturnValue:
    """Erase the person (the area has checked the token); say what went."""
    ErasePersonForm()
    database = auth.services().database
    if get_person(database, participant_id) is None:
        abort(404)
    admin = auth.worker()
    result = erase_person(database, participant_id, admin.id, auth.services().engine.flows)
    if result.outcome == "open_flag":
        flash(OPEN_FLAG)
    elif result.outcome == "nothing":
        flash(NOTHING_LEFT)
    else:
        log.info("worker %d erased a person (erasure recorded, counts only)", admin.id)
        c = result.counts
        flash(
            f"Erased. {_n(c.answers, 'typed answer')} and {_n(c.messages, 'message')} "
            f"from {_n(c.conversations, 'conversation')} are gone. Their choices still count."
        )
    return redirect(url_for("workers.erase"))
