"""`voicebox serve` in a subprocess for the benchmarks: a fresh database in a temp folder,
a free port on 127.0.0.1, up when /healthz answers, stopped by its process id."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SECRET = "bench-secret-key-0123456789abcdef0123456789"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`voicebox serve` on SQLite in a temp folder (or on the database URL given)."""

    def __init__(
        self,
        threads: int | None,
        env: dict[str, str] | None = None,
        database_url: str | None = None,
        cpu: int | None = None,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="voicebox-bench-"))
        self.port = free_port()
        self.database = self.folder / "voicebox.db"
        self.log_text = ""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
        environment.update(
            VOICEBOX_DATABASE_URL=database_url or f"sqlite:///{self.database}",
            VOICEBOX_SECRET_KEY=SECRET,
            **(env or {}),
        )
        command = shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")
        self.log = (self.folder / "serve.log").open("w")
        pin: Callable[[], None] | None = None
        if cpu is not None:
            pin = lambda: os.sched_setaffinity(0, {cpu})  # noqa: E731 - only sets the CPU
        self.process = subprocess.Popen(
            [command, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ([] if threads is None else ["--threads", str(threads)]),
            cwd=self.folder,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=pin,
        )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.flush()
                raise SystemExit(f"serve stopped: {(self.folder / 'serve.log').read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("serve did not start in 60 s")

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system; Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the server we started (by its process id), keep its log, remove its folder."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if not self.log.closed:
            self.log.close()
            self.log_text = (self.folder / "serve.log").read_text(errors="replace")
        shutil.rmtree(self.folder, ignore_errors=True)

    def problems(self) -> list[str]:
        """Lines of the server's log that report an error or a traceback."""
        return [
            line
            for line in self.log_text.splitlines()
            if " ERROR " in line or "Traceback" in line or " CRITICAL " in line
        ]


@contextmanager
def postgres_url(given: str | None) -> Iterator[str]:
    """The PostgreSQL URL given, else a throwaway server's (stopped at the end)."""
    if given:
        yield given
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.postgres import ThrowawayPostgres, server_bin

    bin_dir = server_bin()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL server programs: apt-get install postgresql")
    throwaway = ThrowawayPostgres(bin_dir)
    try:
        yield throwaway.start()
    finally:
        throwaway.stop()
