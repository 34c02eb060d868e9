"""Driving the workers' area in a real browser (no tests here): what every area test uses."""

from __future__ import annotations

from typing import Any

PASSWORD = "a long enough password"
ZOOMED = {"width": 640, "height": 400}  # a 1280 x 800 screen at 200%


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in at /workers/login with the mouse, and wait for the area's home page."""
    page.goto(f"{base}/workers/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/workers/")
