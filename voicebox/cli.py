"""The `voicebox` command: serve, chat, flows check, consultations, export, workers,
retention."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from voicebox.flows import FlowError, builtin_flow_paths, load_builtin_flows
from voicebox.settings import SQLITE_THREADS, THREADS, Settings, SettingsError
from voicebox.storage.consultations import ConsultationError
from voicebox.storage.database import DatabaseError
from voicebox.storage.export import FORMATS
from voicebox.storage.workers import WorkerError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("voicebox")

LONG_EXPORT = 10_000  # answers from which `voicebox export` shows how far it has got

HUMAN_ERRORS = (ConsultationError, DatabaseError, FlowError, SettingsError, WorkerError)


class CommandError(click.ClickException):
    """One human line on standard error, and exit code 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"voicebox: {self.message}", err=True)


def human_errors(func: F) -> F:
    """Turn every failure into one plain line and a non-zero exit: never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except HUMAN_ERRORS as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise CommandError(f"{exc.strerror or exc}{where}") from None
        except Exception as exc:
            if os.environ.get("VOICEBOX_DEBUG"):
                raise
            log.debug("unexpected error", exc_info=True)
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            raise CommandError(
                f"something went wrong: {exc.__class__.__name__}: {first_line}"
                " (set VOICEBOX_DEBUG=1 to see details)"
            ) from None

    return wrapper  # type: ignore[return-value]


def _services():  # noqa: ANN202 - imported late so `flows check` stays light
    from voicebox.app import build_services

    return build_services(Settings.from_env())


def _channels():  # noqa: ANN202 - imported late so `flows check` stays light
    from voicebox.channels.registry import build_channels

    return build_channels()


def _ready_database():  # noqa: ANN202 - for commands that need no secret key
    from voicebox.storage.database import Database

    database = Database(Settings.from_env().database_url)
    database.upgrade()
    return database


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="voicebox")
def main() -> None:
    """Voicebox: accessible check-ins for young people's voices."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("voicebox").setLevel(logging.INFO)


@main.command(
    epilog=(
        "Settings for the server (environment variables): VOICEBOX_CONNECTION_LIMIT, the "
        "connections open at once (default 2000; more wait until one closes); "
        "VOICEBOX_IDLE_TIMEOUT, the seconds a connection may sit with nothing asked "
        "(default 30). SIGTERM or Ctrl+C stops it cleanly: requests in flight finish first."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-demo", is_flag=True, help="Do not create the DEMO consultation.")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help=f"Threads that run requests. [default: {SQLITE_THREADS} on SQLite, {THREADS} otherwise]",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes that serve, sharing one port (PostgreSQL only); one that dies is restarted.",
)
@human_errors
def serve(host: str, port: int, no_demo: bool, threads: int | None, workers: int) -> None:
    """Upgrade the database, create the demo, and serve the web app and webhooks."""
    from voicebox.serving import ServeOptions
    from voicebox.serving import serve as run

    options = ServeOptions(host, port, demo=not no_demo, threads=threads, workers=workers)
    run(Settings.from_env(), _channels(), options)


@main.command()
@click.argument("code")
@human_errors
def chat(code: str) -> None:
    """Do the check-in of consultation CODE here in the terminal."""
    from voicebox.storage.consultations import DEMO_CODE, ensure_demo, require_consultation

    database = _ready_database()
    if code.strip().upper() == DEMO_CODE:
        ensure_demo(database, load_builtin_flows())
    found = require_consultation(database, code)
    database.dispose()
    if found.status != "open":
        raise CommandError(f"the consultation {found.code} is closed")
    services = _services()
    from voicebox.channels.registry import console_of

    console_of(_channels()).chat(services.engine.handle, found.code, sys.stdin, sys.stdout)


@main.group()
def telegram() -> None:
    """Run the Telegram channel by polling, or register its webhook."""


@telegram.command("poll")
@click.option(
    "--drop-webhook", is_flag=True, help="Remove the bot's webhook first (polling needs none)."
)
@human_errors
def telegram_poll(drop_webhook: bool) -> None:
    """Fetch Telegram messages by long polling (no public address needed) until Ctrl+C."""
    from voicebox.telegram_commands import run_polling

    run_polling(Settings.from_env(), _channels(), drop_webhook, click.echo)


@telegram.command("set-webhook")
@human_errors
def telegram_set_webhook() -> None:
    """Tell Telegram to send updates to VOICEBOX_PUBLIC_URL/telegram/webhook."""
    from voicebox.telegram_commands import set_webhook

    click.echo(set_webhook(Settings.from_env(), _channels()))


@main.group()
def flows() -> None:
    """Work with check-in flows."""


@flows.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@human_errors
def flows_check(files: tuple[Path, ...]) -> None:
    """Check flow files (all built-in flows when no FILE is given)."""
    from voicebox.flowcheck import check_files

    paths = list(files) or builtin_flow_paths()
    problems = check_files(paths)
    for line in problems:
        click.echo(line)
    if problems:
        # One problem is its own line and nothing more; a count helps only with several.
        if len(problems) > 1:
            click.echo(f"{len(problems)} problems found in {len(paths)} flow file(s).", err=True)
        sys.exit(1)
    click.echo(f"All {len(paths)} flow file(s) are fine.")


@main.group()
def consultation() -> None:
    """Create, list and close consultations."""


@consultation.command("create")
@click.argument("code")
@click.option("--flow", "flow_id", required=True, help="Flow id, e.g. tops_and_pants.")
@click.option("--title", required=True, help="A title workers will see.")
@click.option("--group", default=None, help="The group of workers that runs it (made if new).")
@human_errors
def consultation_create(code: str, flow_id: str, title: str, group: str | None) -> None:
    """Create an open consultation that young people join with CODE."""
    from voicebox.storage.consultations import create_consultation
    from voicebox.storage.workers import normalize_group_name, set_consultation_group

    flows = load_builtin_flows()
    if flow_id not in flows:
        raise CommandError(f"there is no flow '{flow_id}' (flows: {', '.join(sorted(flows))})")
    flow = flows[flow_id]
    name = normalize_group_name(group) if group is not None else None
    database = _ready_database()
    info = create_consultation(database, code, flow.id, flow.version, title)
    if name is not None:
        set_consultation_group(database, info.code, name)
    where = f", group {name}" if name else ""
    click.echo(
        f"Created {info.code}: {info.title} "
        f"(flow {info.flow_id}, version {info.flow_version}{where})."
    )


@consultation.command("list")
@human_errors
def consultation_list() -> None:
    """List consultations with their counts."""
    from voicebox.storage.consultations import list_consultations

    rows = list_consultations(_ready_database())
    if not rows:
        click.echo("There are no consultations yet.")
        return
    click.echo(f"{'CODE':<12} {'STATUS':<7} {'FLOW':<18} {'CHATS':>5} {'ANSWERS':>7}  TITLE")
    for row in rows:
        click.echo(
            f"{row.code:<12} {row.status:<7} {row.flow_id:<18} {row.conversations:>5} "
            f"{row.answers:>7}  {row.title}"
        )


@consultation.command("close")
@click.argument("code")
@human_errors
def consultation_close(code: str) -> None:
    """Close a consultation: its code stops working; its answers stay."""
    from voicebox.storage.consultations import close_consultation

    info = close_consultation(_ready_database(), code)
    click.echo(f"Closed {info.code}. Its answers are kept.")


@main.group()
def retention() -> None:
    """Delete what people typed, a check-in's chosen number of days after it closes."""


@retention.command("run")
@human_errors
def retention_run() -> None:
    """Delete typed words now wherever they are past their time (for cron); print counts."""
    from voicebox.storage.retention import tidy

    for line in tidy(_ready_database(), load_builtin_flows()).lines(quiet=False):
        click.echo(line)


class ExportProgress:
    """How far a long export has got, on standard error (never in the export itself): one
    line rewritten in a terminal, a line every tenth otherwise (a log, a CI job)."""

    def __init__(self, code: str, total: int, terminal: bool) -> None:
        self.code, self.total, self.terminal = code, total, terminal
        self.step = max(1, -(-total // (100 if terminal else 10)))  # rounded up
        self.next = self.step
        self.count = 0

    def rows(self, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The same rows, counted, with progress shown as they pass."""
        click.echo(f"Exporting {self.total:,} answers from {self.code}.", err=True)
        shown = 0
        for row in rows:
            self.count += 1
            if self.count >= self.next:
                self.next += self.step
                self._show()
                shown = self.count
            yield row
        if shown != self.count:
            self._show()
        if self.terminal:
            click.echo(err=True)

    def _show(self) -> None:
        percent = min(100, self.count * 100 // max(self.total, 1))
        line = f"{percent:3d}% ({self.count:,} of {self.total:,} answers)"
        if self.terminal:
            click.echo(f"\r{line}", nl=False, err=True)
        else:
            click.echo(line, err=True)


def _counted(rows: Iterator[dict[str, Any]], tally: list[int]) -> Iterator[dict[str, Any]]:
    """The same rows; tally[0] says how many have passed."""
    for row in rows:
        tally[0] += 1
        yield row


@main.command()
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--theme", help="Only the answers with this theme (its name, any case).")
@human_errors
def export(code: str, fmt: str, out: Path | None, theme: str | None) -> None:
    """Export a consultation's answers, one row per answer (free text masked)."""
    from voicebox.storage.consultations import require_consultation
    from voicebox.storage.export import count_answers, export_chunks, export_rows
    from voicebox.storage.themes import theme_by_name

    database = _ready_database()
    info = require_consultation(database, code)
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise CommandError("an xlsx file cannot be shown here: add --out answers.xlsx")
    theme_id = None
    if theme is not None:
        with database.reading() as conn:
            theme_id = theme_by_name(conn, info.id, theme)
        if theme_id is None:
            raise CommandError(f"{info.code} has no theme called {theme!r}")
    tally = [0]
    rows = _counted(export_rows(database, info.code, theme_id=theme_id), tally)
    total = count_answers(database, info.code, theme_id=theme_id)
    if total >= LONG_EXPORT:
        rows = ExportProgress(info.code, total, sys.stderr.isatty()).rows(rows)
    chunks = export_chunks(fmt, rows, title=info.code)
    if out is None:
        sys.stdout.flush()
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    else:
        with out.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        click.echo(f"Wrote {tally[0]} answer(s) from {info.code} to {out}.", err=True)


@main.group()
def worker() -> None:
    """Manage participation workers."""


@worker.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "worker"]), required=True)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="A group the worker sees the check-ins of (made if new); give it again for more.",
)
@human_errors
def worker_create(email: str, role: str, groups: tuple[str, ...]) -> None:
    """Create a worker; the password comes from VOICEBOX_WORKER_PASSWORD or is asked for."""
    from voicebox.storage.workers import (
        create_worker,
        get_worker,
        list_groups,
        normalize_group_name,
    )

    password = _new_password()
    for name in groups:
        normalize_group_name(name)  # a bad name is refused before the password is hashed
    database = _ready_database()
    account = get_worker(database, create_worker(database, email, password, role, groups))
    ids = account.group_ids if account is not None else frozenset()
    names = [name for group_id, name in list_groups(database) if group_id in ids]
    where = f" in {', '.join(names)}" if names else ""
    click.echo(f"Created {role} {email.strip().lower()}{where}.")


def _new_password() -> str:
    """A password from VOICEBOX_WORKER_PASSWORD, else typed twice in a terminal."""
    password = os.environ.get("VOICEBOX_WORKER_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CommandError(
                "set VOICEBOX_WORKER_PASSWORD, or run this in a terminal to type one"
            )
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@worker.command("list")
@human_errors
def worker_list() -> None:
    """List the workers: email, role, on or off, and their groups."""
    from voicebox.storage.workers import list_workers

    rows = list_workers(_ready_database())
    if not rows:
        click.echo("There are no workers yet.")
    for row in rows:
        state = "" if row.active else ", turned off"
        groups = f": {', '.join(row.groups)}" if row.groups else ""
        click.echo(f"{row.email} ({row.role}{state}){groups}")


def _set_active(email: str, active: bool) -> None:
    from voicebox.storage.workers import set_worker_active, worker_id_for

    database = _ready_database()
    set_worker_active(database, worker_id_for(database, email), active)
    click.echo(f"{email.strip().lower()} is turned {'on' if active else 'off'}.")


@worker.command("off")
@click.argument("email")
@human_errors
def worker_off(email: str) -> None:
    """Turn a worker's account off: they cannot sign in, and are signed out at once."""
    _set_active(email, False)


@worker.command("on")
@click.argument("email")
@human_errors
def worker_on(email: str) -> None:
    """Turn a worker's account back on."""
    _set_active(email, True)


@worker.command("password")
@click.argument("email")
@human_errors
def worker_password(email: str) -> None:
    """Give a worker a new password (from VOICEBOX_WORKER_PASSWORD, else asked for)."""
    from voicebox.storage.workers import set_password, worker_id_for

    database = _ready_database()
    worker_id = worker_id_for(database, email)
    set_password(database, worker_id, _new_password())
    click.echo(f"{email.strip().lower()} has a new password. Their other sessions end.")


@main.group()
def group() -> None:
    """Manage groups of workers: a worker sees only their groups' check-ins."""


@group.command("create")
@click.argument("name")
@human_errors
def group_create(name: str) -> None:
    """Create a group of workers."""
    from voicebox.storage.workers import create_group, normalize_group_name

    create_group(_ready_database(), name)
    click.echo(f"Created group {normalize_group_name(name)}.")


@group.command("list")
@human_errors
def group_list() -> None:
    """List the groups."""
    from voicebox.storage.workers import list_groups

    rows = list_groups(_ready_database())
    if not rows:
        click.echo("There are no groups yet.")
    for _group_id, name in rows:
        click.echo(name)


@group.command("add")
@click.argument("name")
@click.argument("code")
@human_errors
def group_add(name: str, code: str) -> None:
    """Put the check-in CODE in the group NAME (made if new); its workers then see it."""
    from voicebox.storage.workers import normalize_group_name, set_consultation_group

    set_consultation_group(_ready_database(), code, name)
    click.echo(f"{code.strip().upper()} is now in the group {normalize_group_name(name)}.")


@group.command("contact")
@click.argument("name")
@click.argument("email", required=False)
@click.option("--remove", is_flag=True, help="Stop telling this address.")
@human_errors
def group_contact(name: str, email: str | None, remove: bool) -> None:
    """Tell EMAIL at once when a flag is raised in group NAME; with no EMAIL, list them.

    A group with no contacts has its flags sent to every admin."""
    from voicebox.storage.workers import add_group_contact, group_contacts, remove_group_contact

    database = _ready_database()
    if email is None:
        contacts = group_contacts(database, name)
        if not contacts:
            click.echo("No safeguarding contacts: this group's flags go to every admin.")
        for address in contacts:
            click.echo(address)
        return
    address = email.strip().lower()
    if remove:
        done = remove_group_contact(database, name, email)
        click.echo(f"{address} will no longer be told." if done else f"{address} was not told.")
        return
    done = add_group_contact(database, name, email)
    click.echo(
        f"{address} will be told at once about this group's safeguarding flags."
        if done
        else f"{address} is already told."
    )
