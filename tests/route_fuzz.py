"""Fuzzing every route of the real app: random methods, path parameters, query strings,
form and raw bodies, headers and cookies (garbage, non-ASCII, control characters, huge
values), each answered with no 5xx, no traceback, and no redirect off the site.

Shared by `tests/test_routes_fuzz.py` (bounded, in the suite) and `bench/fuzz_routes.py`
(as long as you like). The routes come from `app.url_map`, and the field names from the
templates and the code, so a new route or field is fuzzed without a change here."""

from __future__ import annotations

import itertools
import re
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from flask import Flask, got_request_exception
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from voicebox.alerts import AlertSettings
from voicebox.app import build_services, create_app
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings
from voicebox.storage.consultations import close_consultation, create_consultation, ensure_demo
from voicebox.storage.database import Database
from voicebox.storage.workers import create_worker

ROOT = Path(__file__).resolve().parents[1]
TWILIO_TOKEN = "fuzz-twilio-auth-token"
ENV = {
    "VOICEBOX_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "VOICEBOX_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "VOICEBOX_TWILIO_FROM": "+447700900000",
}
ADMIN, PASSWORD = "fuzz-admin@example.org", "a long enough fuzz password"
METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")
REDIRECTS = (301, 302, 303, 307, 308)
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _names_in_code() -> list[str]:
    """Every form, query, header and cookie name the code or the templates read."""
    patterns = [
        re.compile(r'name="([A-Za-z_][\w-]*)"'),
        re.compile(r'(?:form|args|values|headers|cookies)\.get(?:list)?\(\s*"([^"]+)"'),
        re.compile(r'request\.(?:form|args|values)\[\s*"([^"]+)"'),
        re.compile(r'_asked\(\s*"([^"]+)"'),  # workers/query.py's readers of the address
        re.compile(r"^\s+(\w+) = \w*Field\(", re.MULTILINE),
    ]
    found: set[str] = set()
    for path in [
        *ROOT.joinpath("voicebox").rglob("*.py"),
        *ROOT.joinpath("voicebox").rglob("*.html"),
    ]:
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            found.update(pattern.findall(text))
    return sorted(found)


FIELD_NAMES = _names_in_code()
HEADER_NAMES = [
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "Authorization",
    "Content-Type",
    "Cookie",
    "Host",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "Origin",
    "Range",
    "Referer",
    "User-Agent",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Requested-With",
    "X-Twilio-Signature",
    "X-Telegram-Bot-Api-Secret-Token",
    "Retry-After",
]
AWKWARD = [
    "",
    "0",
    "1",
    "2",
    "-1",
    "3.5",
    "1e309",
    str(2**63),
    str(2**70),
    "DEMO",
    "demo",
    "CORNER",
    "SHUT",
    "NOPE",
    "join demo",
    "STOP",
    "HELP",
    "SKIP",
    "BACK",
    "START",
    "yes",
    "no",
    "none",
    "null",
    "true",
    "[]",
    "{}",
    '{"a": [1, {"b": null}]}',
    "\r\n",
    "\r\nSet-Cookie: stolen=1",
    "\x00",
    "\t",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "\ufffe",
    "é",
    "☃",
    "😀",
    "токен",
    "%",
    "%zz",
    "%00",
    "%ff%fe",
    "../../etc/passwd",
    "//evil.example.org",
    "https://evil.example.org/",
    "/\\evil.example.org",
    "/\t/evil.example.org",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "=SUM(A1)",
    "a:b",
    "good:yes",
    "step:a,b,c",
    "2026-02-30",
    "2026-11-28",
    "9999-12-31",
    "0000-00-00",
    "sms:+447700900123",
    "+447700900123",
    "fuzz-admin@example.org",
]
_BIG = [1_000, 20_000, 200_000, 300_000]  # the last is over MAX_CONTENT_LENGTH (256 KiB)


def _text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any Unicode a client can send (no lone surrogates: bytes on the wire cannot be one)."""
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)


def values(big: bool = False) -> st.SearchStrategy[str]:
    """A value a person or a client might send; `big`: now and then a huge one (for a body:
    a server takes a request line of a few kilobytes, a body up to MAX_CONTENT_LENGTH)."""
    some = [
        st.sampled_from(AWKWARD),
        _text(),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
    ]
    if big:
        huge = st.tuples(st.sampled_from(["a", "é", "😀", "\x00", " ", "%"]), st.sampled_from(_BIG))
        some.append(huge.map(lambda pair: pair[0] * pair[1]))
    return st.one_of(*some)


def _latin1(max_size: int = 60) -> st.SearchStrategy[str]:
    """A header value as a server hands it on: bytes read as Latin-1 (no CR, LF)."""
    plain = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=max_size)
    utf8 = _text(max_size // 2).map(lambda s: s.encode("utf-8").decode("latin-1"))
    awkward = st.sampled_from(AWKWARD).map(lambda s: s.encode("utf-8").decode("latin-1"))
    every = st.one_of(plain, utf8, awkward, st.just("x" * 8000))
    return every.map(lambda s: s.replace("\r", "").replace("\n", ""))


@dataclass(frozen=True)
class Target:
    """The app under fuzz, with what a real visitor or worker would hold."""

    app: Flask
    database: Database
    rules: tuple[tuple[str, tuple[str, ...]], ...]  # (rule, methods)
    sessions: dict[str, str]  # a valid session cookie: "visitor", "admin"
    tokens: dict[str, str]  # the web chat's token, the workers' CSRF token
    errors: list[str] = field(default_factory=list)  # exceptions the app raised


def build_target(folder: Path) -> Target:
    """The whole app as served, on SQLite in `folder`, with SMS on, a few check-ins and an
    admin; an exception in a view becomes a 500 (not raised) and is recorded."""
    database = Database(f"sqlite:///{folder / 'voicebox.db'}")
    database.upgrade()
    settings = Settings(database_url=database.url, secret_key="fuzz-secret-key-0123456789abcdef")
    channels = build_channels(ENV)
    services = build_services(settings, channels, AlertSettings.from_env({}))
    flows = services.engine.flows
    ensure_demo(services.database, flows)
    version = flows["four_cornerstones"].version
    create_consultation(services.database, "CORNER", "four_cornerstones", version, "Going well")
    create_consultation(services.database, "SHUT", "tops_and_pants", 1, "Closed check-in")
    close_consultation(services.database, "SHUT")
    create_worker(services.database, ADMIN, PASSWORD, "admin")
    app = create_app(
        {"TESTING": False, "PROPAGATE_EXCEPTIONS": False},
        settings=settings,
        services=services,
        channels=channels,
    )
    app.logger.disabled = True  # recorded below instead
    errors: list[str] = []

    def record(_sender: Any, exception: BaseException, **_extra: Any) -> None:
        errors.append("".join(traceback.format_exception(exception)))

    got_request_exception.connect(record, app, weak=False)
    rules = tuple(
        sorted((rule.rule, tuple(sorted(rule.methods or ()))) for rule in app.url_map.iter_rules())
    )
    visitor = app.test_client()
    page = visitor.get("/c/DEMO").get_data(as_text=True)
    web_token = re.search(r'name="token" value="([^"]+)"', page)
    admin = app.test_client()
    csrf = _CSRF.search(admin.get("/workers/login").get_data(as_text=True))
    assert csrf is not None
    signed = admin.post(
        "/workers/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": csrf[1]}
    )
    assert signed.status_code == 302, signed.status_code
    area_csrf = _CSRF.search(admin.get("/workers/").get_data(as_text=True))
    sessions = {}
    for name, client in (("visitor", visitor), ("admin", admin)):
        cookie = client.get_cookie("session")
        if cookie is not None:
            sessions[name] = cookie.value
    tokens = {
        "token": web_token[1] if web_token else "",
        "csrf_token": area_csrf[1] if area_csrf else csrf[1],
    }
    return Target(app, database, rules, sessions, tokens, errors)


@dataclass(frozen=True)
class FuzzRequest:
    """One request to send."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str | None
    twilio_signed: bool

    def describe(self) -> str:
        """The request in a form to paste into a bug report (long values cut)."""

        def cut(value: Any) -> str:
            text = repr(value)
            return text if len(text) <= 300 else text[:300] + f"... ({len(text)} chars)"

        return (
            f"{self.method} {cut(self.path)} query={cut(self.query)} "
            f"headers={cut(self.headers)} content_type={cut(self.content_type)} "
            f"body={cut(self.body)} twilio_signed={self.twilio_signed}"
        )


def _quote(value: str, converter: str | None) -> str:
    safe = "/" if converter == "path" else ""
    return quote(value.encode("utf-8"), safe=safe)


def _encode_pairs(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k.encode(), safe='')}={quote(v.encode(), safe='')}" for k, v in pairs)


@st.composite
def requests_for(draw: st.DrawFn, target: Target) -> FuzzRequest:
    """A random request to one of the target's routes (now and then to no route at all)."""
    rule, methods = draw(st.sampled_from(target.rules))
    if draw(st.integers(0, 19)) == 0:
        rule, methods = "/" + _quote(draw(_text(30)), None), ("GET",)  # no route
    method = draw(st.one_of(st.sampled_from(methods), st.sampled_from(METHODS)))

    def argument(match: re.Match[str]) -> str:
        converter, options = match.group(1), match.group(2)
        if converter == "int":
            numbers = st.one_of(st.integers(0, 5), st.integers(-(2**70), 2**70))
            value = draw(st.one_of(numbers.map(str), numbers.map(str), values()))
        elif converter == "any" and options and draw(st.integers(0, 3)):
            value = draw(st.sampled_from(re.findall(r"[\w-]+", options)))
        elif converter != "path" and draw(st.integers(0, 2)) == 0:
            value = draw(st.sampled_from(["DEMO", "CORNER", "SHUT", "demo"]))
        else:
            value = draw(values())
        return _quote(value, converter)

    path = _ARGUMENT.sub(argument, rule)
    names = st.one_of(st.sampled_from(FIELD_NAMES), _text(12))
    query_pairs = draw(st.lists(st.tuples(names, values()), max_size=6))
    query = draw(
        st.one_of(
            st.just(_encode_pairs(query_pairs)),
            st.sampled_from(["%ff%fe=%c3", "a=%zz", "=&&=", "next=%0d%0a", "a" * 5000]),
        )
    )
    form = draw(st.lists(st.tuples(names, values(big=True)), max_size=6))
    kind = draw(st.sampled_from(["form", "form", "form", "multipart", "json", "raw", "none"]))
    for name, token in target.tokens.items():  # now and then the right token, to go deeper
        if draw(st.booleans()):
            form.append((name, token))
    body, content_type = b"", None
    if kind == "form":
        body = _encode_pairs(form).encode("ascii")
        content_type = "application/x-www-form-urlencoded"
    elif kind == "multipart":
        boundary = "fuzzboundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{quote(k)}"\r\n\r\n{v}\r\n'
            for k, v in form
        ]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8")
        content_type = draw(
            st.sampled_from([f"multipart/form-data; boundary={boundary}", "multipart/form-data"])
        )
    elif kind == "json":
        body = draw(st.sampled_from(['{"update_id": 1}', "[1, 2", "null", '"é"'])).encode()
        content_type = "application/json"
    elif kind == "raw":
        body = draw(st.binary(max_size=300))
        content_type = draw(st.one_of(st.none(), _latin1(40)))
    headers = list(draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), _latin1()), max_size=4)))
    cookie = draw(st.sampled_from(["none", "garbage", "visitor", "admin", "admin", "look"]))
    if cookie in target.sessions:
        headers.append(("Cookie", f"session={target.sessions[cookie]}"))
    elif cookie == "garbage":
        headers.append(("Cookie", "session=" + draw(_latin1(200)).replace(";", "")))
    elif cookie == "look":
        headers.append(("Cookie", "voicebox_look=" + draw(_latin1(80)).replace(";", "")))
    signed = path.startswith("/sms/") and kind == "form" and draw(st.booleans())
    if signed:  # Twilio's webhook address has no query: so the signature is right
        query = ""
    return FuzzRequest(method, path, query, tuple(headers), body, content_type, signed)


def _local(location: str) -> bool:
    """True when a browser following this Location stays on the site."""
    seen = "".join(ch for ch in location if ch not in "\t\r\n")
    parts = urlsplit(seen)
    return (
        seen == location
        and parts.netloc in ("", "localhost")
        and parts.scheme in ("", "http", "https")
        and not seen.startswith(("//", "/\\"))
    )


class _Fields(dict):
    """Form fields as Twilio's validator reads them: every value of a repeated name."""

    def getall(self, name: str) -> list[str]:
        """Every value of a field."""
        return self[name]


def _twilio_signature(request: FuzzRequest) -> str:
    fields = _Fields()
    for pair in request.body.decode("ascii").split("&"):
        if pair:
            key, _, value = pair.partition("=")
            fields.setdefault(unquote(key), []).append(unquote(value))
    url = "http://localhost" + request.path + (f"?{request.query}" if request.query else "")
    return RequestValidator(TWILIO_TOKEN).compute_signature(url, fields)


def send(target: Target, request: FuzzRequest) -> tuple[int, str | None]:
    """Send one request; its status, and what was wrong with the answer (None when fine)."""
    headers = list(request.headers)
    if request.twilio_signed:
        headers.append(("X-Twilio-Signature", _twilio_signature(request)))
    before = len(target.errors)
    client = target.app.test_client(use_cookies=False)
    try:
        response = client.open(
            request.path,
            method=request.method,
            query_string=request.query,
            headers=headers,
            data=request.body,
            content_type=request.content_type,
            buffered=True,
        )
        body = response.get_data()
        status = response.status_code
        location = response.headers.get("Location")
        response.close()
    except Exception as error:  # noqa: BLE001 - raised while the answer was sent: counted
        return 599, "".join(traceback.format_exception(error))
    if len(target.errors) > before:
        return status, target.errors[-1]
    if status >= 500 and status != 503:
        return status, f"status {status}"
    if status == 503 and request.path != "/healthz" and b"download" not in body.lower():
        return status, "503 that is not a busy download"
    if b"Traceback" in body:
        return status, "a traceback in the body"
    if status in REDIRECTS and (location is None or not _local(location)):
        return status, f"a redirect off the site: {location!r}"
    return status, None


@dataclass
class Tally:
    """What a fuzz run saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[tuple[FuzzRequest, int, str]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """How many requests were sent."""
        return sum(self.statuses.values())

    def add(self, request: FuzzRequest, status: int, problem: str | None) -> None:
        """Count one answer."""
        self.statuses[status] += 1
        if problem is not None:
            self.failures.append((request, status, problem))


def _plausible(match: re.Match[str]) -> str:
    """A path parameter that finds something: a check-in's code, id 1, the first option."""
    converter, options = match.group(1), match.group(2)
    if converter == "int":
        return "1"
    if converter == "any" and options:
        return re.findall(r"[\w-]+", options)[0]
    return "DEMO"


def every_route_once(target: Target) -> Iterator[FuzzRequest]:
    """Each route with each of its methods, with parameters that find something and with
    awkward ones, every field and query awkward, as a stranger, a visitor and an admin."""
    awkward = _encode_pairs([(name, "é\r\n\x00") for name in FIELD_NAMES]).encode("ascii")
    query = _encode_pairs([(name, "//evil.example.org\r\n") for name in FIELD_NAMES])
    # Numbers: past any id a database holds, and too long for int() (over 4,300 digits).
    too_big = _encode_pairs([(name, "9" * 25) for name in FIELD_NAMES])
    too_long = _encode_pairs([(name, "0" * 4301) for name in FIELD_NAMES])
    fills = [(query, awkward), (too_big, too_big.encode("ascii")), (too_long, b"")]
    garbage = "garbage\x01é".encode().decode("latin-1")
    for rule, methods in target.rules:
        odd = _ARGUMENT.sub(lambda m: _quote("é\r\n%/..", m.group(1)), rule)
        found = _ARGUMENT.sub(_plausible, rule)
        # Where a parameter finds something, as the one who can see it: the admin in the
        # workers' area, a visitor elsewhere; the odd parameters with a garbage cookie.
        who = "admin" if found.startswith("/workers") else "visitor"
        for path, cookie in [(odd, garbage), (found, target.sessions.get(who, garbage))]:
            for method, (fill, body) in itertools.product(methods, fills):
                yield FuzzRequest(
                    method,
                    path,
                    fill,
                    (("Cookie", f"session={cookie}"),),
                    body,
                    "application/x-www-form-urlencoded",
                    False,
                )
