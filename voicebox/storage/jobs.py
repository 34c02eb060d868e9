"""Work `voicebox serve` does on its own, again and again, in a thread of its own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class RepeatingJob:
    """Runs `work` at start, then every `every` seconds, until stopped. A failure is
    logged by its class only (its words could hold personal data) and tried next time."""

    def __init__(self, name: str, work: Callable[[], None], every: float) -> None:
        self.name = name
        self.work = work
        self.every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"voicebox-{name}", daemon=True)

    def start(self) -> RepeatingJob:
        """Start the thread; returns the job."""
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.work()
            except Exception as exc:  # the next run tries again; the server stays up
                log.warning("%s did not run: %s", self.name, exc.__class__.__name__)
            self._stopping.wait(self.every)

    def stop(self, timeout: float) -> None:
        """Ask the thread to stop and wait for it (at most `timeout` seconds)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
