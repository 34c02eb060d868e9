"""How the page looks for one person: text size, colours, pictures. Kept in a cookie."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

COOKIE = "voicebox_look"
COOKIE_DAYS = 365
TEXT_SIZES = ("usual", "big", "bigger")
COLOURS = ("device", "usual", "strong")  # device: follow the device's "more contrast" setting


@dataclass(frozen=True)
class Look:
    """One person's choices; the defaults follow the device."""

    text: str = "usual"
    colours: str = "device"
    pictures: bool = True

    @classmethod
    def from_cookie(cls, value: str | None) -> Look:
        """Read the cookie; anything unknown falls back to the default."""
        if not value or len(value) > 200:
            return cls()
        data = parse_qs(value)
        return cls.from_form({key: values[0] for key, values in data.items() if values})

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Look:
        """Read the settings form (or the cookie's fields); bad values become defaults."""
        text = form.get("text", "usual")
        colours = form.get("colours", "device")
        return cls(
            text=text if text in TEXT_SIZES else "usual",
            colours=colours if colours in COLOURS else "device",
            pictures=form.get("pictures", "on") != "off",
        )

    def to_cookie(self) -> str:
        """The cookie value."""
        return urlencode(
            {
                "text": self.text,
                "colours": self.colours,
                "pictures": "on" if self.pictures else "off",
            }
        )

    @property
    def classes(self) -> str:
        """Classes for the <html> element that the style sheet reads."""
        names = [f"text-{self.text}", f"colours-{self.colours}"]
        if not self.pictures:
            names.append("no-pictures")
        return " ".join(names)
