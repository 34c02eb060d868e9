"""Exports never break: whatever a person types (any Unicode at all) gives a CSV, JSON and
xlsx file that parse back to the same rows, with only the documented replacements:
a lone surrogate becomes "?" in every format, and xlsx leaves out what XML 1.0 cannot
hold (control characters other than tab, line feed and CR; U+FFFE and U+FFFF)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import update

from tests.export_data import add_answers
from voicebox.storage.consultations import create_consultation
from voicebox.storage.export import COLUMNS, export_chunks, export_rows
from voicebox.storage.models import Answer, table

TYPED = ("question", "answer", "topic")
# Characters most likely to break a format, mixed in with the whole of Unicode.
AWKWARD = list(" \t\n\r\x00\x01\x0b\x0c\x1f\x7f\x85\xa0\u2028\ufeff\ufffe\uffff&<>\"'=+-@,;")
any_char = st.one_of(st.characters(max_codepoint=0x10FFFF), st.sampled_from(AWKWARD))
any_text = st.text(any_char, max_size=24)  # surrogates included: a Python str can hold them
storable_text = st.text(  # what a database can hold: no lone surrogates
    st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(AWKWARD)), max_size=24
)
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _no_surrogates(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8")


def expected_csv(value: str) -> str:
    """A cell as the CSV holds it: a formula guard first, a lone surrogate as "?"."""
    return _no_surrogates("'" + value if value.startswith(FORMULA_START) else value)


def expected_xlsx(value: str) -> str:
    """A cell as the xlsx holds it: what XML cannot hold left out, a lone surrogate as "?"."""
    return NOT_XML.sub("", _no_surrogates(value))


def _row(question: str, answer: str, topic: str) -> dict[str, Any]:
    return {
        "consultation": "DEMO",
        "participant": "Otter-1234",
        "channel": "sms",
        "question_id": "good",
        "question": question,
        "answer": answer,
        "answer_key": "",
        "kind": "top",
        "topic": topic,
        "answered_at": "2026-11-01T09:00:00+00:00",
        "themes": topic,  # workers' words, any Unicode as well
    }


def check_every_format(rows: list[dict[str, Any]]) -> None:
    """Each format's bytes parse back to these rows (with the documented replacements)."""
    as_csv = b"".join(export_chunks("csv", iter(rows))).decode("utf-8")
    read = list(csv.reader(io.StringIO(as_csv, newline="")))
    assert read[0] == list(COLUMNS)
    assert read[1:] == [[expected_csv(row[key]) for key in COLUMNS] for row in rows]

    as_json = json.loads(b"".join(export_chunks("json", iter(rows))))
    assert as_json == [{key: _no_surrogates(row[key]) for key in COLUMNS} for row in rows]

    book = load_workbook(io.BytesIO(b"".join(export_chunks("xlsx", iter(rows), title="DEMO"))))
    values = list(book["DEMO"].values)
    assert values[0] == COLUMNS
    assert [[cell or "" for cell in line] for line in values[1:]] == [
        [expected_xlsx(row[key]) for key in COLUMNS] for row in rows
    ]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.builds(_row, any_text, any_text, any_text), max_size=3))
def test_any_unicode_gives_files_that_parse_back_to_the_same_rows(rows):
    """Question, answer and topic drawn from all of Unicode, lone surrogates too."""
    check_every_format(rows)


@settings(max_examples=30, deadline=None)
@given(any_text)
def test_any_sheet_title_gives_a_workbook_that_opens(title):
    """The sheet's name (a check-in's code) loses what XML or a sheet name cannot hold."""
    data = b"".join(export_chunks("xlsx", iter([_row("q", "a", "t")]), title=title))
    (name,) = load_workbook(io.BytesIO(data)).sheetnames
    assert name and len(name) <= 31


def test_characters_xml_cannot_hold_are_left_out_of_xlsx_only():
    """U+FFFE, U+FFFF, control characters and a lone surrogate: every file still opens."""
    rows = [_row("What is good?\ufffe", "My own room\ufffe", "home\uffff")]
    rows.append(_row("Bell\x07", "\x00nul \x1b escape \ud800 half", "\x0b\x0c"))
    check_every_format(rows)
    book = load_workbook(io.BytesIO(b"".join(export_chunks("xlsx", iter(rows), title="DEMO"))))
    assert [line[4:6] for line in book["DEMO"].values][1:] == [
        ("What is good?", "My own room"),
        ("Bell", "nul  escape ? half"),
    ]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(storable_text, storable_text, storable_text)
def test_what_the_database_holds_exports_whole(sqlite_database, question, answer, topic):
    """Words stored in a real database come out of export_rows and every format whole
    (revealed: exactly as stored; masked: still a file that parses)."""
    if not hasattr(sqlite_database, "_unicode_ready"):
        create_consultation(sqlite_database, "UNI", "tops_and_pants", 2, "Unicode")
        add_answers(sqlite_database, "UNI", 1)
        sqlite_database._unicode_ready = True
    with sqlite_database.transaction() as conn:
        conn.execute(
            update(table(Answer))
            .where(table(Answer).c.question_id == "good")
            .values(question=question, answer=answer, topic=topic)
        )
    shown = list(export_rows(sqlite_database, "UNI", reveal=True))
    good = next(row for row in shown if row["question_id"] == "good")
    assert (good["question"], good["answer"], good["topic"]) == (question, answer, topic)
    check_every_format(shown)
    check_every_format(list(export_rows(sqlite_database, "UNI")))
