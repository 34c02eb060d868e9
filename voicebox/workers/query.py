"""Numbers read from a page's address (`?page=3`), where anyone can type anything."""

from __future__ import annotations

from flask import request

LAST_PAGE = 99_999  # past any list's end; a bigger number is page 1
MAX_ID = 2**63 - 1  # the largest id a database column holds (BIGINT, SQLite INTEGER)


def _number(text: str, largest: int) -> int | None:
    # Length first: int() of over 4,300 digits raises, and no id is that long.
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(largest)):
        return None
    number = int(text)
    return number if 0 < number <= largest else None


def page_asked() -> int:
    """The page number in the address: a whole number from 1, or page 1."""
    return _number(request.args.get("page", ""), LAST_PAGE) or 1


def id_asked(name: str) -> int | None:
    """A row's id given in the address under `name`, or None when it cannot be one."""
    return _number(request.args.get(name, ""), MAX_ID)
