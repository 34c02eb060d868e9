"""Exports: one row per answer, as CSV, Excel (xlsx) or JSON, streamed a chunk at a time.

The command line and the workers' area both write `export_chunks(...)`, so they give the
same bytes. Nothing here holds more than one batch of rows: the rows come from the
database in batches (a server-side cursor on PostgreSQL), and each format is written as
it goes (xlsx: `export_xlsx.py`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import func, select

from voicebox.storage.database import Database
from voicebox.storage.export_xlsx import xlsx_chunks
from voicebox.storage.masking import mask
from voicebox.storage.models import Answer, AnswerTheme, Consultation, Participant
from voicebox.storage.themes import has_themes, themes_of_answers

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
    "themes",  # after the contract's columns: the answer's themes, "; " between them
)
FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
BATCH = 1000  # rows fetched from the database at a time
CHUNK = 64 * 1024  # about how many bytes each chunk holds
_FORMULA_START = frozenset("=+-@\t\r")  # a cell's first character that could start a formula


def count_answers(db: Database, code: str, theme_id: int | None = None) -> int:
    """How many answers an export of this consultation holds (to show progress)."""
    query = (
        select(func.count(Answer.id))
        .join(Consultation, Consultation.id == Answer.consultation_id)
        .where(Consultation.code == code.strip().upper())
    )
    if theme_id is not None:
        query = query.join(*_tagged_with(theme_id))
    with db.reading() as conn:
        return int(conn.execute(query).scalar_one())


def _tagged_with(theme_id: int) -> tuple[Any, Any]:
    """The join that keeps only answers tagged with this theme."""
    return AnswerTheme, (AnswerTheme.answer_id == Answer.id) & (AnswerTheme.theme_id == theme_id)


def export_rows(
    db: Database, code: str, *, reveal: bool = False, theme_id: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every answer of a consultation, oldest first, as export rows (pseudonyms only);
    with `theme_id`, only the answers tagged with that theme.

    Phone numbers, emails, postcodes and long numbers in free text are masked unless
    `reveal` (only for an admin, and recorded: see storage/reveals.py)."""
    query = (
        select(
            Answer.id,
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
    if theme_id is not None:
        query = query.join(*_tagged_with(theme_id))
    with db.reading() as conn:
        found = conn.scalar(
            select(Consultation.id).where(Consultation.code == code.strip().upper())
        )
        themed = found is not None and has_themes(conn, found)  # else no look for each batch
        # yield_per: rows come in batches (PostgreSQL: a server-side cursor), never all at once.
        result = conn.execute(query.execution_options(yield_per=BATCH))
        for batch in result.partitions():
            names = themes_of_answers(conn, [row.id for row in batch]) if themed else {}
            for row in batch:
                (answer_id, consultation, pseudonym, channel, question_id, question, answer,
                 answer_key, kind, topic, answered_at) = row  # fmt: skip
                if not reveal:  # what was typed: an answer, a topic, a question saying it back
                    question, answer, topic = mask(question), mask(answer), mask(topic)
                yield {
                    "consultation": consultation,
                    "participant": pseudonym,
                    "channel": channel,
                    "question_id": question_id,
                    "question": question,
                    "answer": answer,
                    "answer_key": answer_key,
                    "kind": kind,
                    "topic": topic,
                    "answered_at": answered_at.isoformat(timespec="seconds"),
                    "themes": "; ".join(names.get(answer_id, ())),
                }


def _safe_cell(value: Any) -> Any:
    """Stop spreadsheet programs reading a young person's words as a formula."""
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "replace")


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """CSV with a header (the header at once, then the rows in chunks)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield _encode(buffer.getvalue())
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([_safe_cell(row[key]) for key in COLUMNS])
        if buffer.tell() >= CHUNK:
            yield _encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield _encode(buffer.getvalue())


def _json_value(value: Any) -> str:
    """A value as `json.dump(..., ensure_ascii=False)` writes it."""
    if isinstance(value, str):
        return encode_basestring(value)
    return json.dumps(value, ensure_ascii=False)


# What json.dump(rows, indent=2) writes before each value of an object in the array.
_JSON_KEYS = tuple(
    ("\n    " if index == 0 else ",\n    ") + encode_basestring(key) + ": "
    for index, key in enumerate(COLUMNS)
)


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A JSON array of objects with the export keys, byte for byte what
    `json.dump(list(rows), out, ensure_ascii=False, indent=2)` and a newline would write."""
    yield b"["
    parts: list[str] = []
    size = 0
    separator = "\n  {"
    for row in rows:
        item = separator + "".join(
            prefix + _json_value(row[key]) for prefix, key in zip(_JSON_KEYS, COLUMNS, strict=True)
        )
        parts.append(item + "\n  }")
        separator = ",\n  {"
        size += len(item)
        if size >= CHUNK:
            yield _encode("".join(parts))
            parts.clear()
            size = 0
    parts.append("\n]\n" if separator != "\n  {" else "]\n")
    yield _encode("".join(parts))


def export_chunks(
    fmt: str, rows: Iterable[dict[str, Any]], title: str = "Answers"
) -> Iterator[bytes]:
    """The export in this format, a chunk of bytes at a time (the first one at once)."""
    if fmt == "csv":
        return csv_chunks(rows)
    if fmt == "json":
        return json_chunks(rows)
    if fmt == "xlsx":
        return xlsx_chunks(rows, COLUMNS, title=title)
    raise ValueError(f"no export format {fmt!r} (formats: {', '.join(FORMATS)})")


def export_filename(code: str, fmt: str, *, reveal: bool = False) -> str:
    """The name a downloaded export is saved under."""
    extra = "-nothing-hidden" if reveal else ""
    return f"voicebox-{code.strip().upper()}-answers{extra}.{fmt}"
