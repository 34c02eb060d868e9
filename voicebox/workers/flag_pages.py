"""The safeguarding queue and one flag's page, on the workers' blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.storage.alerts import alerts_for_flag
from voicebox.storage.flags import FlagError, flag_queue, flag_reviews, get_flag, review_flag
from voicebox.workers import auth
from voicebox.workers.forms import ReviewForm
from voicebox.workers.views import STATUS_WORDS, blueprint


@blueprint.get("/flags")
@login_required
def flags() -> ResponseReturnValue:
    """The safeguarding queue: every open flag, new ones first, oldest first."""
    account = auth.worker()
    open_flags, acted = flag_queue(auth.services().database, auth.visible_groups(account))
    return render_template("workers/flags.html", open_flags=open_flags, acted=acted)


@blueprint.route("/flags/<int:flag_id>", methods=["GET", "POST"])
@login_required
def flag(flag_id: int) -> ResponseReturnValue:
    """One flag: what matched, where, its reviews, and the form to say what happened."""
    account = auth.worker()
    database = auth.services().database
    groups = auth.visible_groups(account)
    found = get_flag(database, flag_id, groups)
    if found is None:
        abort(404)  # another group's flag is not found, never shown
    form = ReviewForm()
    problem = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            now = review_flag(
                database,
                flag_id,
                groups,
                account.id,
                form.status.data or "",
                form.note.data or "",
            )
        except FlagError as error:
            problem = str(error)
        else:
            if now == form.status.data:
                flash(f"Flag {flag_id} is now {STATUS_WORDS[now].lower()}.")
            else:  # someone said it was acted on first: it stays so, and this note is kept
                flash(
                    f"Flag {flag_id} was already {STATUS_WORDS[now].lower()} by someone else. "
                    "Your note is kept with it."
                )
            return redirect(url_for("workers.flags"))
    status = 400 if request.method == "POST" else 200
    reviews = flag_reviews(database, flag_id)
    alerts = alerts_for_flag(database, flag_id)
    return (
        render_template(
            "workers/flag.html",
            flag=found,
            reviews=reviews,
            alerts=alerts,
            form=form,
            problem=problem,
        ),
        status,
    )
