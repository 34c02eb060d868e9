"""Real-browser fixtures: `voicebox serve` on 127.0.0.1 and Debian's Chromium via Playwright.

The tests skip when /usr/bin/chromium is missing, unless VOICEBOX_REQUIRE_BROWSER=1."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.serve_process import ServeProcess
from voicebox.storage.services import Services

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE = os.environ.get("VOICEBOX_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SECRET = "browser-test-secret-0123456789abcdef"


def _voicebox() -> str:
    return shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")


@dataclass
class Served:
    """A running `voicebox serve` and the folder its database lives in."""

    base: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        """Run a voicebox command against the same database; return its output."""
        result = subprocess.run(
            [_voicebox(), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def export(self, code: str) -> list[dict[str, str]]:
        """The export rows of a check-in, read back from CSV."""
        return list(csv.DictReader(io.StringIO(self.cli("export", code, "--format", "csv"))))


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure when VOICEBOX_REQUIRE_BROWSER=1)."""
    if not CHROMIUM.exists():
        message = "Chromium is not installed (apt-get install chromium)"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def served(chromium, tmp_path_factory) -> Iterator[Served]:
    """`voicebox serve` (waitress) with DEMO and a four_cornerstones check-in, CORNER."""
    folder = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env["VOICEBOX_DATABASE_URL"] = f"sqlite:///{folder / 'voicebox.db'}"
    env["VOICEBOX_SECRET_KEY"] = SECRET
    server = Served("", folder, env)
    server.cli(
        "consultation",
        "create",
        "CORNER",
        "--flow",
        "four_cornerstones",
        "--title",
        "Going well and could be better",
    )
    process = ServeProcess(folder, "--host", "127.0.0.1", env=env)
    server.base = process.base
    try:
        yield server
    finally:
        process.stop()


PICTURES_FLOW = Path(__file__).resolve().parents[1] / "flows" / "pictures_test.yaml"


@dataclass
class ServedHere:
    """The web app served by waitress in this process (so its engine can run a test flow)."""

    base: str
    services: Services

    def export(self, code: str) -> list[dict[str, str]]:
        """The export rows of a check-in, as `voicebox export` makes them."""
        from voicebox.storage.export import export_rows

        return [
            {key: "" if value is None else str(value) for key, value in row.items()}
            for row in export_rows(self.services.database, code)
        ]


@pytest.fixture(scope="session")
def served_pictures(chromium, tmp_path_factory) -> Iterator[ServedHere]:
    """The web app with the picture cards test flow (tests/flows/pictures_test.yaml) as the
    check-in PICS. `voicebox serve` runs only the built-in flows, so this one is served by
    waitress in a thread of the test process, built the way `voicebox serve` builds it."""
    import threading

    from waitress.server import create_server

    from voicebox.app import build_services, create_app
    from voicebox.bot.engine import Engine
    from voicebox.channels.registry import build_channels
    from voicebox.flows import load_builtin_flows
    from voicebox.flows.loader import load_flow
    from voicebox.settings import Settings
    from voicebox.storage.consultations import create_consultation

    folder = tmp_path_factory.mktemp("pictures")
    settings = Settings(database_url=f"sqlite:///{folder / 'voicebox.db'}", secret_key=SECRET)
    channels = build_channels({})
    services = build_services(settings, channels)
    services.database.upgrade()
    flow = load_flow(PICTURES_FLOW)
    services.engine = Engine([*load_builtin_flows().values(), flow], services.store)
    create_consultation(services.database, "PICS", flow.id, flow.version, "Say it with pictures")
    app = create_app(settings=settings, services=services, channels=channels)
    server = create_server(app, host="127.0.0.1", port=0, threads=2, ident="voicebox")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield ServedHere(f"http://127.0.0.1:{server.effective_port}", services)
    finally:
        server.close()
        services.database.dispose()


@pytest.fixture(scope="session")
def browser(chromium):
    """One Chromium for the session; each test gets fresh contexts (fresh cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, timeout=120_000
        )
        yield launched
        launched.close()


# Chromium here has speechSynthesis but no voice, and the page shows Read aloud only once
# a voice is known. Unless a test asks for none, each page is given one (a British one).
ONE_VOICE = """(() => {
    if (!window.speechSynthesis) { return; }
    const voice = {name: 'Test voice', lang: 'en-GB', default: true, localService: true,
                   voiceURI: 'test-voice'};
    window.speechSynthesis.getVoices = () => [voice];
})();"""


@pytest.fixture
def new_context(browser):
    """Make browser contexts (phone-sized by default, with one speech voice unless
    voices=False), closed after the test."""
    made = []

    def make(voices: bool = True, **options):
        options.setdefault("viewport", PHONE)
        context = browser.new_context(**options)
        context.set_default_timeout(30_000)
        if voices:
            context.add_init_script(ONE_VOICE)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture(scope="session")
def scriptless_copy(browser):
    """axe for pages with JavaScript off: one copy page for the session (axe loaded once)."""
    from tests.browser.chat_driver import ScriptlessCopy

    copy = ScriptlessCopy(browser)
    yield copy
    copy.close()
