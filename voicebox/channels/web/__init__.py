"""The web chat channel: a check-in page that works for every young person.

Routes, templates, the style sheet and script, and the picture sets live in this package;
`blueprint` and `enabled` are what the app factory registers."""

from voicebox.channels.web.views import blueprint, enabled

__all__ = ["blueprint", "enabled"]
