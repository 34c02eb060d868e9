"""Fuzz every route of the real app for longer than the test suite does.

    python bench/fuzz_routes.py                    # 5,000 random requests
    python bench/fuzz_routes.py --examples 50000   # longer
    python bench/fuzz_routes.py --seed 7           # another sequence (default: random)

The app is built as `voicebox serve` builds it (SMS on with a Twilio token, a few
check-ins and a signed-in admin), on SQLite in a temp folder, in this process. The routes
come from `app.url_map`, so a new route is fuzzed at once. First each route is sent once
with awkward input, then --examples random requests (methods, path parameters, query
strings, form, multipart and raw bodies up to past MAX_CONTENT_LENGTH, headers, garbage and
real session cookies, the right tokens now and then). It prints how many requests, the
count of each status, and every failure (a 5xx, an exception, a traceback in the body, a
redirect off the site) with the request that caused it; exit 1 when there was one.
The requests are made in `tests/route_fuzz.py`, shared with `tests/test_routes_fuzz.py`.
This is a script, not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests/

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.route_fuzz import Tally, build_target, every_route_once, requests_for, send  # noqa: E402


def main() -> int:
    """Run the fuzz and print what it saw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="random requests to send")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed")
    args = parser.parse_args()
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="voicebox-fuzz-") as folder:
        target = build_target(Path(folder))
        for request in every_route_once(target):
            tally.add(request, *send(target, request))

        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # count every 5xx; do not stop at the first to shrink it
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def fuzz(data: st.DataObject) -> None:
            request = data.draw(requests_for(target))
            tally.add(request, *send(target, request))

        if args.seed is not None:
            fuzz = seed(args.seed)(fuzz)
        fuzz()
        target.database.dispose()
    seconds = time.perf_counter() - started
    print(f"{tally.requests:,} requests to {len(target.rules)} routes in {seconds:.0f} s")
    print("statuses: " + ", ".join(f"{s}: {n:,}" for s, n in sorted(tally.statuses.items())))
    print(f"failures: {len(tally.failures)}")
    seen: set[str] = set()
    for request, status, problem in tally.failures:
        last = problem.strip().splitlines()[-1]
        if last in seen:
            continue
        seen.add(last)
        print(f"\n--- {status}: {last}\n{request.describe()}\n{problem}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
