"""Running `voicebox serve`: start-up under the database's lock, waitress with its limits, a
clean stop on SIGTERM, and several worker processes sharing one listening socket."""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import Any

import click
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.trigger import trigger

from voicebox.app import build_senders, build_services, create_app
from voicebox.channels.base import Channel
from voicebox.settings import SQLITE_THREADS, THREADS, Settings, SettingsError
from voicebox.storage.addresses import seal_plain_addresses
from voicebox.storage.alerts import EMAIL, WEBHOOK, duration, reminder_job
from voicebox.storage.consultations import ensure_demo
from voicebox.storage.database import DatabaseError
from voicebox.storage.dispatcher import Dispatchers
from voicebox.storage.retention import retention_job
from voicebox.storage.secret_key import remember_key
from voicebox.storage.services import Services

log = logging.getLogger("voicebox")

GRACE = 10.0  # seconds requests in flight get to finish after SIGTERM
DISPATCHER_STOP = 5.0  # seconds the outbox's thread gets to finish what it is sending
SPARE_FILES = 100  # files kept free beside the connections: database, logs, templates
RESTART_PAUSE = 1.0  # seconds before a worker process that died is started again
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
WORKERS_NEED_POSTGRES = (
    "--workers needs PostgreSQL (VOICEBOX_DATABASE_URL). SQLite writes one message at a time, "
    "so more processes would only wait for each other: use --threads instead."
)


@dataclass(frozen=True)
class ServeOptions:
    """What `voicebox serve` was asked for on its command line."""

    host: str
    port: int
    demo: bool
    threads: int | None
    workers: int = 1


def start_up(settings: Settings, channels: Mapping[str, Channel], demo: bool) -> Services:
    """Build the services, then upgrade the schema, keep the key's fingerprint and make the
    demo under the start-up lock: processes starting together do it one after another."""
    services = build_services(settings, channels)
    database = services.database
    with database.startup_lock():
        database.upgrade()
        remember_key(database, services.secret)
        # Addresses an upgrade without the key left plain (storage/addresses.py).
        sealed = seal_plain_addresses(database)
        if sealed:
            log.info("sealed %s addresses kept plain", sealed)
        if demo and ensure_demo(database, services.engine.flows):
            log.info("created the demo check-in DEMO")
    return services


def serve(settings: Settings, channels: Mapping[str, Channel], options: ServeOptions) -> None:
    """Start up, say where, and serve until SIGTERM or Ctrl+C (in one process or several)."""
    if options.workers > 1 and settings.uses_sqlite():
        raise SettingsError(WORKERS_NEED_POSTGRES)
    services = start_up(settings, channels, options.demo)
    threads = options.threads or (SQLITE_THREADS if services.database.is_sqlite else THREADS)
    limit = fit_connection_limit(settings.connection_limit)
    # waitress warns "Task queue depth is N" whenever requests wait for a free thread: with
    # few threads, that is every busy moment, not a problem worth a log line.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if options.workers == 1:
        app = create_app(settings=settings, services=services, channels=channels)
        senders = build_senders(services, channels)
        server = make_server(app, settings, threads, limit, host=options.host, port=options.port)
        _banner(settings, options, senders, services.store.alert_routes.remind_after)
        run_until_stopped(server, services, senders)
        return
    services.database.dispose()  # no connection may be shared with the children
    listening = socket.create_server(
        (options.host, options.port),
        family=socket.AF_INET6 if ":" in options.host else socket.AF_INET,
        backlog=2048,
    )
    remind_after = services.store.alert_routes.remind_after
    _banner(settings, options, build_senders(services, channels), remind_after)
    WorkerProcesses(
        options.workers, lambda: _child(settings, channels, listening, threads, limit)
    ).run(listening)


def fit_connection_limit(wanted: int) -> int:
    """Raise the open-file limit to fit `wanted` connections (up to the hard limit); return
    how many connections fit, with a warning when that is fewer."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < need:
        raised = need if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (OSError, ValueError):
            pass
    if soft != resource.RLIM_INFINITY and soft < need:
        fits = max(10, soft - SPARE_FILES)
        log.warning(
            "this process may open only %d files: allowing %d connections, not %d "
            "(raise the limit with `ulimit -n`)",
            soft,
            fits,
            wanted,
        )
        return fits
    return wanted


def make_server(
    app: Any,
    settings: Settings,
    threads: int,
    connection_limit: int,
    host: str | None = None,
    port: int | None = None,
    sock: socket.socket | None = None,
) -> Any:
    """waitress with our limits: poll() (select() stops at 1,024 files), the connection limit
    and the idle timeout from the settings, on host:port or on a socket already listening."""
    where: dict[str, Any] = (
        {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
    )
    return create_server(
        app,
        threads=threads,
        ident="voicebox",
        connection_limit=connection_limit,
        channel_timeout=settings.idle_timeout,
        cleanup_interval=max(1, min(30, settings.idle_timeout // 2)),
        asyncore_use_poll=True,
        backlog=2048,
        **where,
    )


def run_until_stopped(server: Any, services: Services, senders: Mapping[str, Any]) -> None:
    """Serve, with the outbox, retention and flag reminders in the background, until
    SIGTERM or SIGINT; then stop taking connections, let requests in flight finish (up to
    GRACE seconds), stop the background threads and close the database."""
    socket_map: dict[int, Any] = server.map if hasattr(server, "map") else server._map
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()
        for dispatcher in list(socket_map.values()):
            if isinstance(dispatcher, trigger):
                dispatcher.pull_trigger()  # wake the loop now, not at its next timeout

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    outbox = Dispatchers(services.database, senders, services.bell)
    jobs = [retention_job(services.database, services.engine.flows).start()]
    reminders = reminder_job(services.database, services.store.alert_routes)
    if reminders is not None:
        jobs.append(reminders.start())
    try:
        while not stopping.is_set():
            wasyncore.loop(timeout=1.0, map=socket_map, use_poll=True, count=1)
        for dispatcher in list(socket_map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                wasyncore.dispatcher.close(dispatcher)  # new connections are refused
        deadline = time.monotonic() + GRACE
        while _busy(socket_map) and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.1, map=socket_map, use_poll=True, count=1)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=DISPATCHER_STOP)
        wasyncore.close_all(socket_map)
    finally:
        outbox.stop(timeout=DISPATCHER_STOP)
        for job in jobs:
            job.stop(timeout=DISPATCHER_STOP)
        services.database.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _busy(socket_map: Mapping[int, Any]) -> bool:
    """True while a connection has a request coming in, being answered, or still to send."""
    return any(
        isinstance(channel, HTTPChannel)
        and (channel.requests or channel.request is not None or channel.total_outbufs_len)
        for channel in list(socket_map.values())
    )


def _child(
    settings: Settings,
    channels: Mapping[str, Channel],
    listening: socket.socket,
    threads: int,
    limit: int,
) -> None:
    """One worker process: its own database pool, app, outbox thread and waitress."""
    services = build_services(settings, channels)
    app = create_app(settings=settings, services=services, channels=channels)
    server = make_server(app, settings, threads, limit, sock=listening)
    run_until_stopped(server, services, build_senders(services, channels))


class WorkerProcesses:
    """The parent of `serve --workers N`: forks N children, starts another when one dies,
    and passes SIGTERM and SIGINT on to them."""

    def __init__(self, count: int, work: Callable[[], None]) -> None:
        self.count = count
        self.work = work
        self.children: set[int] = set()
        self.stopping = False

    def run(self, listening: socket.socket) -> None:
        """Keep `count` children running until asked to stop; then stop them all."""
        previous = {sig: signal.signal(sig, self._stop) for sig in STOP_SIGNALS}
        try:
            for _ in range(self.count):
                self._fork()
            while not self.stopping:
                self._reap_and_replace()
                time.sleep(0.2)
        finally:
            listening.close()  # with every child's copy closed too, connections are refused
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _fork(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: serve, then leave without running the parent's clean-up
            code = 0
            try:
                for sig in STOP_SIGNALS:
                    signal.signal(sig, signal.SIG_DFL)
                self.work()
            except (DatabaseError, SettingsError) as exc:  # one line says it all
                log.error("a worker process stopped: %s", exc)
                code = 1
            except BaseException:
                log.exception("a worker process failed")
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children.add(pid)

    def _reap_and_replace(self) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            if pid not in self.children:
                continue
            self.children.discard(pid)
            if self.stopping:
                return
            log.warning(
                "worker process %d stopped (exit code %d): starting another",
                pid,
                os.waitstatus_to_exitcode(status),
            )
            time.sleep(RESTART_PAUSE)
            self._fork()

    def _stop_children(self) -> None:
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE + DISPATCHER_STOP + 5
        while self.children and time.monotonic() < deadline:
            pid, _status = os.waitpid(-1, os.WNOHANG)
            if pid:
                self.children.discard(pid)
            else:
                time.sleep(0.05)
        for pid in self.children:
            log.warning("worker process %d did not stop: killing it", pid)
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.children.clear()


def _signal(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def _banner(
    settings: Settings,
    options: ServeOptions,
    senders: Mapping[str, Any],
    remind_after: timedelta | None,
) -> None:
    """Where it runs, what it sends, and how alerts leave."""
    shown = f"[{options.host}]" if ":" in options.host else options.host
    click.echo(f"Voicebox is running at http://{shown}:{options.port}/")
    if options.workers > 1:
        click.echo(f"It runs in {options.workers} worker processes.")
    if options.demo:
        click.echo(f"Try the demo check-in at http://{shown}:{options.port}/c/DEMO")
    channels_sending = sorted(set(senders) - {EMAIL, WEBHOOK})
    if channels_sending:
        click.echo(f"Sending queued messages for: {', '.join(channels_sending)}")
    alerts = [way for way in (EMAIL, WEBHOOK) if way in senders]
    if alerts:
        click.echo(f"Safeguarding alerts go out by: {' and '.join(alerts)}")
        if not settings.public_url:
            click.echo("Set VOICEBOX_PUBLIC_URL so that alerts hold a whole link to the flag.")
        if remind_after is not None:
            click.echo(
                f"A flag no one marks as seen is alerted again after {duration(remind_after)}."
            )
    else:
        click.echo(
            "Safeguarding alerts are off: set VOICEBOX_SMTP_HOST to email them. "
            "New flags still show in the workers' area."
        )
    click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
