"""Exports as Excel workbooks (xlsx), streamed: the zip is written as the rows come.

An xlsx file is a zip of XML parts. openpyxl (even write-only) gathers a sheet in a
temporary file and zips it at the end, so nothing could be sent before the last row. Here
only the rows are ours: each sheet's XML is written straight into the zip, a chunk at a
time (zip's data descriptors need no going back), and every other part (workbook, styles,
the sheet's frozen header and column widths) is taken from an empty workbook openpyxl
writes. Every cell is an inline string, so words that start with "=" are never a formula.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

EXCEL_ROWS = 1_048_576  # the rows a worksheet holds, its header included
# A sheet's XML stays under zip's 4 GiB limit for an entry without ZIP64 (which old Excel
# reads badly); a sheet that would pass it goes on in the next sheet.
SHEET_BYTES = 2**32 - 2**26
CHUNK = 64 * 1024
WIDTHS = {
    "consultation": 14,
    "participant": 16,
    "channel": 10,
    "question_id": 16,
    "question": 40,
    "answer": 40,
    "answer_key": 14,
    "kind": 9,
    "topic": 18,
    "answered_at": 22,
}
_SHEET_PART = re.compile(r"xl/worksheets/sheet\d+\.xml")
_EMPTY_DATA = re.compile(rb"<sheetData\s*/>|<sheetData></sheetData>")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_NEEDS_WORK = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 cannot hold these


class _Chunks:
    """A write-only file that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        """Keep these bytes."""
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the bytes wait for take()."""

    def close(self) -> None:
        """Nothing to do: the bytes wait for take()."""

    def take(self) -> bytes:
        """Everything written since the last take."""
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _workbook_parts(titles: Sequence[str], widths: tuple[float, ...]) -> list[tuple[str, bytes]]:
    """The parts of an empty workbook with these sheets, as openpyxl writes it: each sheet's
    header row frozen and its columns this wide."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "Voicebox"
    for title in titles:
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    with ZipFile(buffer) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


@lru_cache(maxsize=8)
def _sheet_around(widths: tuple[float, ...]) -> tuple[bytes, bytes]:
    """A sheet's XML before its rows and after them."""
    parts = dict(_workbook_parts(["Answers"], widths))
    head, tail = _EMPTY_DATA.split(parts["xl/worksheets/sheet1.xml"])
    return head + b"<sheetData>", b"</sheetData>" + tail


def _titles(title: str, sheets: int) -> list[str]:
    """Sheet names: the title, then "title (2)" and on (at most 31 characters each), less
    what a sheet name or XML cannot hold."""
    title = _NOT_XML.sub("", title.encode("utf-8", "replace").decode("utf-8"))
    base = _BAD_TITLE.sub("", title).strip() or "Answers"
    return [base[:31]] + [f"{base[:25]} ({number})" for number in range(2, sheets + 1)]


def _text(value: str) -> str:
    """A cell's words as XML text."""
    if _NEEDS_WORK.search(value):
        value = _NOT_XML.sub("", value)
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        value = value.replace("\r", "&#13;")
    return value


def _row(number: int, values: Iterable[Any], letters: Sequence[str]) -> str:
    """One row of inline-string cells (an empty value is no cell, as openpyxl reads it)."""
    cells = []
    for letter, value in zip(letters, values, strict=True):
        if value is None or value == "":
            continue
        words = value if isinstance(value, str) else str(value)
        space = ' xml:space="preserve"' if words != words.strip() else ""
        text = _text(words)
        cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def xlsx_chunks(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    title: str = "Answers",
    rows_per_sheet: int = EXCEL_ROWS - 1,
) -> Iterator[bytes]:
    """An xlsx workbook of these rows under a header of `columns`, a chunk at a time: the
    zip's first bytes at once, before any row is read. Rows past a sheet's
    `rows_per_sheet` go on in the next sheet, under the header again."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(index) for index in range(1, len(columns) + 1)]
    widths = tuple(float(WIDTHS.get(name, 14)) for name in columns)
    head, tail = _sheet_around(widths)
    header = _row(1, columns, letters)
    out = _Chunks()
    archive = ZipFile(out, "w", compression=ZIP_DEFLATED)  # `out` cannot seek: zipfile copes
    sheets = 0
    sheet = None

    def next_sheet() -> Any:
        """Close the sheet being written and start the next, with its header."""
        nonlocal sheets
        if sheet is not None:
            sheet.write(tail)
            sheet.close()
        sheets += 1
        info = ZipInfo(f"xl/worksheets/sheet{sheets}.xml", date_time=time.localtime()[:6])
        info.compress_type = ZIP_DEFLATED
        started = archive.open(info, "w")
        started.write(head + header.encode())
        return started

    try:
        sheet = next_sheet()
        yield out.take()
        line = 1  # rows in this sheet, the header included
        written = 0  # bytes of XML in this sheet
        batch: list[str] = []
        size = 0
        for row in rows:
            if line > rows_per_sheet or written + size > SHEET_BYTES:
                sheet.write("".join(batch).encode("utf-8", "replace"))
                batch.clear()
                sheet = next_sheet()
                line, written, size = 1, 0, 0
            line += 1
            xml = _row(line, (row[name] for name in columns), letters)
            batch.append(xml)
            size += len(xml)
            if size >= CHUNK:
                data = "".join(batch).encode("utf-8", "replace")
                batch.clear()
                written += len(data)
                size = 0
                sheet.write(data)
                chunk = out.take()
                if chunk:
                    yield chunk
        sheet.write("".join(batch).encode("utf-8", "replace") + tail)
        sheet.close()
        sheet = None
        for name, data in _workbook_parts(_titles(title, sheets), widths):
            if not _SHEET_PART.fullmatch(name):
                archive.writestr(name, data)
        archive.close()
        yield out.take()
    finally:
        if sheet is not None:  # stopped part-way (say, the download was cancelled)
            sheet.close()
        archive.close()
