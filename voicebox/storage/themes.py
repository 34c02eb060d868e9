"""Themes: workers group a check-in's answers under short names, such as "Buses are late".

A theme belongs to one check-in. Tagging, untagging and merging touch only answers of that
check-in, so an answer id from another check-in changes nothing. The number of people
behind a theme leaves this module only as a `Count` (fewer than 5 stays "fewer than 5")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database, insert_ignoring
from voicebox.storage.models import Answer, AnswerTheme, Participant, Theme, table
from voicebox.storage.results import Count, count

MAX_NAME = 80  # characters in a theme's name
_SPACES = re.compile(r"\s+")


class ThemeProblem(ValueError):
    """A theme cannot be made, renamed or merged as asked; the message is for a person."""


@dataclass(frozen=True)
class ThemeRow:
    """A theme with how many answers and people it holds."""

    id: int
    name: str
    answers: int
    people: Count
    created_at: datetime


def tidy_name(name: str) -> str:
    """A theme's name as kept: spaces squeezed, trimmed; ThemeProblem when empty or long."""
    tidy = _SPACES.sub(" ", name).strip()
    if not tidy:
        raise ThemeProblem("Give the theme a name.")
    if len(tidy) > MAX_NAME:
        raise ThemeProblem(f"A theme's name can be at most {MAX_NAME} characters.")
    return tidy


def name_key(name: str) -> str:
    """The name folded, so "Buses" and "buses " are the same theme."""
    return tidy_name(name).casefold()


def _taken(name: str) -> ThemeProblem:
    return ThemeProblem(f"There is already a theme called “{name}”.")


def create_theme(db: Database, consultation_id: int, name: str) -> int:
    """Make a theme in this check-in; its id. ThemeProblem if the name is taken."""
    tidy = tidy_name(name)
    try:
        with db.transaction() as conn:
            return int(
                conn.execute(
                    insert(table(Theme))
                    .values(
                        consultation_id=consultation_id,
                        name=tidy,
                        name_key=tidy.casefold(),
                        created_at=utcnow(),
                    )
                    .returning(table(Theme).c.id)
                ).scalar_one()
            )
    except IntegrityError:
        raise _taken(tidy) from None


def rename_theme(db: Database, consultation_id: int, theme_id: int, name: str) -> bool:
    """Give a theme a new name; False when there is no such theme in this check-in."""
    tidy = tidy_name(name)
    themes = table(Theme)
    try:
        with db.transaction() as conn:
            done = conn.execute(
                update(themes)
                .where(themes.c.id == theme_id, themes.c.consultation_id == consultation_id)
                .values(name=tidy, name_key=tidy.casefold())
            )
            return bool(done.rowcount)
    except IntegrityError:
        raise _taken(tidy) from None


def merge_themes(db: Database, consultation_id: int, sources: Iterable[int], into: int) -> int:
    """Move every answer of the source themes into `into`, then delete the sources.

    Returns how many themes went. An answer in both keeps one tag. ThemeProblem when
    `into` is not a theme of this check-in or is one of the sources."""
    themes, tags = table(Theme), table(AnswerTheme)
    others = sorted({int(s) for s in sources} - {into})
    if not others:
        raise ThemeProblem("Choose at least one other theme to merge into this one.")
    with db.transaction() as conn:
        mine = _own_themes(conn, consultation_id, [into, *others])
        if into not in mine:
            raise ThemeProblem("That theme is not in this check-in.")
        others = [t for t in others if t in mine]
        if not others:
            return 0
        moving = select(tags.c.answer_id, literal(into)).where(tags.c.theme_id.in_(others))
        conn.execute(
            insert_ignoring(tags, db.dialect).from_select(["answer_id", "theme_id"], moving)
        )
        conn.execute(delete(tags).where(tags.c.theme_id.in_(others)))
        conn.execute(delete(themes).where(themes.c.id.in_(others)))
    return len(others)


def delete_theme(db: Database, consultation_id: int, theme_id: int) -> bool:
    """Delete a theme (its answers stay, untagged); False when there is none such."""
    themes, tags = table(Theme), table(AnswerTheme)
    with db.transaction() as conn:
        if theme_id not in _own_themes(conn, consultation_id, [theme_id]):
            return False
        conn.execute(delete(tags).where(tags.c.theme_id == theme_id))
        conn.execute(delete(themes).where(themes.c.id == theme_id))
    return True


def tag_answers(
    db: Database, consultation_id: int, theme_id: int, answer_ids: Sequence[int]
) -> int:
    """Tag these answers (only this check-in's) with the theme; how many were newly tagged."""
    answers, tags = table(Answer), table(AnswerTheme)
    wanted = sorted({int(a) for a in answer_ids})
    if not wanted:
        return 0
    with db.transaction() as conn:
        if theme_id not in _own_themes(conn, consultation_id, [theme_id]):
            raise ThemeProblem("That theme is not in this check-in.")
        before = _tagged(conn, theme_id, wanted)
        chosen = select(answers.c.id, literal(theme_id)).where(
            answers.c.consultation_id == consultation_id, answers.c.id.in_(wanted)
        )
        conn.execute(
            insert_ignoring(tags, db.dialect).from_select(["answer_id", "theme_id"], chosen)
        )
        return _tagged(conn, theme_id, wanted) - before


def untag_answers(
    db: Database, consultation_id: int, theme_id: int, answer_ids: Sequence[int]
) -> int:
    """Take the theme off these answers; how many lost it."""
    tags = table(AnswerTheme)
    wanted = sorted({int(a) for a in answer_ids})
    if not wanted:
        return 0
    with db.transaction() as conn:
        if theme_id not in _own_themes(conn, consultation_id, [theme_id]):
            return 0
        done = conn.execute(
            delete(tags).where(tags.c.theme_id == theme_id, tags.c.answer_id.in_(wanted))
        )
        return int(done.rowcount)


def list_themes(conn: Connection, consultation_id: int) -> list[ThemeRow]:
    """A check-in's themes by name, each with its answers and (safe to show) people."""
    themes, tags, answers = table(Theme), table(AnswerTheme), table(Answer)
    query = (
        select(
            themes.c.id,
            themes.c.name,
            themes.c.created_at,
            func.count(answers.c.id),
            func.count(answers.c.participant_id.distinct()),
        )
        .select_from(themes)
        .outerjoin(tags, tags.c.theme_id == themes.c.id)
        .outerjoin(answers, answers.c.id == tags.c.answer_id)
        .where(themes.c.consultation_id == consultation_id)
        .group_by(themes.c.id, themes.c.name, themes.c.created_at)
        .order_by(themes.c.name_key)
    )
    return [
        ThemeRow(id, name, int(n_answers), count(int(n_people)), created)
        for id, name, created, n_answers, n_people in conn.execute(query)
    ]


def themes_of_answers(conn: Connection, answer_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each answer's theme names (by name), for answers that have any."""
    if not answer_ids:
        return {}
    themes, tags = table(Theme), table(AnswerTheme)
    query = (
        select(tags.c.answer_id, themes.c.name)
        .join(themes, themes.c.id == tags.c.theme_id)
        .where(tags.c.answer_id.in_(list(answer_ids)))
        .order_by(themes.c.name_key)
    )
    found: dict[int, list[str]] = {}
    for answer_id, name in conn.execute(query):
        found.setdefault(answer_id, []).append(name)
    return found


def has_themes(conn: Connection, consultation_id: int) -> bool:
    """Whether a check-in has any theme (an export without themes skips looking)."""
    themes = table(Theme)
    found = conn.scalar(select(themes.c.id).where(themes.c.consultation_id == consultation_id))
    return found is not None


def theme_by_name(conn: Connection, consultation_id: int, name: str) -> int | None:
    """A theme's id from its name (any case), or None."""
    themes = table(Theme)
    try:
        key = name_key(name)
    except ThemeProblem:
        return None
    return conn.scalar(
        select(themes.c.id).where(
            and_(themes.c.consultation_id == consultation_id, themes.c.name_key == key)
        )
    )


def _own_themes(conn: Connection, consultation_id: int, ids: Sequence[int]) -> set[int]:
    themes = table(Theme)
    return set(
        conn.scalars(
            select(themes.c.id).where(
                themes.c.consultation_id == consultation_id, themes.c.id.in_(list(ids))
            )
        )
    )


def _tagged(conn: Connection, theme_id: int, answer_ids: Sequence[int]) -> int:
    tags = table(AnswerTheme)
    return int(
        conn.scalar(
            select(func.count())
            .select_from(tags)
            .where(tags.c.theme_id == theme_id, tags.c.answer_id.in_(list(answer_ids)))
        )
        or 0
    )


TYPED_KINDS = ("top", "pants", "better", "text")  # answers in the young person's own words
PER_PAGE = 50  # answers a page on the themes page


@dataclass(frozen=True)
class AnswerFilter:
    """Which of a check-in's answers to list: "" or None means any."""

    kind: str = "typed"  # "typed" (own words), a kind such as "pants", or "" for every answer
    topic: str = ""
    theme_id: int | None = None
    untagged: bool = False  # only answers with no theme yet
    conversation_id: int | None = None
    words: str = ""


@dataclass(frozen=True)
class AnswerRow:
    """One answer as the themes page lists it (its text not masked yet)."""

    id: int
    conversation_id: int
    pseudonym: str
    kind: str
    topic: str
    question: str
    answer: str
    answered_at: datetime
    themes: tuple[str, ...]


def list_answers(
    conn: Connection, consultation_id: int, filters: AnswerFilter, page: int = 1
) -> tuple[list[AnswerRow], int]:
    """A page of a check-in's answers, newest first, with their themes; and how many match."""
    answers, tags = table(Answer), table(AnswerTheme)
    where = [answers.c.consultation_id == consultation_id]
    if filters.kind == "typed":
        where.append(answers.c.kind.in_(TYPED_KINDS))
    elif filters.kind:
        where.append(answers.c.kind == filters.kind)
    if filters.topic:
        where.append(answers.c.topic == filters.topic)
    if filters.conversation_id is not None:
        where.append(answers.c.conversation_id == filters.conversation_id)
    if filters.words:
        escaped = filters.words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(answers.c.answer.ilike(f"%{escaped}%", escape="\\"))
    if filters.theme_id is not None:
        where.append(
            answers.c.id.in_(select(tags.c.answer_id).where(tags.c.theme_id == filters.theme_id))
        )
    if filters.untagged:
        where.append(~answers.c.id.in_(select(tags.c.answer_id)))
    total = int(conn.scalar(select(func.count()).select_from(answers).where(*where)) or 0)
    participants = table(Participant)
    query = (
        select(
            answers.c.id,
            answers.c.conversation_id,
            participants.c.pseudonym,
            answers.c.kind,
            answers.c.topic,
            answers.c.question,
            answers.c.answer,
            answers.c.answered_at,
        )
        .join(participants, participants.c.id == answers.c.participant_id)
        .where(*where)
        .order_by(answers.c.id.desc())
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    )
    rows = conn.execute(query).all()
    names = themes_of_answers(conn, [row.id for row in rows])
    return [AnswerRow(*row, themes=tuple(names.get(row.id, ()))) for row in rows], total


def theme_name(conn: Connection, consultation_id: int, theme_id: int) -> str | None:
    """A theme's name if it is this check-in's, else None."""
    themes = table(Theme)
    return conn.scalar(
        select(themes.c.name).where(
            themes.c.id == theme_id, themes.c.consultation_id == consultation_id
        )
    )
