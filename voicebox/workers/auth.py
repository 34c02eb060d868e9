"""Signing in to the workers' area: Flask-Login sessions, CSRF tokens on every form, and a
session that ends after a time with nothing done."""

from __future__ import annotations

import hmac
import time
from datetime import timedelta
from typing import cast

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from voicebox.storage.consultations import ConsultationInfo, visible_consultation
from voicebox.storage.services import Services
from voicebox.storage.workers import WorkerAccount, get_worker

IDLE = timedelta(minutes=30)  # signed out after this long with nothing done
_SEEN = "workers_seen"  # when the worker last did something, in the session

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "workers.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


class SignedInWorker(UserMixin):
    """The worker signed in for this request (read afresh from the database each time)."""

    def __init__(self, account: WorkerAccount) -> None:
        self.account = account

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id, and a stamp that a new password
        changes (so setting a new password signs the worker out everywhere else)."""
        return f"{self.account.id}:{self.account.password_stamp}"

    @property
    def is_active(self) -> bool:
        """An account an admin has turned off cannot stay signed in."""
        return self.account.active


def services() -> Services:
    """The app's database, store and secret."""
    return cast(Services, current_app.extensions["voicebox"])


def worker() -> WorkerAccount:
    """The signed-in worker's account (only in views that need signing in)."""
    return cast(SignedInWorker, current_user).account


@login_manager.user_loader
def _load(session_id: str) -> SignedInWorker | None:
    worker_id, _, stamp = str(session_id).partition(":")
    if not (worker_id.isascii() and worker_id.isdecimal() and len(worker_id) < 10):
        return None  # never an id past what the column holds
    account = get_worker(services().database, int(worker_id))
    if account is None or not account.active:
        return None
    # As bytes: compare_digest raises TypeError on a str holding anything but ASCII.
    if not hmac.compare_digest(stamp.encode(), account.password_stamp.encode()):
        return None
    return SignedInWorker(account)


def set_up(app: Flask) -> None:
    """Sign-in for the app; CSRF is checked for the workers' area only (the chat has its
    own defences and the SMS webhook is signed by Twilio)."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", IDLE)
    csrf.init_app(app)
    login_manager.init_app(app)


def check_request() -> ResponseReturnValue | None:
    """Before each request in the area: refuse a form without its token, and sign out a
    worker who has done nothing for IDLE."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if not current_user.is_authenticated:
        return None
    now = time.time()
    seen = session.get(_SEEN)
    if not isinstance(seen, (int, float)) or now - seen > IDLE.total_seconds():
        logout_user()
        session.clear()
        flash("You were signed out because nothing was done for 30 minutes.", "info")
        return redirect(url_for("workers.sign_in", next=request.full_path.rstrip("?")))
    session[_SEEN] = now
    session.permanent = True
    return None


def mark_seen() -> None:
    """Start the idle clock (at sign-in)."""
    session[_SEEN] = time.time()
    session.permanent = True


def visible_groups(account: WorkerAccount) -> frozenset[int] | None:
    """The groups whose check-ins this worker sees; None for an admin (every one)."""
    return None if account.is_admin else account.group_ids


def checkin_or_404(code: str) -> ConsultationInfo:
    """The check-in with this code if the signed-in worker may see it; any other is 404."""
    found = visible_consultation(services().database, code, visible_groups(worker()))
    if found is None:
        abort(404)
    return found
