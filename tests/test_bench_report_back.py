"""bench/report_back.py still runs: its --quick smoke run builds a check-in, queues a
report-back, sends it to the fake Twilio and Bot API with and without the rate limits, and
prints every figure (their values are for docs/performance.md)."""

from __future__ import annotations

import re

from tests.bench_run import run_quick

NUMBER = r"[0-9][0-9,.]*"


def test_quick_run_prints_the_time_to_queue_the_send_rate_and_the_most_in_a_second():
    """The smoke run ends cleanly after the queueing time and rows made, a second press
    that sends nothing, the rate with no limit, and the most in any second with limits."""
    output = run_quick("report_back.py", timeout=60)
    assert re.search(
        rf"queue: 2,000 people in {NUMBER} s .*; {NUMBER} outbox rows made \(sms {NUMBER}, "
        rf"telegram {NUMBER}, web {NUMBER}\)",
        output,
    ), output
    assert re.search(r"second press: 0 people, 0 rows", output), output
    assert re.search(
        rf"no limit: {NUMBER} messages in {NUMBER} s: {NUMBER} messages/s \(Twilio {NUMBER}, "
        rf"{NUMBER}/s; Bot API {NUMBER}, {NUMBER}/s\)",
        output,
    ), output
    assert re.search(
        rf"limits: Twilio at 1 segments/s: {NUMBER} texts in {NUMBER} s .* "
        rf"most in any 1 s: {NUMBER}",
        output,
    ), output
    assert re.search(
        rf"limits: Bot API at 25/s: {NUMBER} messages in {NUMBER} s .* most in any 1 s: {NUMBER}",
        output,
    ), output
    assert re.search(
        rf"limits: one Telegram chat at 1/s: 10 chats, {NUMBER} of 50 messages in {NUMBER} s, "
        rf"most in any 1 s in one chat: {NUMBER}; shortest gap {NUMBER} s",
        output,
    ), output
    assert "Traceback" not in output and "ERROR" not in output, output
