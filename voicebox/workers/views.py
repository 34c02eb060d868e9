"""The workers' area's blueprint and its account pages: sign in, sign out, the home page,
and what every page shows (who is signed in, how many flags are new).

The other pages register on the same blueprint: flag_pages.py and checkin_pages.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from voicebox.storage.audit import SIGNED_IN, SIGNED_OUT, record, record_failed_sign_in
from voicebox.storage.consultations import list_consultations
from voicebox.storage.flags import (
    count_new_flags,
)
from voicebox.storage.schedule import day_words, first_day, last_day
from voicebox.storage.sign_in import (
    LOCK,
    clear_failures,
    locked_until,
    record_failure,
    sign_in_keys,
)
from voicebox.storage.workers import check_password, get_worker
from voicebox.workers import auth
from voicebox.workers.forms import SignInForm, SignOutForm

URL_PREFIX = "/workers"
# Control characters (browsers drop tab, CR and LF from a link; a header cannot hold CR or
# LF) and backslashes (read as "/") are never in a page of ours to go back to.
_NOT_IN_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
WRONG = "The email address or password is not right."
LOCKED = (
    f"There have been too many tries. Wait {int(LOCK.total_seconds() // 60)} minutes, "
    "then try again."
)

blueprint = Blueprint(
    "workers",
    __name__,
    url_prefix=URL_PREFIX,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
blueprint.before_request(auth.check_request)


@blueprint.after_request
def _private(response: Any) -> Any:
    """Nothing in the area is kept by the browser or shown again by Back after sign-out."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.context_processor
def _every_page() -> dict[str, Any]:
    """What every page shows: who is signed in and how many flags are new."""
    if not current_user.is_authenticated:
        return {"account": None, "new_flags": None, "sign_out_form": None}
    account = auth.worker()
    new = count_new_flags(auth.services().database, auth.visible_groups(account))
    # formdata=None: the button never reads the request (whose body may be what failed,
    # say JSON that does not parse, when this is an error page).
    return {"account": account, "new_flags": new, "sign_out_form": SignOutForm(formdata=None)}


@blueprint.get("/")
@login_required
def home() -> ResponseReturnValue:
    """The check-ins this worker can see."""
    account = auth.worker()
    consultations = list_consultations(auth.services().database, auth.visible_groups(account))
    return render_template("workers/home.html", consultations=consultations)


@blueprint.route("/login", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Sign in with email and password; repeated failures lock the account and address."""
    if current_user.is_authenticated:
        return redirect(url_for("workers.home"))
    form = SignInForm()
    if request.method == "GET":
        return render_template("workers/sign_in.html", form=form, problem=None)
    problem = None
    if form.validate_on_submit():
        problem = _check(form.email.data or "", form.password.data or "")
        if problem is None:
            return redirect(_safe_next(request.args.get("next")))
    status = 429 if problem == LOCKED else 400
    return render_template("workers/sign_in.html", form=form, problem=problem), status


def _check(email: str, password: str) -> str | None:
    """Sign the worker in, or say why not (the same words whether or not the email exists)."""
    database = auth.services().database
    keys = sign_in_keys(auth.services().secret, email, request.remote_addr or "")
    now = datetime.now(UTC)
    if locked_until(database, keys, now) is not None:
        return LOCKED
    worker_id = check_password(database, email, password)
    account = get_worker(database, worker_id) if worker_id is not None else None
    if account is None:
        # In the audit log only when the email is an account's, by its id: the typed words
        # may be a password put in the wrong box. Tries while locked are not checked, so an
        # account adds at most a few entries in each lock's time.
        record_failed_sign_in(database, email)
        return LOCKED if record_failure(database, keys, now) is not None else WRONG
    clear_failures(database, keys["account"])
    record(database, account.id, SIGNED_IN)
    session.clear()  # nothing from before signing in carries over
    login_user(auth.SignedInWorker(account))
    auth.mark_seen()
    return None


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a page in this area only, never another site."""
    parts = urlsplit(target or "")
    segments = parts.path.split("/")
    if (
        target
        and not parts.scheme
        and not parts.netloc
        and not _NOT_IN_PATH.search(target)
        and parts.path.startswith(URL_PREFIX + "/")
        and "" not in segments[1:-1]
        and not {".", ".."} & set(segments)
    ):
        return target
    return url_for("workers.home")


@blueprint.post("/logout")
def sign_out() -> ResponseReturnValue:
    """Sign out (a POST with the form's token)."""
    if current_user.is_authenticated:
        record(auth.services().database, auth.worker().id, SIGNED_OUT)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("workers.sign_in"))


STATUS_WORDS = {"new": "New", "seen": "Seen", "acted": "Acted on"}


@blueprint.app_template_filter("flag_status")
def _flag_status(status: str) -> str:
    return STATUS_WORDS.get(status, status)


ALERT_WORDS = {
    "queued": "waiting to be sent",
    "sending": "being sent",
    "sent": "sent",
    "failed": "could not be sent",
    "cancelled": "not sent",
}


@blueprint.app_template_filter("alert_status")
def _alert_status(status: str) -> str:
    return ALERT_WORDS.get(status, status)


@blueprint.app_template_filter("day")
def _day(moment: datetime) -> str:
    """The UK day a time falls on: Monday 7 December 2026."""
    day = first_day(moment)
    return f"{day_words(day)} {day.year}" if day else ""


@blueprint.app_template_filter("last_day")
def _last_day(moment: datetime) -> str:
    """The last UK day before an end time: Monday 7 December 2026."""
    day = last_day(moment)
    return f"{day_words(day)} {day.year}" if day else ""


@blueprint.app_template_filter("when")
def _when(moment: datetime) -> str:
    """A time as workers read it: 28 Nov 2026, 16:05 (UTC)."""
    return moment.astimezone(UTC).strftime("%-d %b %Y, %H:%M") + " UTC"
