"""Running a benchmark script's --quick smoke run as its own process, as a person would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_quick(script: str, timeout: float) -> str:
    """Run `bench/<script> --quick` with no VOICEBOX_ settings; its output. It fails the
    test if the run exits with an error or takes longer than `timeout` seconds (then the
    whole process group goes, with any server it started)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    bench = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / script), "--quick"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: the servers it starts go with it on a timeout
    )
    try:
        output, _ = bench.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        output, _ = bench.communicate()
        raise AssertionError(f"the quick run took over {timeout:g} s:\n{output}") from None
    assert bench.returncode == 0, output
    return output
