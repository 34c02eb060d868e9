"""The participation workers' area under /workers: sign-in, pages and error pages.

It sits beside the channels: it reads storage, and neither it nor a channel imports the
other. Flags, consultations, transcripts and the admins' pages are here (see ARCHITECTURE.md)."""

from __future__ import annotations

from flask import Flask

from voicebox.workers import (  # noqa: F401 - they add pages
    admin_pages,
    audit_pages,
    auth,
    checkin_edit_pages,
    checkin_pages,
    erase_pages,
    export_pages,
    flag_pages,
    report_pages,
    result_pages,
    theme_pages,
)
from voicebox.workers.errors import error_page
from voicebox.workers.views import URL_PREFIX, blueprint

__all__ = ["URL_PREFIX", "blueprint", "error_page", "set_up"]


def set_up(app: Flask) -> None:
    """Sign-in and CSRF for the app; the area's pages are `blueprint`."""
    auth.set_up(app)
