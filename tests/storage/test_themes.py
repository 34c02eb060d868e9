"""Themes on real SQLite and PostgreSQL: make, rename, merge, tag several answers at once,
counts that keep to the fewer-than-5 rule, and the export's themes column and filter."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.export_data import add_answers
from voicebox.storage.consultations import create_consultation, get_consultation
from voicebox.storage.export import COLUMNS, count_answers, export_chunks, export_rows
from voicebox.storage.models import Answer, AnswerTheme
from voicebox.storage.themes import (
    ThemeProblem,
    create_theme,
    delete_theme,
    list_themes,
    merge_themes,
    rename_theme,
    tag_answers,
    theme_by_name,
    untag_answers,
)


def _checkin(database, code: str, people: int) -> int:
    create_consultation(database, code, "tops_and_pants", 2, code.title())
    add_answers(database, code, people)
    found = get_consultation(database, code)
    assert found is not None
    return found.id


def _answers(database, consultation_id: int) -> list[tuple[int, int]]:
    """(answer id, participant id) of a check-in, oldest first."""
    with database.reading() as conn:
        rows = conn.execute(
            select(Answer.id, Answer.participant_id)
            .where(Answer.consultation_id == consultation_id)
            .order_by(Answer.id)
        )
        return [(a, p) for a, p in rows]


def _themes(database, consultation_id: int):
    with database.reading() as conn:
        return {t.name: t for t in list_themes(conn, consultation_id)}


def test_a_theme_has_one_name_a_check_in_in_any_case(database):
    """ "Buses" and " buses " are one theme; another check-in may have its own "Buses"."""
    one = _checkin(database, "THEMEA", 1)
    two = _checkin(database, "THEMEB", 1)
    first = create_theme(database, one, "  Buses   are late ")
    with pytest.raises(ThemeProblem, match="already a theme"):
        create_theme(database, one, "buses are LATE")
    assert create_theme(database, two, "Buses are late") != first
    assert list(_themes(database, one)) == ["Buses are late"]
    with pytest.raises(ThemeProblem, match="name"):
        create_theme(database, one, "   ")
    with pytest.raises(ThemeProblem, match="at most 80"):
        create_theme(database, one, "x" * 81)


def test_tagging_several_answers_at_once_counts_only_this_check_ins(database):
    """Tagging takes a list; answers of another check-in and repeats change nothing."""
    one = _checkin(database, "TAGONE", 3)
    two = _checkin(database, "TAGTWO", 1)
    theme = create_theme(database, one, "Buses")
    mine = [a for a, _ in _answers(database, one)]
    theirs = [a for a, _ in _answers(database, two)]
    assert tag_answers(database, one, theme, mine[:5] + theirs) == 5
    assert tag_answers(database, one, theme, mine[:6]) == 1  # five already had it
    with database.reading() as conn:
        tagged = set(conn.scalars(select(AnswerTheme.answer_id)))
    assert tagged == set(mine[:6])
    assert untag_answers(database, one, theme, mine[:2] + theirs) == 2
    assert _themes(database, one)["Buses"].answers == 4


def test_a_theme_of_another_check_in_cannot_be_used(database):
    """A theme id from another check-in is refused, not quietly used."""
    one = _checkin(database, "OWNONE", 1)
    two = _checkin(database, "OWNTWO", 1)
    theirs = create_theme(database, two, "Theirs")
    mine = [a for a, _ in _answers(database, one)]
    with pytest.raises(ThemeProblem, match="not in this check-in"):
        tag_answers(database, one, theirs, mine)
    assert rename_theme(database, one, theirs, "Mine now") is False
    assert delete_theme(database, one, theirs) is False
    assert untag_answers(database, one, theirs, mine) == 0
    assert list(_themes(database, two)) == ["Theirs"]


def test_people_behind_a_theme_follow_the_fewer_than_5_rule(database):
    """4 people show as "fewer than 5"; 5 people as 5, however many answers they gave."""
    consultation = _checkin(database, "FEWER", 6)
    theme = create_theme(database, consultation, "School")
    rows = _answers(database, consultation)
    people = sorted({p for _, p in rows})
    of = {p: [a for a, q in rows if q == p] for p in people}
    tag_answers(database, consultation, theme, [a for p in people[:4] for a in of[p]])
    shown = _themes(database, consultation)["School"]
    assert shown.answers == 16 and str(shown.people) == "fewer than 5" and shown.people.hidden
    tag_answers(database, consultation, theme, of[people[4]][:1])
    shown = _themes(database, consultation)["School"]
    assert shown.answers == 17 and str(shown.people) == "5"


def test_rename_keeps_tags_and_refuses_a_taken_name(database):
    consultation = _checkin(database, "RENAME", 1)
    buses = create_theme(database, consultation, "Buses")
    create_theme(database, consultation, "Trains")
    tag_answers(database, consultation, buses, [a for a, _ in _answers(database, consultation)])
    assert rename_theme(database, consultation, buses, "Getting about") is True
    with pytest.raises(ThemeProblem, match="already a theme"):
        rename_theme(database, consultation, buses, "TRAINS")
    themes = _themes(database, consultation)
    assert sorted(themes) == ["Getting about", "Trains"]
    assert themes["Getting about"].answers == 4


def test_merge_moves_every_answer_once_and_removes_the_others(database):
    """An answer in both themes ends with one tag; the merged themes are gone."""
    consultation = _checkin(database, "MERGE", 2)
    answers = [a for a, _ in _answers(database, consultation)]
    buses = create_theme(database, consultation, "Buses")
    trains = create_theme(database, consultation, "Trains")
    lifts = create_theme(database, consultation, "Lifts")
    tag_answers(database, consultation, buses, answers[:3])
    tag_answers(database, consultation, trains, answers[2:6])
    tag_answers(database, consultation, lifts, answers[7:])
    assert merge_themes(database, consultation, [trains, lifts, buses], into=buses) == 2
    themes = _themes(database, consultation)
    assert list(themes) == ["Buses"] and themes["Buses"].answers == 7
    with pytest.raises(ThemeProblem, match="at least one other"):
        merge_themes(database, consultation, [buses], into=buses)


def test_deleting_a_theme_keeps_its_answers(database):
    consultation = _checkin(database, "DELETE", 1)
    theme = create_theme(database, consultation, "Gone soon")
    tag_answers(database, consultation, theme, [a for a, _ in _answers(database, consultation)])
    assert delete_theme(database, consultation, theme) is True
    assert _themes(database, consultation) == {}
    assert len(_answers(database, consultation)) == 4


def test_the_export_shows_each_answers_themes_and_can_keep_to_one(database):
    """A `themes` column after the contract's columns; a theme's export has only its rows."""
    consultation = _checkin(database, "EXPORTTHEME", 2)
    answers = [a for a, _ in _answers(database, consultation)]
    buses = create_theme(database, consultation, "Buses")
    noise = create_theme(database, consultation, "Noise")
    tag_answers(database, consultation, buses, answers[:2])
    tag_answers(database, consultation, noise, answers[1:3])
    assert COLUMNS[-1] == "themes" and COLUMNS.index("themes") > COLUMNS.index("answered_at")
    rows = list(export_rows(database, "EXPORTTHEME"))
    assert [r["themes"] for r in rows[:4]] == ["Buses", "Buses; Noise", "Noise", ""]
    only = list(export_rows(database, "EXPORTTHEME", theme_id=buses))
    assert len(only) == 2 == count_answers(database, "EXPORTTHEME", theme_id=buses)
    text = b"".join(export_chunks("csv", iter(only))).decode()
    header, first, second = list(csv.reader(io.StringIO(text)))
    assert header[-1] == "themes" and (first[-1], second[-1]) == ("Buses", "Buses; Noise")
    with database.reading() as conn:
        assert theme_by_name(conn, consultation, "  buses ") == buses
        assert theme_by_name(conn, consultation, "Trains") is None
