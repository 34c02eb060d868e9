"""A check-in's themes on the workers' blueprint: make, rename, merge and delete themes,
and tag several answers at once from a list that filters like the conversations list.

Each change is a POST with the form's token, then a redirect back to the same list (so a
reload never does it twice). What young people typed is masked here, as everywhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs are 3.2

from voicebox.storage.consultations import ConsultationInfo
from voicebox.storage.conversation_list import get_conversation
from voicebox.storage.masking import mask
from voicebox.storage.themes import (
    PER_PAGE,
    AnswerFilter,
    ThemeProblem,
    ThemeRow,
    create_theme,
    delete_theme,
    list_answers,
    list_themes,
    merge_themes,
    rename_theme,
    tag_answers,
    untag_answers,
)
from voicebox.workers import auth
from voicebox.workers.checkin_pages import flow_topics
from voicebox.workers.forms import (
    AnswerFilterForm,
    CheckinStatusForm,
    ThemeMergeForm,
    ThemeNameForm,
    ThemeTagForm,
)
from voicebox.workers.query import id_asked, page_asked
from voicebox.workers.views import blueprint

NO_THEME = "none"  # the theme filter's value for answers with no theme yet
_LIST_KEYS = ("kind", "topic", "theme", "words", "conversation", "page")  # kept across changes


def _themes(found: ConsultationInfo) -> list[ThemeRow]:
    with auth.services().database.reading() as conn:
        return list_themes(conn, found.id)


def _filters(form: AnswerFilterForm, themes: list[ThemeRow]) -> AnswerFilter:
    """What the list shows, from the filter form (anything unknown means any)."""
    theme = form.theme.data or ""
    known = {str(t.id): t.id for t in themes}
    return AnswerFilter(
        kind=form.kind.data if form.kind.data in ("typed", "top", "pants", "better") else "",
        topic=form.topic.data or "",
        theme_id=known.get(theme),
        untagged=theme == NO_THEME,
        conversation_id=id_asked("conversation"),
        words=(form.words.data or "").strip()[:100],
    )


def _list_args(query: str) -> dict[str, str]:
    """Only the list's own filters from a query string (never a way to go elsewhere)."""
    return {k: v for k, v in parse_qsl(query) if k in _LIST_KEYS and v}


def _back(found: ConsultationInfo, query: str = "") -> Response:
    args: dict[str, Any] = {"code": found.code, **_list_args(query)}
    return redirect(url_for("workers.themes", **args))


@blueprint.get("/checkins/<code>/themes")
@login_required
def themes(code: str) -> ResponseReturnValue:
    """The check-in's themes with their counts, and its answers to tag, a page at a time."""
    return _page(auth.checkin_or_404(code))


def _page(
    found: ConsultationInfo, name_form: ThemeNameForm | None = None, status: int = 200
) -> ResponseReturnValue:
    themes = _themes(found)
    form = AnswerFilterForm(request.args)
    form.topic.choices = [SelectChoice("", "Any part of life")] + [
        SelectChoice(key, words) for key, words in flow_topics(found.flow_id)
    ]
    form.theme.choices = [
        SelectChoice("", "Any theme, or none"),
        SelectChoice(NO_THEME, "No theme yet"),
        *(SelectChoice(str(t.id), t.name) for t in themes),
    ]
    form.validate()
    filters = _filters(form, themes)
    conversation = None
    if filters.conversation_id is not None:
        conversation = get_conversation(
            auth.services().database,
            filters.conversation_id,
            auth.visible_groups(auth.worker()),
        )
        if conversation is None or conversation.code != found.code:
            abort(404)
    page = page_asked()
    with auth.services().database.reading() as conn:
        rows, total = list_answers(conn, found.id, filters, page)
    pages = max(1, -(-total // PER_PAGE))
    tag_form = ThemeTagForm()
    tag_form.theme.choices = [SelectChoice(t.id, t.name) for t in themes]
    merge_forms = {}
    for theme in themes:
        merge = ThemeMergeForm(prefix=f"merge-{theme.id}")
        merge.sources.choices = [SelectChoice(t.id, t.name) for t in themes if t.id != theme.id]
        merge_forms[theme.id] = merge
    return (
        render_template(
            "workers/themes.html",
            checkin=found,
            themes=themes,
            rows=[(row, mask(row.answer), mask(row.question)) for row in rows],
            total=total,
            page=page,
            pages=pages,
            form=form,
            filters=filters,
            conversation=conversation,
            kept=_list_args(request.query_string.decode("latin-1")),
            name_form=name_form or ThemeNameForm(),
            rename_forms={
                t.id: ThemeNameForm(prefix=f"rename-{t.id}", name=t.name) for t in themes
            },
            merge_forms=merge_forms,
            tag_form=tag_form,
            delete_form=CheckinStatusForm(),
            no_theme=NO_THEME,
        ),
        status,
    )


@blueprint.post("/checkins/<code>/themes")
@login_required
def add_theme(code: str) -> ResponseReturnValue:
    """Make a theme."""
    found = auth.checkin_or_404(code)
    form = ThemeNameForm()
    if form.validate_on_submit():
        try:
            create_theme(auth.services().database, found.id, form.name.data or "")
        except ThemeProblem as problem:
            form.name.errors = [str(problem).rstrip(".")]
        else:
            flash(f"The theme “{form.name.data.strip()}” is made.")  # type: ignore[union-attr]
            return _back(found)
    return _page(found, name_form=form, status=400)


@blueprint.post("/checkins/<code>/themes/<int:theme_id>/rename")
@login_required
def change_theme_name(code: str, theme_id: int) -> ResponseReturnValue:
    """Give a theme a new name."""
    found = auth.checkin_or_404(code)
    form = ThemeNameForm(prefix=f"rename-{theme_id}")
    if not form.validate_on_submit():
        flash(_first_error(form, "Give the theme a name."), "error")
        return _back(found)
    try:
        renamed = rename_theme(auth.services().database, found.id, theme_id, form.name.data or "")
    except ThemeProblem as problem:
        flash(str(problem), "error")
        return _back(found)
    if not renamed:
        abort(404)
    flash(f"The theme is now called “{(form.name.data or '').strip()}”.")
    return _back(found)


@blueprint.post("/checkins/<code>/themes/<int:theme_id>/merge")
@login_required
def merge_theme(code: str, theme_id: int) -> ResponseReturnValue:
    """Fold the chosen themes into this one."""
    found = auth.checkin_or_404(code)
    form = ThemeMergeForm(prefix=f"merge-{theme_id}")
    form.sources.choices = [SelectChoice(t.id, t.name) for t in _themes(found)]
    if not form.validate_on_submit():
        flash(_first_error(form, "Choose at least one theme to merge."), "error")
        return _back(found)
    try:
        gone = merge_themes(auth.services().database, found.id, form.sources.data or [], theme_id)
    except ThemeProblem as problem:
        flash(str(problem), "error")
        return _back(found)
    flash(f"Merged {gone} {'theme' if gone == 1 else 'themes'} into this one.")
    return _back(found)


@blueprint.post("/checkins/<code>/themes/<int:theme_id>/delete")
@login_required
def remove_theme(code: str, theme_id: int) -> ResponseReturnValue:
    """Delete a theme; its answers stay."""
    found = auth.checkin_or_404(code)
    if not CheckinStatusForm().validate_on_submit():  # a bare POST: only its token
        flash("That did not work. Please try again.", "error")
        return _back(found)
    if not delete_theme(auth.services().database, found.id, theme_id):
        abort(404)
    flash("The theme is deleted. Its answers are still here.")
    return _back(found)


@blueprint.post("/checkins/<code>/themes/tag")
@login_required
def tag(code: str) -> ResponseReturnValue:
    """Add a theme to the ticked answers, or take it off them."""
    found = auth.checkin_or_404(code)
    form = ThemeTagForm()
    back = form.back.data or ""
    if not form.validate_on_submit():
        flash("That did not work. Please try again.", "error")
        return _back(found, back)
    chosen = form.answers.data or []
    if not chosen:
        flash("Tick at least one answer first.", "error")
        return _back(found, back)
    themes = {t.id: t.name for t in _themes(found)}
    if form.theme.data not in themes:
        flash("Choose a theme. Make one first if there is none.", "error")
        return _back(found, back)
    database = auth.services().database
    name = themes[form.theme.data]
    if form.action.data == "remove":
        changed = untag_answers(database, found.id, form.theme.data, chosen)
        flash(f"Took “{name}” off {changed} {'answer' if changed == 1 else 'answers'}.")
    else:
        changed = tag_answers(database, found.id, form.theme.data, chosen)
        already = len(chosen) - changed
        more = f" {already} already had it." if already > 0 else ""
        flash(f"Added “{name}” to {changed} {'answer' if changed == 1 else 'answers'}.{more}")
    return _back(found, back)


def _first_error(form: ThemeNameForm | ThemeMergeForm, otherwise: str) -> str:
    for messages in form.errors.values():
        for message in messages:
            return f"{message}."
    return otherwise
