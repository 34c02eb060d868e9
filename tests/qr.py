"""Reading QR codes as a phone camera would (zbar, through pyzbar and Pillow).

zbar is a system library (`apt-get install libzbar0`): without it these checks skip,
unless VOICEBOX_REQUIRE_ZBAR=1 (as in CI), when they fail."""

from __future__ import annotations

import io
import os

import pytest


def scan(png: bytes) -> list[str]:
    """Every QR code zbar reads in the picture, as text."""
    try:
        from pyzbar.pyzbar import decode
    except ImportError as error:  # pyzbar loads libzbar when imported
        message = f"zbar is not installed (apt-get install libzbar0): {error}"
        if os.environ.get("VOICEBOX_REQUIRE_ZBAR") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from PIL import Image

    return [found.data.decode() for found in decode(Image.open(io.BytesIO(png)))]
