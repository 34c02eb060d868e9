"""A check-in's share kit: its link, a QR code (segno, drawn here: no other site is asked),
how to join on each channel, and a printable easy-read poster."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import cast

import segno
from flask import current_app, request

QR_SCALE = {"svg": 10, "png": 12}  # module size: big enough to print and to scan from afar


def _root(public_url: str | None) -> str:
    """VOICEBOX_PUBLIC_URL, else this request's own host, with no trailing slash."""
    return (public_url or request.host_url).rstrip("/")


def join_link(code: str, public_url: str | None) -> str:
    """The address young people open."""
    return f"{_root(public_url)}/c/{code}"


def report_link(code: str, public_url: str | None) -> str:
    """The address of a check-in's public "You said, we did" page."""
    return f"{_root(public_url)}/you-said-we-did/{code}"


def _qr(link: str) -> segno.QRCode:
    """The link as a full QR code (not micro), medium error correction: phones read it."""
    return segno.make(link, error="m", micro=False)


def qr_code(link: str, kind: str) -> bytes:
    """The link as a QR code file, SVG or PNG, dark on light with the quiet zone scanners
    need, sized to print (about 37 cm wide at 96 dots an inch: scale it down freely)."""
    code = _qr(link)
    out = io.BytesIO()
    if kind == "svg":
        code.save(
            out,
            kind="svg",
            scale=QR_SCALE["svg"],
            border=4,
            xmldecl=False,
            svgclass=None,
            lineclass=None,
            title=f"QR code for {link}",
        )
    else:
        code.save(out, kind="png", scale=QR_SCALE["png"], border=4)
    return out.getvalue()


def qr_in_page(link: str) -> str:
    """The QR code as SVG for a page: no fixed size (a viewBox), so the page's style sheet
    sizes it; the surrounding element carries its text alternative."""
    code = segno.make(link, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out, kind="svg", border=4, xmldecl=False, svgclass=None, lineclass=None, omitsize=True
    )
    return out.getvalue().decode()


def invitations(code: str) -> list[str]:
    """How to join on each channel that can say ("Text DEMO to +44...")."""
    found = current_app.extensions.get("voicebox_invitations")
    if found is None:
        return []
    return cast(Callable[[str], list[str]], found)(code)
