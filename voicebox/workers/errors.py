"""The workers' area's error pages, in words for a worker at a council laptop."""

from __future__ import annotations

from flask import Response, make_response, render_template

# What happened, and what to do next.
_ERRORS = {
    400: ("Sorry, we could not use that", "Go back, check what you entered, and try again."),
    403: ("You cannot see this page", "Sign in with an account that can, or ask an admin."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you followed a link, it may be out of date.",
    ),
    405: ("Sorry, that did not work", "Go back to the page you were on and try again."),
    413: ("That was too large to send", "Send less at once, or split it into parts."),
    500: (
        "Sorry, there is a problem with the service",
        "Your last change may not have been saved. Check it, then try again. "
        "If it keeps happening, tell your administrator the time it happened.",
    ),
    503: (
        "Another download is being made",
        "Wait a minute, then try again. Large check-ins take a while to download.",
    ),
}


def error_page(status: int) -> Response:
    """The workers' area's own page for an error status."""
    title, advice = _ERRORS.get(status, _ERRORS[500])
    html = render_template("workers/error.html", title=title, advice=advice, status=status)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response
