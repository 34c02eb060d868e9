"""`voicebox serve` as a real process for tests: a free port on 127.0.0.1, stopped by pid."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

VOICEBOX = shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any VOICEBOX_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env.update(extra)
    return env


class ServeProcess:
    """`voicebox serve --port P [args]` in a folder; waits until it accepts connections."""

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        with self.log.open("w") as out:  # the child keeps its own copy of the file
            self.process = subprocess.Popen(
                [VOICEBOX, "serve", "--port", str(self.port), *args],
                cwd=folder,
                env=env if env is not None else clean_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve stopped early:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"serve did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Stop the server we started, by its process id."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
