"""The web chat's routes: thin glue between the page, the engine and storage."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)

from voicebox.bot.engine import question_message
from voicebox.bot.messages import ChoiceOption, InboundMessage, OutboundMessage
from voicebox.channels.web import chat
from voicebox.channels.web.chat import CHANNEL, Action, Entry
from voicebox.channels.web.looks import COOKIE, COOKIE_DAYS, Look
from voicebox.channels.web.pictures import BUILTIN_SET, find_picture, picture_sets
from voicebox.flows import Flow, Step
from voicebox.storage.consultations import CODE_PATTERN, ConsultationInfo, get_consultation
from voicebox.storage.services import Services
from voicebox.storage.web_outbox import WebOutbox
from voicebox.storage.web_view import WebPlace, WebView

blueprint = Blueprint(
    CHANNEL,
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/web-static",
)

PICTURES_SETTING = "VOICEBOX_WEB_PICTURES"
_WEB_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
EMPTY_ANSWER = "Please type your answer first, or press Skip."
TRY_AGAIN = "Sorry, that did not work. Please try again."
SAVED = "Your changes are saved."


def enabled(services: Services) -> bool:
    """The web chat is always on."""
    return True


# -- helpers -----------------------------------------------------------------------


def _services() -> Services:
    return current_app.extensions["voicebox"]


def _address() -> str:
    """This visitor's address, making a random id the first time (kept in the session)."""
    web_id = session.get("web_id")
    if not isinstance(web_id, str) or not _WEB_ID.match(web_id):
        web_id = secrets.token_urlsafe(18)
        session["web_id"] = web_id
        session.pop("last", None)
    session.permanent = True
    return f"{CHANNEL}:{web_id}"


def _token() -> str:
    token = session.get("token")
    if not isinstance(token, str) or len(token) < 16:
        token = secrets.token_urlsafe(18)
        session["token"] = token
    return token


def _token_ok(form: Any) -> bool:
    sent = str(form.get("token", ""))
    kept = session.get("token")
    return isinstance(kept, str) and bool(sent) and hmac.compare_digest(sent, kept)


def _look() -> Look:
    return Look.from_cookie(request.cookies.get(COOKIE))


def _picture_sets() -> tuple:
    folder = current_app.config.get(PICTURES_SETTING) or _services().options.get("web_pictures")
    return picture_sets(folder or None)


def _picture_url(option: ChoiceOption) -> str | None:
    if not option.picture or find_picture(_picture_sets(), option.picture) is None:
        return None
    return url_for("web.picture", picture_id=option.picture)


def _open_consultation(code: str) -> ConsultationInfo | None:
    cleaned = (code or "").strip().upper()
    if not CODE_PATTERN.match(cleaned):
        return None
    found = get_consultation(_services().database, cleaned)
    return found if found is not None and found.status == "open" else None


def _safe_next(target: str | None) -> str:
    """A local path to go back to; anything else goes to the start page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.landing")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("web.landing")
    return target


def _page(template: str, http_status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, look=_look(), **context), http_status)


def _private(response: Response) -> Response:
    """Pages with a person's answers are never kept in a cache (shared tablets)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _flow(flow_id: str) -> Flow | None:
    engine = _services().engine
    return engine.flow(flow_id) if engine.has_flow(flow_id) else None


def _step(flow: Flow | None, step_id: str | None) -> Step | None:
    if flow is None or step_id is None:
        return None
    return flow.steps.get(step_id)


# -- what the page shows -------------------------------------------------------------


@dataclass
class ChatView:
    """Everything the chat templates need for one check-in."""

    info: ConsultationInfo
    entries: list[Entry] = field(default_factory=list)
    mode: str = "none"  # choice, text, ended, stopped, none
    question: OutboundMessage | None = None
    asks_consent: bool = False


def _view(info: ConsultationInfo, entries: list[Entry], place: WebPlace, always: bool) -> ChatView:
    """The view of a check-in, with the question being asked now marked in the entries."""
    mode, question, step = _mode(place)
    if question is not None:
        chat.attach_question(entries, question, always=always)
    asks_consent = step is not None and step.type == "consent"
    return ChatView(info, entries, mode, question, asks_consent)


def _mode(place: WebPlace) -> tuple[str, OutboundMessage | None, Step | None]:
    conversation = place.conversation
    if place.opted_out:
        return "stopped", None, None
    if conversation is None:
        return "none", None, None
    if conversation.ended:
        return "ended", None, None
    step = _step(_flow(conversation.flow_id), conversation.step)
    if step is None or not step.is_question:
        return "none", None, None
    question = question_message(step, conversation.about)
    return ("choice" if question.expects == "choice" else "text"), question, step


def _notes(place: WebPlace, only_new: bool = False) -> list[Entry]:
    """Messages for this person from the outbox: delivered by showing them, then kept shown."""
    if place.participant_id is None:
        return []
    outbox = WebOutbox(_services().database)
    if place.opted_out:
        outbox.cancel(place.participant_id)
        return []
    notes = outbox.take(place.participant_id)
    if not only_new:
        notes = outbox.delivered(place.participant_id)
    return [chat.note_entry(n.id, n.message, n.created_at) for n in notes]


def _session_entries(code: str, place: WebPlace) -> list[Entry]:
    last = session.get("last")
    conversation = place.conversation
    if not isinstance(last, dict) or conversation is None:
        return []
    if last.get("code") != code or last.get("conversation") != conversation.id:
        return []
    return chat.from_session(last.get("entries"))


def _chat_view(info: ConsultationInfo, place: WebPlace) -> ChatView:
    services = _services()
    conversation = place.conversation
    entries: list[Entry] = []
    if conversation is not None and conversation.consent == "given":
        lines = WebView(services.database, services.secret).transcript(conversation.id)
        entries = chat.entries_from_transcript(lines, _flow(conversation.flow_id))
    notes = _notes(place)
    entries = chat.merge_by_time(entries, notes) + _session_entries(info.code, place)
    return _view(info, entries, place, always=True)


def _remember(info: ConsultationInfo, place: WebPlace, new: list[Entry]) -> None:
    """Keep the latest messages in the session until consent; after it, the transcript has them."""
    conversation = place.conversation
    if conversation is None or conversation.consent == "given":
        session.pop("last", None)
        return
    last = session.get("last")
    earlier: list[Entry] = []
    if (
        isinstance(last, dict)
        and last.get("code") == info.code
        and last.get("conversation") == conversation.id
    ):
        earlier = chat.from_session(last.get("entries"))
    kept = chat.without_choices([*earlier, *new])
    session["last"] = {
        "code": info.code,
        "conversation": conversation.id,
        "entries": chat.to_session(kept),
    }


def _where(info: ConsultationInfo, address: str) -> WebPlace:
    services = _services()
    return WebView(services.database, services.secret).place(CHANNEL, address, info.code)


def _start(info: ConsultationInfo, address: str, nonce: str | None = None) -> list[Entry]:
    replies = _services().engine.handle(
        InboundMessage(CHANNEL, address, "", message_id=nonce, consultation=info.code)
    )
    return chat.entries_from_replies(replies)


@dataclass
class Outcome:
    """What one press of a button did."""

    entries: list[Entry]
    place: WebPlace
    status: str = ""
    error: bool = False


def _act(info: ConsultationInfo, address: str, action: Action, nonce: str | None) -> Outcome:
    """Hand what the person did to the engine; return the new messages for the log."""
    engine = _services().engine
    before = _where(info, address)
    conversation = before.conversation
    if action.kind == "text" and not action.value.strip():
        return Outcome([], before, EMPTY_ANSWER, error=True)
    if action.kind == "command" and action.value == "start":
        you = chat.you_entry(action, None, kept=True)
        entries: list[Entry] = []
        if before.opted_out:
            start = chat.inbound_for(action, address, info.code, nonce)
            entries = chat.entries_from_replies(engine.handle(start))
            before = _where(info, address)
        if before.conversation is None or before.conversation.ended:
            join_id = f"{nonce}-join" if nonce else None
            entries = _start(info, address, join_id)
        after = _where(info, address)
        return Outcome([you, *entries] if entries else [], after)
    if conversation is None:  # no check-in yet (a new session): begin it
        entries = _start(info, address, nonce)
        return Outcome(entries, _where(info, address))
    step = _step(_flow(conversation.flow_id), conversation.step)
    replies = engine.handle(chat.inbound_for(action, address, info.code, nonce))
    after = _where(info, address)
    if not replies:  # a second press of the same form, or nothing to say after STOP
        return Outcome([], after)
    kept = conversation.consent == "given" or (
        after.conversation is not None and after.conversation.consent == "given"
    )
    you = chat.you_entry(action, step, kept=kept or action.kind != "text")
    return Outcome([you, *chat.entries_from_replies(replies)], after)


def _not_found(code: str) -> Response:
    cleaned = (code or "").strip().upper()
    known = None
    if CODE_PATTERN.match(cleaned):
        known = get_consultation(_services().database, cleaned)
    return _page("web/not_found.html", 404, closed=known is not None)


def _render_chat(view: ChatView, status: str = "", error: bool = False, focus: bool = False):
    turns = chat.group_turns(view.entries)
    latest = next((t for t in reversed(turns) if t.who == "bot"), None)
    return _page(
        "web/chat.html",
        info=view.info,
        turns=turns,
        view=view,
        latest_id=latest.id if latest else None,
        autofocus=focus,
        status=status,
        error=error,
        token=_token(),
        nonce=secrets.token_urlsafe(12),
        picture_url=_picture_url,
        speak_text=chat.speak_text,
        phone_parts=chat.phone_parts,
    )


# -- routes ----------------------------------------------------------------------------


@blueprint.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"form_token": _token}


@blueprint.get("/")
def landing() -> Response:
    """The start page: type the code your group gave you."""
    return _page("web/landing.html")


@blueprint.get("/join")
def join() -> Response:
    """Go to the check-in for a typed code, or say what is wrong with it."""
    typed = request.args.get("code", "")
    code = re.sub(r"\s+", "", typed).upper()
    if code.startswith("JOIN") and len(code) > 4 and _open_consultation(code) is None:
        code = code[4:]
    if not code:
        return _page("web/landing.html", 400, error="Please type your code.", typed=typed)
    info = _open_consultation(code)
    if info is None:
        message = "We cannot find that code. Check it and try again."
        return _page("web/landing.html", 404, error=message, typed=typed[:40])
    return redirect(url_for("web.chat_page", code=info.code), 303)


@blueprint.route("/c/<code>", methods=["GET", "POST"])
def chat_page(code: str) -> Response:
    """The check-in: GET shows it (starting it the first time), POST answers (no JavaScript)."""
    info = _open_consultation(code)
    if info is None:
        return _private(_not_found(code))
    address = _address()
    if request.method == "POST":
        return _private(_post_chat(info, address))
    place = _where(info, address)
    if place.conversation is None and not place.opted_out and request.method == "GET":
        entries = _start(info, address)
        place = _where(info, address)
        _remember(info, place, entries)
    status = session.pop("status", "")
    error = bool(session.pop("error", False))
    focus = bool(session.pop("focus", False))
    view = _chat_view(info, place)
    return _private(_render_chat(view, status if isinstance(status, str) else "", error, focus))


def _post_chat(info: ConsultationInfo, address: str) -> Response:
    target = url_for("web.chat_page", code=info.code)
    if not _token_ok(request.form):
        session["status"] = TRY_AGAIN
        return redirect(target, 303)
    action = chat.parse_action(request.form)
    outcome = _act(info, address, action, chat.valid_nonce(request.form.get("nonce")))
    _remember(info, outcome.place, outcome.entries)
    if outcome.status:
        session["status"] = outcome.status
    if outcome.error:
        session["error"] = True
    session["focus"] = True
    return redirect(target, 303)


@blueprint.post("/c/<code>/messages")
def messages(code: str) -> tuple[Response, int]:
    """The same as POST /c/<code>, for the page's script: answers with only the new messages."""
    info = _open_consultation(code)
    if info is None:
        body = {"error": "not_found", "status": "Sorry, this check-in is not open."}
        return _private(jsonify(body)), 404
    address = _address()
    if not _token_ok(request.form):
        return _private(jsonify(error="try_again", status=TRY_AGAIN)), 400
    action = chat.parse_action(request.form)
    outcome = _act(info, address, action, chat.valid_nonce(request.form.get("nonce")))
    _remember(info, outcome.place, outcome.entries)
    entries = outcome.entries
    if entries:
        entries += _notes(outcome.place, only_new=True)
    view = _view(info, entries, outcome.place, always=False)
    turns = chat.group_turns(entries)
    first_bot = next((t for t in turns if t.who == "bot"), None)
    context = {
        "info": info,
        "view": view,
        "look": _look(),
        "error": outcome.error,
        "token": _token(),
        "nonce": secrets.token_urlsafe(12),
        "picture_url": _picture_url,
        "speak_text": chat.speak_text,
        "phone_parts": chat.phone_parts,
    }
    body = {
        "messages": [_message_json(e) for e in entries],
        "log_html": render_template("web/_turns.html", turns=turns, **context),
        "answer_html": render_template("web/_answer.html", **context),
        "focus": first_bot.id if first_bot else None,
        "mode": view.mode,
        "status": outcome.status,
    }
    return _private(jsonify(body)), 200


def _message_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "who": entry.who,
        "text": entry.text,
        "purpose": entry.purpose,
        "step": entry.step,
        "note": entry.note,
        "choices": [{"key": c.key, "words": c.words, "payload": c.payload} for c in entry.choices],
    }


@blueprint.get("/pictures/<picture_id>")
def picture(picture_id: str) -> Response:
    """A choice's picture, from the picture set in use."""
    found = find_picture(_picture_sets(), picture_id)
    if found is None:
        abort(404)
    return send_file(found.path, mimetype=found.media_type, max_age=7 * 24 * 3600)


@blueprint.get("/about")
def about() -> Response:
    """What Voicebox is, and where the pictures come from (licences and credits)."""
    sets = _picture_sets()
    in_use = []
    for picture_set in sets:
        names = [p for p in picture_set.pictures.values() if p.path.parent == picture_set.folder]
        in_use.append((picture_set, sorted(names, key=lambda p: p.shows or p.id)))
    return _page("web/about.html", picture_sets=in_use, builtin=BUILTIN_SET)


@blueprint.get("/who-sees-my-answers")
def who_sees() -> Response:
    """Who reads the answers and what is kept, in plain words."""
    return _page("web/who_sees.html", back=_safe_next(request.args.get("next")))


@blueprint.route("/settings", methods=["GET", "POST"])
def settings() -> Response:
    """Bigger text, strong colours, pictures on or off: kept in a cookie on this device."""
    back = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _page("web/settings.html", back=back, saved=bool(request.args.get("saved")))
    look = Look.from_form(request.form)
    if back.startswith("/c/"):
        session["status"] = SAVED
        response = redirect(back, 303)
    else:
        response = redirect(url_for("web.settings", next=back, saved=1), 303)
    response.set_cookie(
        COOKIE,
        look.to_cookie(),
        max_age=COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


@blueprint.post("/forget")
def forget() -> Response:
    """Forget this device: a new visitor id, so the next person cannot see these answers."""
    if _token_ok(request.form):
        session.clear()
    return redirect(url_for("web.landing", forgotten=1), 303)


@blueprint.get("/away")
def away() -> Response:
    """A plain page with nothing about Voicebox on it, for the Exit this page button."""
    return _private(make_response(render_template("web/away.html")))
