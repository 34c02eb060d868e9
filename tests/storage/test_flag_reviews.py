"""Two workers reviewing one flag at once, and a process killed in the middle of a review,
on SQLite and PostgreSQL: every review is kept, the status only moves forward, and a
review that did not finish leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from sqlalchemy import select, text

from tests.helpers import at_once
from voicebox.bot.messages import InboundMessage
from voicebox.storage.flags import review_flag
from voicebox.storage.models import FlagReview, SafeguardingFlag
from voicebox.storage.workers import create_worker

PASSWORD = "a long enough password"


def _flag(engine) -> int:
    """A call for help in DEMO, by SMS; its flag's id."""
    for n, words in enumerate(["DEMO", "1", "i want to die"]):
        engine.handle(InboundMessage("sms", "sms:+447700900777", words, message_id=f"r{n}"))
    with engine.store.database.read_sessions() as session:
        return session.scalars(select(SafeguardingFlag.id)).one()


def _state(database, flag_id: int) -> tuple[str, list[tuple[str, str]]]:
    with database.read_sessions() as session:
        flag = session.get_one(SafeguardingFlag, flag_id)
        reviews = session.execute(
            select(FlagReview.status, FlagReview.note)
            .where(FlagReview.flag_id == flag_id)
            .order_by(FlagReview.id)
        ).all()
        return flag.status, [tuple(r) for r in reviews]


def test_two_workers_saving_at_once_both_keep_their_review(engine):
    """One says acted (with a note) while another says seen: both reviews are kept and the
    flag stays acted on, whichever commits first. Tried several times to vary the order."""
    database = engine.store.database
    first = create_worker(database, "a@example.org", PASSWORD, "admin")
    second = create_worker(database, "b@example.org", PASSWORD, "admin")
    flag_id = _flag(engine)
    results: dict[int, str] = {}

    def save(number: int) -> None:
        if number == 0:
            results[0] = review_flag(database, flag_id, None, first, "acted", "Rang mum")
        else:
            results[1] = review_flag(database, flag_id, None, second, "seen", "")

    for _round in range(6):
        with database.transaction() as conn:  # back to new, with no reviews, for each round
            conn.execute(text("DELETE FROM flag_reviews"))
            conn.execute(text("UPDATE safeguarding_flags SET status = 'new'"))
        results.clear()
        at_once(save, 2)
        status, reviews = _state(database, flag_id)
        assert status == "acted"
        assert sorted(reviews) == [("acted", "Rang mum"), ("seen", "")]
        assert results[0] == "acted" and results[1] in ("seen", "acted")


_REVIEW_SCRIPT = textwrap.dedent(
    """
    import sys
    from voicebox.storage.database import Database
    from voicebox.storage.flags import review_flag
    database = Database(sys.argv[1])
    print("ready", flush=True)
    review_flag(database, int(sys.argv[2]), None, int(sys.argv[3]), "acted", "Told the lead")
    print("saved", flush=True)
    """
)


def test_a_review_killed_before_it_finishes_leaves_nothing(engine):
    """A process saving a review is killed while it waits for the flag: no review row, the
    flag still new, and the next worker saves theirs as usual."""
    database = engine.store.database
    flag_id = _flag(engine)
    worker = create_worker(database, "c@example.org", PASSWORD, "admin")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    # Hold the flag (PostgreSQL: its row; SQLite: the write lock) so that the other
    # process is stopped inside its review.
    with database.transaction() as holder:
        holder.execute(
            select(SafeguardingFlag.id).where(SafeguardingFlag.id == flag_id).with_for_update()
        )
        process = subprocess.Popen(
            [sys.executable, "-c", _REVIEW_SCRIPT, database.url, str(flag_id), str(worker)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
            time.sleep(1.5)  # it is now waiting inside review_flag
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            os.kill(process.pid, signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)  # reaps it and closes its pipes
    assert process.returncode == -signal.SIGKILL
    assert _state(database, flag_id) == ("new", [])
    assert review_flag(database, flag_id, None, worker, "seen", "") == "seen"
    assert _state(database, flag_id) == ("seen", [("seen", "")])
