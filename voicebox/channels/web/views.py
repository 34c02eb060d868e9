"""The web chat's routes: thin glue between the page, the engine and storage.

Every page renders from the engine's TurnResult: after a button press from the result of
that press (one write transaction), and on a plain visit from `Engine.describe` of the
person's place, read with the transcript in one read transaction (for someone new, from
`Engine.opening`: a visit never writes)."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
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
from werkzeug.wrappers import Response as BaseResponse

from voicebox.bot.engine import MAX_ANSWER_CHARS
from voicebox.bot.messages import ChoiceOption, button_payload, read_payload
from voicebox.bot.report_back import STATUS_PICTURES, STATUS_WORDS
from voicebox.bot.results import Question, TurnResult
from voicebox.bot.state import ConsultationRef
from voicebox.channels.web import chat
from voicebox.channels.web.chat import CHANNEL, Action, Draft, Entry
from voicebox.channels.web.looks import COOKIE, COOKIE_DAYS, Look
from voicebox.channels.web.pictures import BUILTIN_SET, PictureSet, find_picture, picture_sets
from voicebox.channels.web.settings import WebSettings
from voicebox.storage import outbox
from voicebox.storage.consultations import find_consultation, get_consultation
from voicebox.storage.conversations import read_place
from voicebox.storage.reports import public_report
from voicebox.storage.services import Services
from voicebox.storage.transcripts import read_transcript

blueprint = Blueprint(
    CHANNEL,
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/web-static",
)

_SETTINGS = "voicebox.web"
_WEB_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_NOT_IN_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")  # control characters, backslash
EMPTY_ANSWER = "Please type your answer first, or press Skip."
TOO_LONG = "Your answer has {count} letters. The most is {limit}. Please make it shorter."
TRY_AGAIN = "Sorry, that did not work. Please try again."
CLOSED = "Sorry, this check-in has closed. Thank you for wanting to take part."
NOT_FOUND = "Sorry, we cannot find this check-in."
# Pictures and the style sheet may be kept by the browser; nothing else from the web chat.
_CACHEABLE = frozenset({"web.static", "web.picture"})


def set_up(app: Flask, settings: WebSettings) -> None:
    """Keep this app's web settings where the routes find them."""
    app.extensions[_SETTINGS] = settings


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
    if not isinstance(kept, str) or not sent:
        return False
    # As bytes: compare_digest raises TypeError on a str holding anything but ASCII.
    return hmac.compare_digest(sent.encode("utf-8", "replace"), kept.encode("utf-8", "replace"))


def _look() -> Look:
    return Look.from_cookie(request.cookies.get(COOKIE))


def _picture_sets() -> tuple[PictureSet, ...]:
    settings: WebSettings = current_app.extensions[_SETTINGS]
    return picture_sets(settings.pictures)


def _picture_url(option: ChoiceOption) -> str | None:
    if not option.picture or find_picture(_picture_sets(), option.picture) is None:
        return None
    return url_for("web.picture", picture_id=option.picture)


def _is_open(code: str) -> bool:
    found = get_consultation(_services().database, code)
    return found is not None and found.status == "open"


def _open_checkin(result: TurnResult) -> ConsultationRef | None:
    """The check-in the engine answered about, or None when it is unknown or closed."""
    found = result.consultation
    return found if found is not None and found.open else None


def _safe_next(target: str | None) -> str:
    """A local path to go back to; anything else goes to the start page."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or _NOT_IN_PATH.search(target)  # browsers drop tab, CR and LF: "/\t/x" is "//x"
    ):
        return url_for("web.landing")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("web.landing")
    return target


def _page(template: str, http_status: int = 200, **context: Any) -> BaseResponse:
    return make_response(render_template(template, **context), http_status)


@blueprint.after_request
def _never_kept(response: BaseResponse) -> BaseResponse:
    """No page, answer or redirect of the web chat is kept in a cache (shared tablets): after
    Exit this page, Back cannot show a copy. Only pictures and static files are kept."""
    if request.endpoint not in _CACHEABLE:
        response.headers["Cache-Control"] = "no-store"
    return response


# -- what the page shows -------------------------------------------------------------


@dataclass(frozen=True)
class Checkin:
    """The check-in a page is about: its code and title."""

    code: str
    title: str


@dataclass
class ChatView:
    """Everything the chat templates need for one check-in."""

    info: Checkin
    entries: list[Entry] = field(default_factory=list)
    mode: str = "none"  # choice, cards, text, ended, stopped, closed, none
    question: Question | None = None
    asks_consent: bool = False
    resumes: bool = False  # Start again goes on from where the person stopped
    pressed: tuple[str, ...] = ()  # cards shown pressed, in the order they are shown
    typed: str = ""  # words in the text box: given back, or the earlier answer after Go back
    focus_card: str | None = None  # the card pressed without the script: focus goes back to it

    @property
    def pressed_payload(self) -> str:
        """The cards pressed, as the engine's payload (the form's hidden field)."""
        return button_payload(self.question.step_id if self.question else "", self.pressed)


@dataclass(frozen=True)
class Problem:
    """Why an answer was not sent, said next to the answer box."""

    words: str = ""

    def __bool__(self) -> bool:
        return bool(self.words)


def _mode(result: TurnResult) -> str:
    if result.opted_out:
        return "stopped"
    if result.ended:
        return "ended"
    if result.question is not None:
        if result.question.is_cards:
            return "cards"
        return "choice" if result.question.has_choices else "text"
    return "none"


def _view(
    info: Checkin,
    entries: list[Entry],
    result: TurnResult,
    always: bool,
    draft: Draft | None = None,
) -> ChatView:
    """The view of a check-in, with the question being asked now marked in the entries, and
    its answer form filled in: a draft given back, else the earlier answer (after Go back)."""
    question = result.question
    view = ChatView(info, entries, _mode(result), question)
    view.resumes = result.opted_out and result.consultation is not None and not result.ended
    if question is None:
        return view
    chat.attach_question(entries, question, always=always)
    view.asks_consent = question.kind == "consent"
    if draft is not None and draft.fits(question):
        keys, view.typed, view.focus_card = set(draft.keys), draft.text, draft.focus
    else:
        keys, view.typed = set(question.earlier), question.earlier_text
    if question.is_cards:
        view.pressed = tuple(c.key for c in question.choices if c.key in keys)
    return view


def _session_entries(code: str, result: TurnResult) -> list[Entry]:
    """Messages kept in the session: until consent, nothing else has them."""
    last = session.get("last")
    if not isinstance(last, dict) or last.get("code") != code:
        return []
    if result.consent is None or result.consent == "given":
        return []
    return chat.from_session(last.get("entries"))


def _remember(code: str, result: TurnResult, new: list[Entry]) -> None:
    """Keep the latest messages in the session until consent; after it, the transcript has them."""
    if result.consent is None or result.consent == "given":
        session.pop("last", None)
        return
    earlier: list[Entry] = []
    if not result.started:
        earlier = _session_entries(code, result)
    kept = chat.without_choices([*earlier, *new])
    declined = result.consent == "declined"  # nothing else is kept: the session shows it
    session["last"] = {"code": code, "entries": chat.to_session(kept), "declined": declined}


def _moved_to(code: str, result: TurnResult) -> str | None:
    """The page of the check-in a typed code moved the person to, if it is another one."""
    found = result.consultation
    if found is None or found.code == code or not result.started:
        return None
    return url_for("web.chat_page", code=found.code)


def _new_code(result: TurnResult) -> str:
    return result.consultation.code if result.consultation is not None else ""


def _declined(code: str) -> bool:
    """True when this visitor said no to this check-in (so nothing of it is kept)."""
    last = session.get("last")
    return isinstance(last, dict) and last.get("code") == code and last.get("declined") is True


def _new_entries(action: Action, result: TurnResult) -> list[Entry]:
    """What the person did and what Voicebox said back, for the log (nothing, if nothing)."""
    if not result.replies:  # a second press of the same form, or nothing to say after STOP
        return []
    return [chat.you_entry(action, result), *chat.entries_from_replies(result.replies)]


def _refused(action: Action) -> tuple[Problem, Draft | None]:
    """Why typed words are not sent on to the engine (nothing typed, or more than it keeps),
    and the answer to give back into the form.

    A long message with worrying words in it still goes: the engine raises the flag and gives
    the caring reply (and says it kept only the first part). Cards with nothing chosen and
    nothing typed go too: the engine asks again kindly."""
    if action.kind not in ("text", "cards"):
        return Problem(), None
    count = chat.letters(action.typed)
    if count == 0 and action.kind == "text":
        return Problem(EMPTY_ANSWER), None
    if count <= MAX_ANSWER_CHARS or _services().engine.phrases.find(action.sent) is not None:
        return Problem(), None
    words = TOO_LONG.format(count=f"{count:,}", limit=f"{MAX_ANSWER_CHARS:,}")
    if action.kind == "cards":
        step, keys = read_payload(action.value)
        return Problem(words), Draft(tuple(keys), action.typed, step)
    return Problem(words), Draft(text=action.typed)


def _not_found(closed: bool) -> BaseResponse:
    return _page("web/not_found.html", 404, closed=closed)


def _fragments(view: ChatView, problem: Problem) -> dict[str, Any]:
    """What the chat templates need besides the log and the helpers: the form's fields."""
    return {
        "info": view.info,
        "view": view,
        "error": bool(problem),
        "error_text": problem.words,
        "token": _token(),
        "nonce": secrets.token_urlsafe(12),
    }


def _show_chat(
    code: str,
    status: str = "",
    problem: Problem = Problem(),
    focus: bool = False,
    http_status: int = 200,
    draft: Draft | None = None,
) -> BaseResponse:
    """The check-in: where the person is (its opening on a first visit), in one read.

    A visit changes nothing: someone new sees the opening the engine works out without
    storing it, and their row and conversation are made by their first answer."""
    services = _services()
    address = _address()
    with services.database.reading() as conn:
        info = find_consultation(conn, code)
        if info is None:
            return _not_found(closed=False)
        place = read_place(conn, services.secret, CHANNEL, address, info.code)
        state = place.state
        lines = []
        if state is not None and place.conversation_id is not None and state.consent == "given":
            lines = read_transcript(conn, place.conversation_id)
        notes: list[outbox.Delivered] = []
        waiting = False
        if place.participant_id is not None:
            waiting = outbox.waiting(conn, place.participant_id, CHANNEL)
            if not place.opted_out:
                notes = outbox.delivered(conn, place.participant_id, CHANNEL)
    if info.status != "open":  # a report-back comes after it closed: still shown, once
        return _closed_with_notes(services, place.participant_id, place.opted_out, notes, waiting)
    checkin = Checkin(info.code, info.title)
    if state is None and _declined(info.code):  # they said no: show the goodbye, start nothing
        result = TurnResult(consent="declined", ended=True)
    elif state is None and not place.opted_out:  # someone new: the opening, nothing stored
        ref = ConsultationRef(
            info.code, info.flow_id, info.flow_version, info.title, True, info.intro
        )
        result = services.engine.opening(ref, buttons=True)
        _remember(info.code, result, chat.entries_from_replies(result.replies))
    else:
        result = services.engine.describe(state, place.opted_out, buttons=True)
    if waiting and place.participant_id is not None:  # a write only when something waits
        if place.opted_out:  # after STOP nothing is shown: what waits is cancelled
            outbox.cancel(services.database, place.participant_id, outbox.STOPPED)
        else:
            notes += outbox.take(services.database, place.participant_id, CHANNEL)
    flow = services.engine.flows.get(state.consultation.flow_id) if state else None
    entries = chat.merge_by_time(
        chat.entries_from_transcript(lines, flow),
        [chat.note_entry(n.id, n.message, n.created_at) for n in notes],
    )
    entries += _session_entries(info.code, result)
    view = _view(checkin, entries, result, always=True, draft=draft)
    turns = chat.group_turns(view.entries)
    latest = next((t for t in reversed(turns) if t.who == "bot"), None)
    return _page(
        "web/chat.html",
        http_status,
        turns=turns,
        latest_id=latest.id if latest else None,
        autofocus=focus,
        status=problem.words or status,
        **_fragments(view, problem),
    )


def _closed_with_notes(
    services: Services,
    participant_id: int | None,
    opted_out: bool,
    notes: list[outbox.Delivered],
    waiting: bool,
) -> BaseResponse:
    """The closed page, with the messages for this person (what waits is delivered now)."""
    if waiting and participant_id is not None:
        if opted_out:
            outbox.cancel(services.database, participant_id, outbox.STOPPED)
        else:
            notes = notes + outbox.take(services.database, participant_id, CHANNEL)
    entries = [chat.note_entry(n.id, n.message, n.created_at) for n in notes]
    return _page("web/not_found.html", 404, closed=True, notes=entries)


def _hidden(code: str) -> BaseResponse:
    """After Exit this page: the check-in stays hidden until the person asks to see it."""
    found = get_consultation(_services().database, code)
    if found is None or found.status != "open":
        return _not_found(closed=found is not None)
    return _page("web/hidden.html", code=found.code)


def _closed_json(action: Action, flow_id: str | None) -> tuple[BaseResponse, int]:
    """The script's answer when the check-in has closed (flow_id given) or is gone: what the
    person pressed, then why it did not count, in the log; and the answer buttons go."""
    flow = _services().engine.flows.get(flow_id) if flow_id else None
    words = CLOSED if flow_id else NOT_FOUND
    entries = [chat.pressed_entry(action, flow), Entry("bot", words, chat.new_id(), "notice")]
    turns = chat.group_turns(entries)
    body = {
        "error": "not_found",
        "messages": [_message_json(e) for e in entries],
        "log_html": render_template("web/_turns.html", turns=turns),
        "answer_html": render_template("web/_closed.html"),
        "focus": turns[-1].id,
        "mode": "closed",
        "status": "",
    }
    return jsonify(body), 404


# -- routes ----------------------------------------------------------------------------


@blueprint.context_processor
def _template_helpers() -> dict[str, Any]:
    """What every page and fragment of the web chat may use: its look, and the helpers."""
    return {
        "look": _look(),
        "form_token": _token,
        "answer_limit": MAX_ANSWER_CHARS,
        "counter_text": chat.counter_text,
        "picture_url": _picture_url,
        "speak_text": chat.speak_text,
        "phone_parts": chat.phone_parts,
    }


@blueprint.get("/")
def landing() -> BaseResponse:
    """The start page: type the code your group gave you."""
    return _page("web/landing.html")


@blueprint.get("/join")
def join() -> BaseResponse:
    """Go to the check-in for a typed code, or say what is wrong with it."""
    typed = request.args.get("code", "")
    code = re.sub(r"\s+", "", typed).upper()
    if code.startswith("JOIN") and len(code) > 4 and not _is_open(code):
        code = code[4:]
    if not code:
        return _page("web/landing.html", 400, error="Please type your code.", typed=typed)
    if not _is_open(code):
        message = "We cannot find that code. Check it and try again."
        return _page("web/landing.html", 404, error=message, typed=typed[:40])
    return redirect(url_for("web.chat_page", code=code), 303)


@blueprint.get("/c/<code>")
def chat_page(code: str) -> BaseResponse:
    """The check-in: where the person is (its opening, the first time), in one read."""
    if session.get("away"):
        return _hidden(code)
    status = session.pop("status", "")
    status = status if isinstance(status, str) else ""
    problem = Problem(status) if session.pop("error", False) else Problem()
    focus = bool(session.pop("focus", False))
    return _show_chat(code, status, problem, focus)


@blueprint.post("/c/<code>/show")
def show(code: str) -> BaseResponse:
    """Show the check-in again after Exit this page."""
    if _token_ok(request.form):
        session.pop("away", None)
    return redirect(url_for("web.chat_page", code=code.strip().upper()), 303)


@blueprint.post("/c/<code>")
def chat_post(code: str) -> BaseResponse:
    """An answer from the page without JavaScript: one write, then back to the page.

    Words too long to keep are not sent: the page comes back at once with them in the box."""
    address = _address()
    code = code.strip().upper()
    target = url_for("web.chat_page", code=code)
    if not _token_ok(request.form):
        found = get_consultation(_services().database, code)
        if found is None or found.status != "open":
            return _not_found(closed=found is not None)
        session["status"] = TRY_AGAIN
        return redirect(target, 303)
    action = chat.parse_action(request.form)
    if action.kind == "card":  # a card pressed: the page again at once, with it pressed
        return _show_chat(code, draft=chat.pressed_cards(action))
    problem, draft = _refused(action)
    if draft is not None:  # kept in the form: too big for the session cookie, so no redirect
        return _show_chat(code, problem=problem, http_status=400, draft=draft)
    if problem:
        session["status"] = problem.words
        session["error"] = True
    else:
        result = _services().engine.handle(
            chat.inbound_for(action, address, code, chat.valid_nonce(request.form.get("nonce")))
        )
        if _open_checkin(result) is None:
            return _not_found(closed=result.consultation is not None)
        moved = _moved_to(code, result)
        if moved is not None:  # they typed another group's code: that check-in's page
            _remember(_new_code(result), result, _new_entries(action, result))
            return redirect(moved, 303)
        _remember(code, result, _new_entries(action, result))
    session["focus"] = True
    return redirect(target, 303)


@blueprint.post("/c/<code>/messages")
def messages(code: str) -> tuple[BaseResponse, int]:
    """The same as POST /c/<code>, for the page's script: answers with only the new messages."""
    services = _services()
    address = _address()
    code = code.strip().upper()
    action = chat.parse_action(request.form)
    if not _token_ok(request.form):
        found = get_consultation(services.database, code)
        if found is None or found.status != "open":
            return _closed_json(action, found.flow_id if found else None)
        return jsonify(error="try_again", status=TRY_AGAIN), 400
    problem, draft = _refused(action)
    if action.kind == "card":  # the script presses cards itself; this is only a fallback
        draft = chat.pressed_cards(action)
    entries: list[Entry] = []
    if problem or draft is not None:  # said kindly, nothing is sent
        with services.database.reading() as conn:
            found = find_consultation(conn, code)
            place = read_place(conn, services.secret, CHANNEL, address, code)
        if found is None or found.status != "open":
            return _closed_json(action, found.flow_id if found else None)
        info = Checkin(found.code, found.title)
        result = services.engine.describe(place.state, place.opted_out, buttons=True)
    else:
        nonce = chat.valid_nonce(request.form.get("nonce"))
        result = services.engine.handle(chat.inbound_for(action, address, code, nonce))
        checkin = _open_checkin(result)
        if checkin is None:
            closed = result.consultation
            return _closed_json(action, closed.flow_id if closed else None)
        moved = _moved_to(code, result)
        if moved is not None:  # the script goes to that check-in's page
            _remember(_new_code(result), result, _new_entries(action, result))
            return jsonify(go=moved), 200
        info = Checkin(checkin.code, checkin.title)
        entries = _new_entries(action, result)
        _remember(code, result, entries)
        if entries and not result.opted_out:
            notes = outbox.take_waiting(services.database, services.secret, CHANNEL, address)
            entries += [chat.note_entry(n.id, n.message, n.created_at) for n in notes]
    view = _view(info, entries, result, always=False, draft=draft)
    turns = chat.group_turns(entries)
    first_bot = next((t for t in turns if t.who == "bot"), None)
    context = _fragments(view, problem)
    body = {
        "messages": [_message_json(e) for e in entries],
        "log_html": render_template("web/_turns.html", turns=turns, **context),
        "answer_html": render_template("web/_answer.html", **context),
        "focus": first_bot.id if first_bot else None,
        "mode": view.mode,
        "status": problem.words,
    }
    return jsonify(body), 200


def _message_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "who": entry.who,
        "text": entry.text,
        "purpose": entry.purpose,
        "step": entry.step,
        "note": entry.note,
        "choices": [{"key": c.key, "words": c.words, "payload": c.payload} for c in entry.choices],
        "cards": [{"key": c.key, "words": c.words} for c in entry.cards],
    }


@blueprint.get("/pictures/<picture_id>")
def picture(picture_id: str) -> BaseResponse:
    """A choice's picture, from the picture set in use."""
    found = find_picture(_picture_sets(), picture_id)
    if found is None:
        abort(404)
    return send_file(found.path, mimetype=found.media_type, max_age=7 * 24 * 3600)


@blueprint.get("/you-said-we-did/<code>")
def report(code: str) -> BaseResponse:
    """A check-in's "You said, we did" for anyone with the link, once a worker opens it:
    the workers' words and symbols, never a young person's own words."""
    if len(code) > 32 or _NOT_IN_PATH.search(code):
        return _not_found(closed=False)
    with _services().database.reading() as conn:
        found = public_report(conn, code)
    if found is None:
        return _page("web/not_found.html", 404, closed=False, report=True)
    return _page(
        "web/report.html",
        report=found,
        status_words=STATUS_WORDS,
        status_pictures=STATUS_PICTURES,
    )


@blueprint.get("/about")
def about() -> BaseResponse:
    """What Voicebox is, and where the pictures come from (licences and credits)."""
    sets = _picture_sets()
    in_use = []
    for picture_set in sets:
        names = [p for p in picture_set.pictures.values() if p.path.parent == picture_set.folder]
        in_use.append((picture_set, sorted(names, key=lambda p: p.shows or p.id)))
    return _page("web/about.html", picture_sets=in_use, builtin=BUILTIN_SET)


@blueprint.get("/who-sees-my-answers")
def who_sees() -> BaseResponse:
    """Who reads the answers and what is kept, in plain words."""
    return _page("web/who_sees.html", back=_safe_next(request.args.get("next")))


@blueprint.route("/settings", methods=["GET", "POST"])
def settings() -> BaseResponse:
    """Bigger text, strong colours, pictures on or off: kept in a cookie on this device."""
    back = _safe_next(request.values.get("next"))
    if request.method == "GET":
        saved, retry = bool(request.args.get("saved")), bool(request.args.get("retry"))
        return _page("web/settings.html", back=back, saved=saved, retry=retry)
    if not _token_ok(request.form):  # not sent from our page (or an old one): nothing saved
        return redirect(url_for("web.settings", next=back, retry=1), 303)
    look = Look.from_form(request.form)
    # Back to this page, where the person is looking: "saved" next to the Save button, and
    # the new look to see at once.
    response = redirect(url_for("web.settings", next=back, saved=1), 303)
    response.set_cookie(
        COOKIE,
        look.to_cookie(),
        max_age=COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        # Secure as the session cookie is: also behind a proxy that ends https.
        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


@blueprint.post("/forget")
def forget() -> BaseResponse:
    """Forget this device: a new visitor id, so the next person cannot see these answers."""
    if _token_ok(request.form):
        session.clear()
    return redirect(url_for("web.landing", forgotten=1), 303)


@blueprint.get("/away")
def away() -> BaseResponse:
    """A plain page with nothing about Voicebox on it, for the Exit this page button."""
    if "web_id" in session:  # Back shows no answers until the person asks to see them
        session["away"] = True
    return make_response(render_template("web/away.html"))
