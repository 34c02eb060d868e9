"""Reveals: who saw what masking hides, and when; only an export or one conversation."""

from __future__ import annotations

import pytest

from tests.export_data import add_answers
from voicebox.storage.consultations import create_consultation
from voicebox.storage.reveals import list_reveals, record_reveal
from voicebox.storage.workers import create_worker


def test_reveals_are_recorded_newest_first(database):
    """An export's reveal names the check-in; a conversation's names the conversation too."""
    create_consultation(database, "SEEN", "tops_and_pants", 2, "Seen")
    add_answers(database, "SEEN", 1)
    admin = create_worker(database, "admin@example.org", "a long enough password", "admin")
    first = record_reveal(database, admin, "export", " seen ")
    second = record_reveal(database, admin, "conversation", "SEEN", conversation_id=1)
    found = list_reveals(database, "seen")
    assert [(r.id, r.kind, r.consultation_code, r.conversation_id) for r in found] == [
        (second, "conversation", "SEEN", 1),
        (first, "export", "SEEN", None),
    ]
    assert {r.worker_id for r in found} == {admin}
    assert all(r.created_at.tzinfo is not None for r in found)
    assert list_reveals(database, "OTHER") == []


@pytest.mark.parametrize(
    ("kind", "conversation_id"),
    [("screen", None), ("conversation", None), ("export", 1)],
)
def test_a_reveal_says_what_was_seen(sqlite_database, kind, conversation_id):
    """Only an export (of a whole check-in) or one named conversation can be recorded."""
    admin = create_worker(sqlite_database, "admin@example.org", "a long enough password", "admin")
    with pytest.raises(ValueError):
        record_reveal(sqlite_database, admin, kind, "SEEN", conversation_id=conversation_id)
    assert list_reveals(sqlite_database) == []
