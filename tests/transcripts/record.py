"""Record a golden transcript from its `send` lines (run by hand, then read the result).

    python -m tests.transcripts.record tests/transcripts/tops_and_pants.happy.yaml

It fills in every `expect` and the `answers` from what the engine says now. Read the diff
before committing: a golden file is only worth something once a person has checked it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from tests.bot.test_transcripts import play
from voicebox.storage.database import Database


class _Literal(str):
    pass


yaml.add_representer(
    _Literal, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
)


def record(path: Path) -> None:
    """Replay a transcript's sends and write back what the engine answered."""
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/record.db")
        db.upgrade()
        result = play(db, script)
        db.dispose()
    for turn, replies in zip(script["turns"], result["replies"], strict=True):
        turn["expect"] = [_Literal(r) if "\n" in r else r for r in replies]
    script["answers"] = result["answers"]
    script["flags"] = result["flags"]
    path.write_text(yaml.dump(script, allow_unicode=True, sort_keys=False, width=100), "utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        record(Path(name))
        print(f"recorded {name}")
