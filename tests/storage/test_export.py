"""Exports: each format written a chunk at a time, the same bytes as before streaming, words
kept as text, free text masked, and memory that does not grow with the rows."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from tests.export_data import add_answers
from voicebox.storage.consultations import create_consultation
from voicebox.storage.export import (
    COLUMNS,
    FORMATS,
    count_answers,
    csv_chunks,
    export_chunks,
    export_filename,
    export_rows,
    json_chunks,
)
from voicebox.storage.export_xlsx import xlsx_chunks

words = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
rows_of_words = st.lists(
    st.lists(words, min_size=len(COLUMNS), max_size=len(COLUMNS)).map(
        lambda values: dict(zip(COLUMNS, values, strict=True))
    ),
    max_size=5,
)


def _row(number: int, answer: str = "Quiet space at lunch") -> dict[str, str]:
    values = {key: f"{key} {number}" for key in COLUMNS}
    values["answer"] = answer
    return values


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


@settings(max_examples=60, deadline=None)
@given(rows_of_words)
def test_json_is_byte_for_byte_what_json_dump_wrote(rows):
    """The streamed JSON is exactly json.dump(rows, ensure_ascii=False, indent=2) + newline."""
    before = io.StringIO()
    json.dump(rows, before, ensure_ascii=False, indent=2)
    before.write("\n")
    assert b"".join(json_chunks(iter(rows))) == before.getvalue().encode("utf-8")


@settings(max_examples=60, deadline=None)
@given(rows_of_words)
def test_csv_is_byte_for_byte_what_the_dict_writer_wrote(rows):
    """The streamed CSV is what csv.DictWriter wrote before, formula guard included."""
    before = io.StringIO()
    writer = csv.DictWriter(before, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        guarded = {
            k: "'" + v if v.startswith(("=", "+", "-", "@", "\t", "\r")) else v
            for k, v in row.items()
        }
        writer.writerow(guarded)
    assert b"".join(csv_chunks(iter(rows))) == before.getvalue().encode("utf-8")


def test_xlsx_keeps_every_word_as_text():
    """Formulas, markup, spaces, line breaks and emoji come back as the same text, never as a
    formula; characters XML cannot hold are left out; the header row is frozen."""
    answers = [
        '=HYPERLINK("http://x")',
        "@SUM(A1)",
        "<b>bold</b> & more",
        "  two spaces around  ",
        "line one\nline two",
        "😀 grand",
        "bell\x07 and form feed\x0c",
    ]
    data = b"".join(xlsx_chunks([_row(n, a) for n, a in enumerate(answers)], COLUMNS, "DEMO"))
    workbook = _workbook(data)
    assert workbook.sheetnames == ["DEMO"]
    sheet = workbook["DEMO"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == 40
    values = list(sheet.values)
    assert values[0] == COLUMNS
    assert [row[5] for row in values[1:]] == answers[:-1] + ["bell and form feed"]
    assert values[1][0] == "consultation 0"
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type == "s" for cell in cells)


def test_xlsx_with_no_answers_is_the_header_alone():
    """An empty check-in still gives a workbook with its header."""
    workbook = _workbook(b"".join(xlsx_chunks([], COLUMNS, "EMPTY")))
    assert list(workbook.active.values) == [COLUMNS]


def test_xlsx_goes_on_in_another_sheet_when_one_is_full():
    """More rows than a sheet holds: the next sheet goes on, under the header again."""
    data = b"".join(xlsx_chunks([_row(n) for n in range(5)], COLUMNS, "BIG", rows_per_sheet=2))
    workbook = _workbook(data)
    assert workbook.sheetnames == ["BIG", "BIG (2)", "BIG (3)"]
    firsts = [[row[0] for row in sheet.values] for sheet in workbook]
    assert firsts == [
        ["consultation", "consultation 0", "consultation 1"],
        ["consultation", "consultation 2", "consultation 3"],
        ["consultation", "consultation 4"],
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_first_chunk_comes_before_any_row_is_read(fmt):
    """Each format has bytes to send before the first row is asked for (a download starts
    at once), and reads the rows one at a time after that."""
    taken = []

    def rows() -> Iterator[dict[str, str]]:
        for number in range(3):
            taken.append(number)
            yield _row(number)

    chunks = export_chunks(fmt, rows(), title="DEMO")
    assert next(chunks)
    assert taken == []
    assert b"".join(chunks)
    assert taken == [0, 1, 2]


@pytest.mark.parametrize("fmt", FORMATS)
def test_memory_stays_flat_however_many_rows(fmt):
    """Writing 20,000 rows holds no more memory than writing 2,000: nothing is gathered."""

    def peak(count: int) -> int:
        rows = (_row(n, f"An answer long enough to matter, number {n}" * 3) for n in range(count))
        tracemalloc.start()
        try:
            for _chunk in export_chunks(fmt, rows, title="DEMO"):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)
    # Gathering 20,000 rows (about 600 bytes each) would hold more than 10 MB.
    assert large < 4_000_000, f"{fmt}: {large:,} bytes at the peak"
    assert large < small * 1.5 + 500_000, f"{fmt}: {small:,} then {large:,} bytes"


def test_export_rows_mask_free_text_unless_revealed(database, flows):
    """Phone numbers, emails, postcodes and long numbers in answers, typed topics and the
    questions that say a topic back are hidden; revealed, they are there as typed."""
    create_consultation(database, "MASK", "tops_and_pants", 2, "Masking")
    add_answers(database, "MASK", 2)
    with database.transaction() as conn:
        conn.execute(
            text(
                "UPDATE answers SET topic = 'jo@example.org', "
                "question = 'What is good about SW1A 1AA?' WHERE question_id = 'good'"
            )
        )
    masked = list(export_rows(database, "mask"))
    shown = list(export_rows(database, "MASK", reveal=True))
    assert len(masked) == len(shown) == 8
    assert [r["answer"] for r in masked if r["question_id"] == "better"] == [
        "Text [phone number]"
    ] * 2
    good = [r for r in masked if r["question_id"] == "good"]
    assert {(r["topic"], r["question"]) for r in good} == {
        ("[email address]", "What is good about [postcode]?")
    }
    flat = json.dumps(masked)
    for secret in ("07700 900123", "jo@example.org", "SW1A 1AA"):
        assert secret not in flat
        assert secret in json.dumps(shown)
    same = [k for k in COLUMNS if k not in ("question", "answer", "topic")]
    assert [[r[k] for k in same] for r in masked] == [[r[k] for k in same] for r in shown]


def test_count_answers_counts_one_check_in(database):
    """The count behind the command line's progress is the export's number of rows."""
    create_consultation(database, "COUNT1", "tops_and_pants", 2, "One")
    create_consultation(database, "COUNT2", "tops_and_pants", 2, "Two")
    add_answers(database, "COUNT1", 3)
    add_answers(database, "COUNT2", 1)
    assert count_answers(database, "count1") == 12 == len(list(export_rows(database, "COUNT1")))
    assert count_answers(database, "NOPE") == 0


@pytest.mark.postgres
def test_postgresql_sends_rows_in_batches_from_a_server_side_cursor(postgres_database):
    """On PostgreSQL the export reads through a cursor on the server, a batch at a time,
    so the client never holds every row."""
    create_consultation(postgres_database, "CURSOR", "tops_and_pants", 2, "Cursor")
    add_answers(postgres_database, "CURSOR", 600)
    rows = export_rows(postgres_database, "CURSOR")
    next(rows)
    watcher = create_engine(postgres_database.url)
    try:
        with watcher.connect() as conn:
            seen = conn.execute(
                text(
                    "SELECT query FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            statements = " ".join(seen)
    finally:
        watcher.dispose()
    assert "FETCH FORWARD" in statements.upper(), statements
    assert len(list(rows)) == 2399


def test_a_download_is_named_for_its_check_in_and_format():
    """voicebox-CODE-answers.csv; with nothing hidden, the name says so."""
    assert export_filename(" demo ", "csv") == "voicebox-DEMO-answers.csv"
    assert (
        export_filename("DEMO", "xlsx", reveal=True) == "voicebox-DEMO-answers-nothing-hidden.xlsx"
    )
