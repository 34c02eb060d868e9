"""A throwaway PostgreSQL server for the tests, on 127.0.0.1, stopped by its process id."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server programs, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayPostgres:
    """initdb in a temp folder, listening on 127.0.0.1 only; run as `postgres` when root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="voicebox-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.pid: int | None = None
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def start(self) -> str:
        """Create and start the cluster; return a SQLAlchemy URL for its `postgres` database."""
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        result = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip()[-500:]}")
        for attempt in range(3):  # another program may take the free port before we do
            if attempt:
                self.port = _free_port()
            result = self._pg_ctl_start()
            if result.returncode == 0:
                break
        else:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()} {log[-500:]}")
        pid_file = self.data / "postmaster.pid"
        for _ in range(100):
            if pid_file.exists():
                self.pid = int(pid_file.read_text().split()[0])
                break
            time.sleep(0.05)
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl_start(self) -> subprocess.CompletedProcess[str]:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.folder}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        log = str(self.folder / "log")
        return self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "60", "start"
        )

    def pause(self) -> None:
        """Stop the server (fast shutdown), keeping its data, to start it again with resume()."""
        if self.pid is not None:
            for sig, tries in ((signal.SIGINT, 500), (signal.SIGQUIT, 250)):
                if not self._signal_and_wait(sig, tries):
                    break
            self.pid = None

    def resume(self) -> None:
        """Start the paused server again, on the same port."""
        result = self._pg_ctl_start()
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start again: {result.stderr.strip()}")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        """Stop the server by its process id (fast shutdown) and remove its folder."""
        pid_file = self.data / "postmaster.pid"
        if self.pid is None and pid_file.exists():  # start() gave up waiting for the file
            self.pid = int(pid_file.read_text().split()[0])
        if self.pid is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to leave.
            # If that has not worked after 10 s, SIGQUIT ("immediate") ends it for sure.
            for sig, tries in ((signal.SIGINT, 500), (signal.SIGQUIT, 250)):
                if not self._signal_and_wait(sig, tries):
                    break
            self.pid = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def _signal_and_wait(self, sig: int, tries: int) -> bool:
        """Send a signal; True while the server is still running after waiting."""
        assert self.pid is not None
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        for _ in range(tries):
            if not _running(self.pid):
                return False
            time.sleep(0.02)
        return True


def _running(pid: int) -> bool:
    """True while the process lives (a zombie waiting for its parent counts as ended)."""
    try:
        os.kill(pid, 0)
        status = Path(f"/proc/{pid}/status").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    except OSError:
        return True
    return "\nState:\tZ" not in status
