"""A check-in's answers to download (CSV, Excel, JSON) on the workers' blueprint: the same
bytes as `voicebox export`, streamed as they are read, so the download starts at once and
the server's memory stays flat however many answers there are.

Free text is masked, as on screen. An admin may download it with nothing hidden (a POST
with the form's token). Each download is put in the audit log first (storage/audit.py;
one with nothing hidden as a reveal, storage/reveals.py)."""

from __future__ import annotations

import threading

from flask import Response, abort, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.storage.audit import EXPORTED, record
from voicebox.storage.consultations import ConsultationInfo
from voicebox.storage.export import MEDIA_TYPES, export_chunks, export_filename, export_rows
from voicebox.storage.reveals import record_reveal
from voicebox.storage.themes import theme_name
from voicebox.workers import auth
from voicebox.workers.errors import error_page
from voicebox.workers.query import id_asked
from voicebox.workers.views import blueprint

# A long export keeps one of the server's request threads busy until its last byte is
# sent. At most this many run at once, so the others stay free for young people's
# messages; a worker asking for one more is told to try again in a minute.
AT_ONCE = 2
_running = threading.BoundedSemaphore(AT_ONCE)
_ROUTE = "/checkins/<code>/export.<any(csv, xlsx, json):fmt>"


def _download(found: ConsultationInfo, fmt: str, revealed_to: int | None) -> ResponseReturnValue:
    """The export as a streamed attachment; its rows are read while it is sent, once the
    download is in the audit log. With `revealed_to` (an admin's id), nothing is hidden,
    and it is recorded as a reveal. With `?theme=ID`, only that theme's answers."""
    theme_id = _theme(found)
    if not _running.acquire(blocking=False):
        busy = error_page(503)
        busy.headers["Retry-After"] = "60"
        return busy
    reveal = revealed_to is not None
    try:
        database = auth.services().database
        if revealed_to is not None:
            record_reveal(database, revealed_to, "export", found.code, fmt=fmt)
        else:
            record(database, auth.worker().id, EXPORTED, found.code, fmt)
        rows = export_rows(database, found.code, reveal=reveal, theme_id=theme_id)
        # The chunks need nothing from the request (the database and code are theirs), so
        # no request context is kept pushed while they are sent (no stream_with_context).
        chunks = export_chunks(fmt, rows, title=found.code)
        response = Response(chunks, content_type=MEDIA_TYPES[fmt])
    except BaseException:
        _running.release()
        raise
    response.call_on_close(_running.release)  # sent, cancelled or failed: free again
    name = export_filename(found.code, fmt, reveal=reveal)
    if theme_id is not None:
        name = name.replace("-answers", f"-theme-{theme_id}-answers")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _theme(found: ConsultationInfo) -> int | None:
    """The theme asked for (`?theme=ID`), if any; 404 for one that is not this check-in's."""
    if not request.args.get("theme"):
        return None
    asked = id_asked("theme")
    if asked is None:
        abort(404)
    with auth.services().database.reading() as conn:
        if theme_name(conn, found.id, asked) is None:
            abort(404)
    return asked


@blueprint.get(_ROUTE)
@login_required
def export(code: str, fmt: str) -> ResponseReturnValue:
    """A check-in's answers, one row per answer, with identifying details in free text hidden."""
    return _download(auth.checkin_or_404(code), fmt, revealed_to=None)


@blueprint.post(_ROUTE)
@login_required
def export_revealed(code: str, fmt: str) -> ResponseReturnValue:
    """For admins only: the answers with nothing hidden, recorded before anything is sent."""
    account = auth.worker()
    if not account.is_admin:
        return error_page(403)
    return _download(auth.checkin_or_404(code), fmt, revealed_to=account.id)
