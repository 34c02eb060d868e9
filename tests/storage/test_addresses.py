"""Participants' addresses sealed at rest: the seal, the database file's bytes, the
dispatcher meeting an address that will not open, and migration 0019 both ways."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from tests.conftest import SECRET
from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage, OutboundMessage, utcnow
from voicebox.channels.registry import build_channels
from voicebox.serving import start_up
from voicebox.settings import Settings
from voicebox.storage import outbox
from voicebox.storage.addresses import (
    BATCH,
    NOT_SEALED,
    PREFIX,
    UNREADABLE,
    AddressSeal,
    UnreadableAddress,
    seal_plain_addresses,
    seal_plain_rows,
    unlock,
)
from voicebox.storage.consultations import ensure_demo
from voicebox.storage.database import MIGRATIONS_DIR, Database
from voicebox.storage.dispatcher import Dispatcher
from voicebox.storage.models import OutboxMessage, Participant
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.store import SqlStore

PHONE = "+447700900123"
CHAT_ID = "5550198273"  # digits that appear nowhere else in the file
WEB_ID = "Zq8rWv3nLp5tXy7bKc9dMf"
# What must never be found in the file: each address whole, and the number on its own.
PLAIN = [f"sms:{PHONE}", PHONE, "7700900123", f"telegram:{CHAT_ID}", CHAT_ID, WEB_ID]
KEY_HASH = "k" * 64


def _alembic(database: Database, target: str, down: bool = False, seal=None) -> None:
    """Run Alembic as `Database.upgrade` does, with the seal in the config's attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["addresses"] = seal
        (command.downgrade if down else command.upgrade)(config, target)


def _file_bytes(database: Database) -> bytes:
    """The SQLite file and its write-ahead log, as a copy of them would hold."""
    assert database.file is not None
    parts = [database.file, Path(f"{database.file}-wal")]
    return b"".join(path.read_bytes() for path in parts if path.exists())


def _plain_found(data: bytes) -> list[str]:
    return [plain for plain in PLAIN if plain.encode() in data]


def _kept(database: Database) -> list[tuple[str, str, str]]:
    """(channel, key hash, address as kept) for every participant, in id order."""
    with database.reading() as conn:
        rows = conn.execute(
            select(Participant.channel, Participant.key_hash, Participant.address).order_by(
                Participant.id
            )
        ).all()
    return [tuple(row) for row in rows]


def _add_plain(database: Database, count: int) -> dict[str, str]:
    """Participants as a schema before 0019 kept them (written in SQL): key hash -> address."""
    now = utcnow()
    rows = [
        {
            "channel": "sms",
            "key_hash": address_key(SECRET, "sms", f"sms:+4477009{n:05d}"),
            "pseudonym": f"Otter-{n}",
            "address": f"sms:+4477009{n:05d}",
            "opted_out": False,
            "report_back": False,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    rows[0]["address"] = f"sms:{PHONE}"
    with database.transaction() as conn:
        conn.execute(insert(Participant.__table__), rows)
    return {row["key_hash"]: row["address"] for row in rows}


def test_a_sealed_address_opens_only_with_its_key_and_its_row():
    """v1: and no plain digits; a new nonce each time; another key or row will not open it."""
    seal = AddressSeal(SECRET)
    kept = seal.seal(f"sms:{PHONE}", KEY_HASH)
    assert kept.startswith(PREFIX) and not _plain_found(kept.encode())
    assert len(kept) <= 255  # the column's size, for the longest address a channel takes
    assert len(seal.seal("sms:" + "9" * 64, KEY_HASH)) <= 255
    assert seal.seal(f"sms:{PHONE}", KEY_HASH) != kept
    assert seal.open(kept, KEY_HASH) == f"sms:{PHONE}"
    assert AddressSeal(SECRET).open(kept, KEY_HASH) == f"sms:{PHONE}"  # the key is derived
    damaged = kept[:-2] + ("A" if kept[-2] != "A" else "B") + kept[-1]
    for opener, form, row in [
        (AddressSeal(b"another-secret-key"), kept, KEY_HASH),
        (seal, kept, "j" * 64),  # moved onto another person's row
        (seal, damaged, KEY_HASH),
        (seal, PREFIX + "not base64 at all!", KEY_HASH),
        (seal, PREFIX, KEY_HASH),
        (seal, f"sms:{PHONE}", KEY_HASH),  # plain: not a form this code writes
    ]:
        with pytest.raises(UnreadableAddress):
            opener.open(form, row)


def test_the_sqlite_file_holds_no_plain_address_after_messages_arrive(sqlite_database, flows):
    """Texts, Telegram and web visitors write in; neither the file nor its WAL shows them."""
    ensure_demo(sqlite_database, flows)
    engine = Engine(flows.values(), SqlStore(sqlite_database, SECRET))
    people = [
        ("sms", f"sms:{PHONE}"),
        ("telegram", f"telegram:{CHAT_ID}"),
        ("web", f"web:{WEB_ID}"),
    ]
    for channel, address in people:
        for number, text in enumerate(["DEMO", "1", "2", "My room", "STOP", "START"]):
            message_id = f"{channel}-{number}"  # a provider's id, not the address
            engine.handle(InboundMessage(channel, address, text, message_id=message_id))
    kept = _kept(sqlite_database)
    assert len(kept) == 3 and all(row[2].startswith(PREFIX) for row in kept)
    assert _plain_found(_file_bytes(sqlite_database)) == []  # the WAL still holds the writes
    sqlite_database.fold_wal()
    assert _plain_found(_file_bytes(sqlite_database)) == []


def test_every_database_keeps_addresses_sealed(engine):
    """On SQLite and PostgreSQL the column holds the sealed form, which opens to the address."""
    for number, text in enumerate(["DEMO", "1"]):
        engine.handle(InboundMessage("sms", f"sms:{PHONE}", text, message_id=f"m{number}"))
    ((channel, key_hash, kept),) = _kept(engine.store.database)
    assert kept.startswith(PREFIX) and PHONE not in kept
    assert AddressSeal(SECRET).open(kept, key_hash) == f"sms:{PHONE}"


class Recording:
    """A channel's sender for the test: it records where each message went."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, address: str, message: OutboundMessage) -> str:
        self.sent.append(address)
        return f"SM{len(self.sent)}"


def test_an_address_that_will_not_open_fails_its_message_quietly(store, caplog):
    """Another key's, or one written plain around the store: no traceback, the reason on
    the row, nothing logged that holds the address; the next person's message still goes."""
    stranger = AddressSeal(b"a key this database never had")
    people = [
        (KEY_HASH, stranger.seal(f"sms:{PHONE}", KEY_HASH)),
        ("p" * 64, "sms:+447700900125"),  # plain
        ("j" * 64, store.addresses.seal("sms:+447700900124", "j" * 64)),
    ]
    now = utcnow()
    with store.database.transaction() as conn:
        for n, (key_hash, kept) in enumerate(people):
            person = conn.execute(
                insert(Participant.__table__).returning(Participant.id),
                {
                    "channel": "sms",
                    "key_hash": key_hash,
                    "pseudonym": f"Otter-{n}",
                    "address": kept,
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            outbox.enqueue(conn, person, "sms", [OutboundMessage("You said, we did")])
    sender = Recording()
    with caplog.at_level(logging.DEBUG):
        assert Dispatcher(store.database, {"sms": sender}).run_once() == 3
    assert sender.sent == ["sms:+447700900124"]
    with store.database.reading() as conn:
        rows = conn.execute(
            select(OutboxMessage.status, OutboxMessage.last_error).order_by(OutboxMessage.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("failed", UNREADABLE),
        ("failed", NOT_SEALED),
        ("sent", None),
    ]
    assert not any(record.exc_info for record in caplog.records)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert UNREADABLE in logged and NOT_SEALED in logged
    assert "7700900" not in logged and PREFIX not in logged


def test_migration_0019_seals_old_rows_and_its_downgrade_opens_them(database):
    """In batches, on SQLite and PostgreSQL; a row already sealed is left as it is; a second
    run changes nothing; without the key the rows wait for `voicebox serve`."""
    seal = AddressSeal(SECRET)
    _alembic(database, "0016", down=True)
    old = _add_plain(database, BATCH + 3)  # more than one batch
    already = seal.seal("sms:+447700999999", "s" * 64)
    with database.transaction() as conn:
        conn.execute(
            insert(Participant.__table__),
            {**_row("s" * 64, "Otter-sealed"), "address": already},
        )
    _alembic(database, "head", seal=seal)
    kept = _kept(database)
    assert all(address.startswith(PREFIX) for _channel, _key, address in kept)
    assert {key: seal.open(address, key) for _channel, key, address in kept[:-1]} == old
    assert kept[-1][2] == already  # left alone
    with database.transaction() as conn:
        assert seal_plain_rows(conn, seal) == 0  # twice is safe
    assert _kept(database) == kept

    with pytest.raises(RuntimeError, match="VOICEBOX_SECRET_KEY"):
        _alembic(database, "0016", down=True)  # no key: it cannot open them
    _alembic(database, "0016", down=True, seal=seal)
    opened = _kept(database)
    assert {key: address for _channel, key, address in opened[:-1]} == old
    assert opened[-1][2] == "sms:+447700999999"

    _alembic(database, "head")  # a command that needs no key upgraded first
    assert _kept(database) == opened
    unlock(database, SECRET)
    assert seal_plain_addresses(database) == BATCH + 4  # what `voicebox serve` does at start
    assert all(address.startswith(PREFIX) for _channel, _key, address in _kept(database))


def _row(key_hash: str, pseudonym: str) -> dict:
    now = utcnow()
    return {
        "channel": "sms",
        "key_hash": key_hash,
        "pseudonym": pseudonym,
        "opted_out": False,
        "report_back": False,
        "created_at": now,
        "updated_at": now,
    }


def test_voicebox_serve_seals_old_rows_and_the_file_keeps_no_plain_copy(tmp_path):
    """An old SQLite database with plain addresses, started by `voicebox serve`'s start-up:
    its file and WAL hold no plain number afterwards."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Database(url)
    _alembic(old, "0016")
    old_rows = _add_plain(old, 10)  # a page of them: the sealed rows move, the old bytes stay
    assert all(address.encode() in _file_bytes(old) for address in old_rows.values())
    old.dispose()
    settings = Settings(database_url=url, secret_key=SECRET.decode())
    services = start_up(settings, build_channels({}), demo=False)
    try:
        kept = _kept(services.database)
        assert {key: services.store.addresses.open(a, key) for _c, key, a in kept} == old_rows
        assert not [a for a in old_rows.values() if a.encode() in _file_bytes(services.database)]
    finally:
        services.database.dispose()
    assert not [a for a in old_rows.values() if a.encode() in _file_bytes(services.database)]


@pytest.mark.parametrize("scrub", [True, False])
def test_sealing_on_sqlite_zeroes_the_old_plain_bytes(sqlite_database, scrub):
    """Even where SQLite is built without secure_delete on (it is on in Debian's build), the
    space the plain rows leave is zeroed: no copy stays in the file's free space."""
    database = sqlite_database
    with database.transaction() as conn:
        conn.exec_driver_sql("PRAGMA secure_delete = OFF")  # as many builds have it
    old = _add_plain(database, 10)
    with database.transaction() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 0
        seal_plain_rows(conn, AddressSeal(SECRET), scrub=scrub)
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 0  # as it was
    database.fold_wal()
    data = _file_bytes(database)
    left = [address for address in old.values() if address.encode() in data]
    assert (left == []) is scrub  # and the test sees them when they are there
