"""bench/telegram_webhook.py still runs: its --quick smoke run starts the real servers and
the fake Bot API, and prints every figure (their values are for docs/performance.md)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "telegram_webhook.py"
NUMBER = r"[0-9.]+"


def test_quick_run_prints_both_max_rates_their_ratio_and_the_latency_percentiles():
    """The smoke run ends cleanly, after one SMS and one Telegram max-rate run in the same
    run, their ratio, and a fixed-rate run's p50, p95, p99 and max."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    bench = subprocess.Popen(
        [sys.executable, str(BENCH), "--quick"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: the servers it starts go with it on a timeout
    )
    try:
        output, _ = bench.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        output, _ = bench.communicate()
        raise AssertionError(f"the quick run took over 90 s:\n{output}") from None
    assert bench.returncode == 0, output
    assert re.search(rf"SMS max rate run 1 +{NUMBER} messages/s", output), output
    assert re.search(rf"Telegram max rate run 1 +{NUMBER} updates/s", output), output
    assert re.search(
        rf"best max rate: Telegram {NUMBER} updates/s, SMS {NUMBER} messages/s, "
        rf"ratio {NUMBER}",
        output,
    ), output
    latency = re.search(
        rf"{NUMBER} updates/s +update to sendMessage: p50 +{NUMBER} ms +p95 +{NUMBER} ms +"
        rf"p99 +{NUMBER} ms +max +{NUMBER} ms",
        output,
    )
    assert latency, output
    assert "Traceback" not in output, output
