"""A check-in's pages on the workers' blueprint: its share kit (link, QR code, poster) and
its conversations, read as chat bubbles with identifying details hidden."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from voicebox.storage.consultations import ConsultationInfo, visible_consultation
from voicebox.storage.conversation_list import PER_PAGE, get_conversation, list_conversations
from voicebox.storage.masking import mask
from voicebox.storage.transcripts import read_transcript
from voicebox.workers import auth, share
from voicebox.workers.views import blueprint


def _checkin(code: str) -> ConsultationInfo:
    """The check-in with this code if the worker may see it; any other is not found."""
    found = visible_consultation(auth.services().database, code, auth.visible_groups(auth.worker()))
    if found is None:
        abort(404)
    return found


def _share_page(template: str, code: str) -> ResponseReturnValue:
    """A page showing a check-in's link, QR code and each channel's way in."""
    found = _checkin(code)
    link = share.join_link(found.code, auth.services().public_url)
    return render_template(
        template,
        checkin=found,
        link=link,
        qr_svg=share.qr_in_page(link),
        invitations=share.invitations(found.code),
    )


@blueprint.get("/checkins/<code>")
@login_required
def checkin(code: str) -> ResponseReturnValue:
    """One check-in's share kit: link, QR code, each channel's way in, and the poster."""
    return _share_page("workers/checkin.html", code)


@blueprint.get("/checkins/<code>/qr.<any(svg, png):kind>")
@login_required
def qr(code: str, kind: str) -> ResponseReturnValue:
    """The QR code as a file to download, for a slide, a letter or a poster of your own."""
    found = _checkin(code)
    link = share.join_link(found.code, auth.services().public_url)
    media = "image/svg+xml" if kind == "svg" else "image/png"
    response = Response(share.qr_code(link, kind), mimetype=media)
    filename = f"voicebox-{found.code}-qr.{kind}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.get("/checkins/<code>/poster")
@login_required
def poster(code: str) -> ResponseReturnValue:
    """A one-page easy-read poster to print: three short sentences, pictures, the QR code."""
    return _share_page("workers/poster.html", code)


@blueprint.get("/checkins/<code>/conversations")
@login_required
def conversations(code: str) -> ResponseReturnValue:
    """A check-in's conversations, newest first, a page at a time."""
    found = _checkin(code)
    page = request.args.get("page", "1")
    number = int(page) if page.isdecimal() and 0 < int(page) < 100_000 else 1
    rows, total = list_conversations(
        auth.services().database, found.code, auth.visible_groups(auth.worker()), number
    )
    pages = max(1, -(-total // PER_PAGE))
    if number > pages:
        abort(404)
    return render_template(
        "workers/conversations.html",
        checkin=found,
        rows=rows,
        total=total,
        page=number,
        pages=pages,
    )


@blueprint.get("/conversations/<int:conversation_id>")
@login_required
def conversation(conversation_id: int) -> ResponseReturnValue:
    """One conversation as chat bubbles, with the choices taken; numbers, emails and
    postcodes in what was typed are hidden."""
    services = auth.services()
    found = get_conversation(services.database, conversation_id, auth.visible_groups(auth.worker()))
    if found is None:
        abort(404)
    with services.database.reading() as conn:
        lines = read_transcript(conn, conversation_id)
    flow = services.engine.flows.get(found.flow_id)
    bubbles = []
    for line in lines:
        chosen = ""
        if line.choice_key and flow is not None and line.step in flow.steps:
            words = {c.key: c.words for c in flow.steps[line.step].choices}
            chosen = ", ".join(words.get(key, key) for key in line.choice_key.split(","))
        elif line.choice_key:
            chosen = line.choice_key
        bubbles.append(
            {
                "who": "young person" if line.direction == "in" else "voicebox",
                "text": mask(line.text),
                "chosen": chosen,
                "purpose": line.purpose,
                "at": line.created_at,
            }
        )
    return render_template("workers/conversation.html", conversation=found, bubbles=bubbles)
