"""No 5xx from anything a person or client sends, on every route of the real app (SQLite):
each route once with awkward input, then random requests (hypothesis, a fixed seed).
A longer run: `python bench/fuzz_routes.py --examples 20000`."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.route_fuzz import FuzzRequest, Tally, Target, build_target, every_route_once, send
from tests.route_fuzz import requests_for as fuzz_requests


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Target:
    """The whole app with SMS on, a few check-ins and a signed-in admin."""
    made = build_target(tmp_path_factory.mktemp("fuzz"))
    yield made
    made.database.dispose()


def _get(path: str, *headers: tuple[str, str]) -> FuzzRequest:
    return FuzzRequest("GET", path, "", headers, b"", None, False)


def test_every_route_answers_awkward_input_without_a_5xx(target):
    """Each route and method of app.url_map, with CR, LF, NUL, non-ASCII and //host in every
    field, parameter and cookie: a 4xx or a page, never a 5xx or a traceback."""
    tally = Tally()
    for request in every_route_once(target):
        tally.add(request, *send(target, request))
    assert tally.requests >= len(target.rules)
    assert not tally.failures, [(r.describe(), s, p) for r, s, p in tally.failures]


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_requests_to_every_route_get_no_5xx(target, data):
    """Random methods, paths, queries, bodies, headers and cookies (garbage, a visitor's,
    a signed-in admin's, with and without the right tokens and Twilio signature)."""
    request = data.draw(fuzz_requests(target))
    status, problem = send(target, request)
    assert problem is None, f"{status} for {request.describe()}\n{problem}"


def test_an_id_too_big_for_the_database_is_not_found(target):
    """A number past what an id column holds is a 404, not an overflow in the database."""
    admin = ("Cookie", f"session={target.sessions['admin']}")
    for path in ("/workers/flags/", "/workers/admin/workers/", "/workers/conversations/"):
        for number in (2**31, 2**63, 2**70):
            status, problem = send(target, _get(f"{path}{number}", admin))
            assert (status, problem) == (404, None), path


def test_a_host_that_cannot_be_one_gets_a_plain_400(target):
    """A Host header too long to be a name: the plain 400 page, in the workers' area too
    (its own page could not build its links, and failed)."""
    for path in ("/", "/c/DEMO", "/workers/", "/workers/login"):
        status, problem = send(target, _get(path, ("Host", "x" * 300)))
        assert (status, problem) == (400, None), path


def test_a_body_that_does_not_parse_gets_the_areas_400_page(target):
    """JSON that does not parse, posted to a form of the area while signed in: the form
    says 400, and the error page (with its sign-out button) no longer reads the body."""
    admin = ("Cookie", f"session={target.sessions['admin']}")
    for path in ("/workers/admin/workers/new", "/workers/checkins/new", "/workers/admin/groups"):
        request = FuzzRequest("POST", path, "", (admin,), b"[1, 2", "application/json", False)
        assert send(target, request) == (400, None), path


@pytest.mark.parametrize("token", ["é", "☃" * 40, "😀", "\x00"])
def test_a_workers_csrf_token_that_is_not_ascii_is_a_plain_400(target, token):
    """Flask-WTF's check refuses a token in any script kindly: signed out and signed in."""
    admin = ("Cookie", f"session={target.sessions['admin']}")
    for path, headers in (("/workers/login", ()), ("/workers/checkins/new", (admin,))):
        body = f"csrf_token={quote(token)}&email=a%40b.org&password=x&title=T".encode()
        request = FuzzRequest(
            "POST", path, "", headers, body, "application/x-www-form-urlencoded", False
        )
        status, problem = send(target, request)
        assert problem is None and status == 400, (path, status, problem)


@pytest.mark.parametrize("user_id", ["1:é", "1:" + "☃" * 40, "٣:x", "9" * 30 + ":x", "", ":"])
def test_an_odd_worker_id_in_a_signed_session_signs_no_one_in(target, user_id):
    """A session signed with our key but holding an odd worker id and stamp (from an older
    version, say): no one is signed in, and no 5xx (a non-ASCII stamp raised TypeError)."""
    signer = target.app.session_interface.get_signing_serializer(target.app)
    cookie = signer.dumps({"_user_id": user_id, "_fresh": True})
    status, problem = send(target, _get("/workers/", ("Cookie", f"session={cookie}")))
    assert (status, problem) == (302, None)


@pytest.mark.parametrize("number", ["0" * 4301, "9" * 30, "2" * 20])
def test_a_page_or_conversation_number_too_long_for_a_number_gets_no_5xx(target, number):
    """Before: a page number of 4,301 digits raised ValueError (Python's int() limit), and
    a conversation number past 64 bits overflowed in SQLite: both a 500."""
    admin = ("Cookie", f"session={target.sessions['admin']}")
    for path, query in [
        ("/workers/checkins/CORNER/conversations", f"page={number}"),
        ("/workers/checkins/CORNER/themes", f"page={number}"),
        ("/workers/admin/audit", f"page={number}"),
        ("/workers/checkins/CORNER/themes", f"conversation={number}"),
    ]:
        request = FuzzRequest("GET", path, query, (admin,), b"", None, False)
        status, problem = send(target, request)
        assert problem is None and status in (200, 404), (path, query[:30], status, problem)
