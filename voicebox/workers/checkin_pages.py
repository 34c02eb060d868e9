"""A check-in's pages on the workers' blueprint: its share kit (link, QR code, poster) and
its conversations, read as chat bubbles with identifying details hidden."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from flask import Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs are 3.2

from voicebox.storage.audit import VIEWED_CONVERSATION, record
from voicebox.storage.conversation_list import (
    PER_PAGE,
    ConversationFilter,
    get_conversation,
    list_conversations,
)
from voicebox.storage.masking import mask
from voicebox.storage.reports import report_back_in_conversation
from voicebox.storage.reveals import list_reveals, record_reveal
from voicebox.storage.schedule import end_of, start_of
from voicebox.storage.transcripts import read_transcript
from voicebox.workers import auth, share
from voicebox.workers.forms import KIND_WORDS, CheckinStatusForm, ConversationFilterForm
from voicebox.workers.query import page_asked
from voicebox.workers.views import blueprint


def _share_page(template: str, code: str) -> ResponseReturnValue:
    """A page showing a check-in's link, QR code and each channel's way in."""
    found = auth.checkin_or_404(code)
    link = share.join_link(found.code, auth.services().public_url)
    return render_template(
        template,
        checkin=found,
        link=link,
        qr_svg=share.qr_in_page(link),
        invitations=share.invitations(found.code),
        status_form=CheckinStatusForm(),
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
    found = auth.checkin_or_404(code)
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


def flow_topics(flow_id: str) -> list[tuple[str, str]]:
    """The parts of life a flow asks about (key and words), from the flow, not the answers:
    reading them from a million answers would cost more than the whole page."""
    flow = auth.services().engine.flows.get(flow_id)
    if flow is None:
        return []
    found = {c.key: c.words for step in flow.steps.values() for c in step.choices if c.topic}
    return list(found.items())


def _channel_names() -> list[str]:
    """Every channel a conversation may have come by (gathered by app.py)."""
    return list(current_app.extensions.get("voicebox_channel_names", []))


@blueprint.get("/checkins/<code>/conversations")
@login_required
def conversations(code: str) -> ResponseReturnValue:
    """A check-in's conversations, newest first, a page at a time, with filters."""
    found = auth.checkin_or_404(code)
    groups = auth.visible_groups(auth.worker())
    database = auth.services().database
    form = ConversationFilterForm(request.args)
    form.topic.choices = [
        SelectChoice("", "Any topic"),
        *(SelectChoice(key, words) for key, words in flow_topics(found.flow_id)),
    ]
    form.channel.choices = [
        SelectChoice("", "Any channel"),
        *(SelectChoice(c, c.upper() if c == "sms" else c.capitalize()) for c in _channel_names()),
    ]
    valid = form.validate()
    filters = ConversationFilter()
    if valid:
        filters = ConversationFilter(
            words=form.words.data or "",
            topic=form.topic.data or "",
            kind=form.kind.data if form.kind.data in KIND_WORDS else "",
            channel=form.channel.data or "",
            flagged=bool(form.flagged.data),
            started_from=start_of(form.started_from.data) if form.started_from.data else None,
            started_before=end_of(form.started_to.data) if form.started_to.data else None,
        )
    number = page_asked()
    rows, total = list_conversations(database, found.code, groups, number, filters)
    pages = max(1, -(-total // PER_PAGE))
    if number > pages:
        abort(404)
    kept = {k: v for k, v in request.args.items() if k != "page" and v}
    return (
        render_template(
            "workers/conversations.html",
            checkin=found,
            rows=rows,
            total=total,
            page=number,
            pages=pages,
            form=form,
            filters=filters,
            kept=kept,
        ),
        200 if valid else 400,
    )


@blueprint.get("/conversations/<int:conversation_id>")
@login_required
def conversation(conversation_id: int) -> ResponseReturnValue:
    """One conversation as chat bubbles, with the choices taken; numbers, emails and
    postcodes in what was typed are hidden."""
    return _conversation_page(conversation_id, revealed=False)


@blueprint.post("/conversations/<int:conversation_id>/reveal")
@login_required
def reveal_conversation(conversation_id: int) -> ResponseReturnValue:
    """For admins only: the conversation with nothing hidden, recorded before it is shown.

    A POST, answered with the page itself: reloading or sharing the address shows it
    hidden again, and each showing is one record."""
    if not auth.worker().is_admin:
        abort(404)
    return _conversation_page(conversation_id, revealed=True)


def _conversation_page(conversation_id: int, revealed: bool) -> ResponseReturnValue:
    services = auth.services()
    account = auth.worker()
    found = get_conversation(services.database, conversation_id, auth.visible_groups(account))
    if found is None:
        abort(404)
    # In the audit log before anything is read to show (a reveal is an entry there too).
    if revealed:
        record_reveal(services.database, account.id, "conversation", found.code, found.id)
    else:
        record(services.database, account.id, VIEWED_CONVERSATION, found.code, str(found.id))
    with services.database.reading() as conn:
        lines = read_transcript(conn, conversation_id)
        told = report_back_in_conversation(conn, conversation_id)
    flow = services.engine.flows.get(found.flow_id)
    bubbles = []
    hidden = False
    for line in lines:
        chosen = ""
        if line.choice_key and flow is not None and line.step in flow.steps:
            words = {c.key: c.words for c in flow.steps[line.step].choices}
            chosen = ", ".join(words.get(key, key) for key in line.choice_key.split(","))
        elif line.choice_key:
            chosen = line.choice_key
        shown = line.text if revealed else mask(line.text)
        hidden = hidden or shown != line.text
        bubbles.append(
            {
                "who": "young person" if line.direction == "in" else "voicebox",
                "text": shown,
                "chosen": chosen,
                "purpose": line.purpose,
                "at": line.created_at,
            }
        )
    if told:  # merged by time; sorting is stable, so the transcript's own order is kept
        bubbles += [
            {"who": "voicebox", "text": text, "chosen": "", "purpose": "report", "at": at}
            for text, at in told
        ]
        bubbles.sort(key=lambda bubble: cast(datetime, bubble["at"]))
    reveals = list_reveals(services.database, found.code, found.id) if account.is_admin else []
    return render_template(
        "workers/conversation.html",
        conversation=found,
        bubbles=bubbles,
        revealed=revealed,
        hidden=hidden,
        reveals=reveals,
        reveal_form=CheckinStatusForm(),
    )
