"""Picture sets: which image file stands for each picture id a flow's choices name."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

BUILTIN_SET = Path(__file__).parent / "pictures" / "openmoji"
SET_FILE = "set.yaml"
MEDIA_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
_PICTURE_ID = re.compile(r"^[a-z0-9_]{1,32}$")


class PictureSetError(ValueError):
    """A picture set folder that cannot be used; the message is one human line."""


@dataclass(frozen=True)
class Picture:
    """One picture: its file and who made it."""

    id: str
    path: Path
    shows: str = ""
    by: str = ""

    @property
    def media_type(self) -> str:
        """The Content-Type to serve the file with."""
        return MEDIA_TYPES[self.path.suffix.lower()]


@dataclass(frozen=True)
class PictureSet:
    """A folder of pictures with its licence and credit, read from its set.yaml."""

    folder: Path
    name: str
    credit: str = ""
    licence: str = ""
    licence_url: str = ""
    source_url: str = ""
    pictures: dict[str, Picture] = field(default_factory=dict)

    def get(self, picture_id: str) -> Picture | None:
        """The picture for this id, or None when the set has none."""
        return self.pictures.get(picture_id)


def load_picture_set(folder: Path) -> PictureSet:
    """Read a picture set folder; PictureSetError when set.yaml is missing or wrong."""
    folder = Path(folder).expanduser().resolve()
    path = folder / SET_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise PictureSetError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PictureSetError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("pictures"), dict):
        raise PictureSetError(f"{path} needs a 'pictures' map of picture id to file")
    pictures: dict[str, Picture] = {}
    for picture_id, entry in data["pictures"].items():
        picture = _picture(folder, str(picture_id), entry)
        if picture is not None:
            pictures[picture.id] = picture
    return PictureSet(
        folder=folder,
        name=str(data.get("name") or folder.name),
        credit=str(data.get("credit") or ""),
        licence=str(data.get("licence") or ""),
        licence_url=str(data.get("licence_url") or ""),
        source_url=str(data.get("source_url") or ""),
        pictures=pictures,
    )


def _picture(folder: Path, picture_id: str, entry: object) -> Picture | None:
    if isinstance(entry, str):
        entry = {"file": entry}
    if not isinstance(entry, dict) or not _PICTURE_ID.match(picture_id):
        log.warning("picture set %s: skipping picture %r", folder, picture_id)
        return None
    file = (folder / str(entry.get("file", ""))).resolve()
    if folder not in file.parents or file.suffix.lower() not in MEDIA_TYPES:
        log.warning("picture set %s: %r must name an image file in the folder", folder, picture_id)
        return None
    if not file.is_file():
        log.warning("picture set %s: the file for %r is missing", folder, picture_id)
        return None
    return Picture(
        id=picture_id, path=file, shows=str(entry.get("shows", "")), by=str(entry.get("by", ""))
    )


@lru_cache(maxsize=8)
def picture_sets(folder: str | None) -> tuple[PictureSet, ...]:
    """The sets to look in, first match wins: a school's own set, then the built-in one."""
    builtin = load_picture_set(BUILTIN_SET)
    if not folder:
        return (builtin,)
    try:
        own = load_picture_set(Path(folder))
    except PictureSetError as exc:
        log.error("%s; using the built-in pictures", exc)
        return (builtin,)
    return (own, builtin)


def find_picture(sets: tuple[PictureSet, ...], picture_id: str) -> Picture | None:
    """The first set's picture for this id."""
    for picture_set in sets:
        found = picture_set.get(picture_id)
        if found is not None:
            return found
    return None
