"""Exports: one row per answer, as CSV, Excel (xlsx) or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

from sqlalchemy import select

from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, Participant

COLUMNS = (
    "consultation",
    "participant",
    "channel",
    "question_id",
    "question",
    "answer",
    "answer_key",
    "kind",
    "topic",
    "answered_at",
)
FORMATS = ("csv", "xlsx", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(db: Database, code: str) -> Iterator[dict[str, Any]]:
    """Every answer of a consultation, oldest first, as export rows (pseudonyms only)."""
    query = (
        select(
            Consultation.code,
            Participant.pseudonym,
            Answer.channel,
            Answer.question_id,
            Answer.question,
            Answer.answer,
            Answer.answer_key,
            Answer.kind,
            Answer.topic,
            Answer.answered_at,
        )
        .join(Consultation, Consultation.id == Answer.consultation_id)
        .join(Participant, Participant.id == Answer.participant_id)
        .where(Consultation.code == code.strip().upper())
        .order_by(Answer.answered_at, Answer.conversation_id, Answer.seq)
    )
    with db.reading() as conn:
        for row in conn.execute(query):
            values = dict(zip(COLUMNS, row, strict=True))
            values["answered_at"] = values["answered_at"].isoformat(timespec="seconds")
            yield values


def _safe_cell(value: Any) -> Any:
    """Stop spreadsheet programs reading a young person's words as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    """Write rows as CSV with a header; return how many rows."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
        count += 1
    return count


def write_json(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    """Write rows as a JSON array of objects with the export keys; return how many rows."""
    items = list(rows)
    json.dump(items, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(items)


def write_xlsx(rows: Iterator[dict[str, Any]], out: BinaryIO, title: str = "Answers") -> int:
    """Write rows as an Excel workbook (strings always stored as text); return how many rows."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    workbook = Workbook(write_only=False)
    sheet = workbook.worksheets[0]
    sheet.title = title[:31] or "Answers"
    sheet.append(list(COLUMNS))
    count = 0
    for row in rows:
        count += 1
        for column, key in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=count + 1, column=column)
            cell.value = row[key]
            if isinstance(row[key], str):
                cell.data_type = TYPE_STRING  # never a formula, whatever it starts with
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (14, 16, 10, 16, 40, 40, 14, 9, 18, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    out.write(buffer.getvalue())
    return count
