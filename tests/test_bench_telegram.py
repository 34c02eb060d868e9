"""bench/telegram_webhook.py still runs: its --quick smoke run starts the real servers and
the fake Bot API, and prints every figure (their values are for docs/performance.md)."""

from __future__ import annotations

import re

from tests.bench_run import run_quick

NUMBER = r"[0-9.]+"


def test_quick_run_prints_both_max_rates_their_ratio_and_the_latency_percentiles():
    """The smoke run ends cleanly, after one SMS and one Telegram max-rate run in the same
    run, their ratio, and a fixed-rate run's p50, p95, p99 and max."""
    output = run_quick("telegram_webhook.py", timeout=90)
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
