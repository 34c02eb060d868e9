"""The tables: SQLAlchemy 2.0 typed models. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from voicebox.bot.messages import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back UTC-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The base of every table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Participant(Base):
    """A person on one channel. Workers see only the pseudonym; the address is for replies."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC of channel and address
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    address: Mapped[str] = mapped_column(String(255))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    report_back: Mapped[bool] = mapped_column(Boolean, default=False)
    # The provider says nothing reaches them (a Telegram user who blocked the bot): nothing
    # is sent until they write again. Not an opt-out: their next message is read as usual.
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consultation(Base):
    """A check-in a group runs, joined by its code."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    flow_id: Mapped[str] = mapped_column(String(32))
    flow_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, closed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    intro: Mapped[str] = mapped_column(Text, default="", server_default="")  # before question 1
    # Open only from starts_at and until ends_at, when set: past its end it closes itself.
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    # What people typed is deleted this many days after it closes (None: kept).
    retain_days: Mapped[int | None] = mapped_column(Integer, default=None)


class Conversation(Base):
    """One person's run through one check-in."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_participant_latest", "participant_id", "id"),
        # Results: who took part, by channel and over time, read from the index alone.
        Index(
            "ix_conversations_took_part",
            "consultation_id",
            "consent",
            "started_at",
            "channel",
            "participant_id",
        ),
        # Results: whether anything changed since they were last counted.
        Index("ix_conversations_consultation_updated", "consultation_id", "updated_at"),
        # The conversations list: a check-in's newest first, a page at a time.
        Index("ix_conversations_newest", "consultation_id", "started_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))
    consent: Mapped[str] = mapped_column(String(8), default="pending")  # pending, given, declined
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Their answer to "Do you want to hear what we do with your answers?" in this check-in
    # (None until answered): a report-back goes by this, never by another check-in's answer.
    report_back: Mapped[bool | None] = mapped_column(Boolean, default=None)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # When its typed words were deleted (retention or an erasure): each is done once.
    text_deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Answer(Base):
    """One answer: a flat row, as in the export."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # Results: people per topic, kind and choice, counted from the index alone.
        Index(
            "ix_answers_results", "consultation_id", "kind", "topic", "answer_key", "participant_id"
        ),
        # Results: the latest words; and a check-in's answers in the order they came.
        Index("ix_answers_consultation_latest", "consultation_id", "id"),
        # Deleting a person (their answers go with them) without reading every answer.
        Index("ix_answers_participant_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    answer_key: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(64), default="")
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptMessage(Base):
    """Every message in and out of a conversation after consent, as structured rows."""

    __tablename__ = "transcript_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    # In: what the person typed ("" for a button). Out: the words, without choice lines.
    text: Mapped[str] = mapped_column(Text)
    # In: the question it was read against. Out: the step it says or asks.
    step: Mapped[str | None] = mapped_column(String(32), default=None)
    choice_key: Mapped[str | None] = mapped_column(String(300), default=None)  # in: picked
    purpose: Mapped[str | None] = mapped_column(String(16), default=None)  # out: flow, help...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafeguardingFlag(Base):
    """A phrase that means a person must read this conversation."""

    __tablename__ = "safeguarding_flags"
    __table_args__ = (Index("ix_safeguarding_flags_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(32))
    phrase: Mapped[str] = mapped_column(String(100))
    step: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), default=None)
    # When it was last alerted again because no one had marked it as seen.
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    # new (no one has read it), seen (someone is on it) or acted (done, with a note).
    status: Mapped[str] = mapped_column(String(8), default="new", server_default="new")


class FlagReview(Base):
    """One change of a flag's status: who, when, and what was done or who was told."""

    __tablename__ = "flag_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(
        ForeignKey("safeguarding_flags.id", ondelete="CASCADE"), index=True
    )
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessageId(Base):
    """A provider's message id, kept so a second delivery stores nothing."""

    __tablename__ = "inbound_message_ids"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        # Only the rows that still hold a reply: clearing day-old replies reads just these.
        Index(
            "ix_inbound_message_ids_replies",
            "received_at",
            sqlite_where=sql_text("reply IS NOT NULL"),
            postgresql_where=sql_text("reply IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # For a day after it came (storage/message_ids.py): the keyed hash of who sent it, and
    # the replies it was answered with (Voicebox's words), so a repeat hears them again.
    sender_key: Mapped[str | None] = mapped_column(String(64))
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class DatabaseFact(Base):
    """A fact the database keeps about itself, by name: the secret key's fingerprint."""

    __tablename__ = "database_facts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


PENDING = "status IN ('queued', 'sending')"  # outbox rows the dispatcher may claim
PENDING_LIVE = f"{PENDING} AND report_id IS NULL"  # replies, notices and alerts
PENDING_BULK = f"{PENDING} AND report_id IS NOT NULL"  # a report-back's messages


class OutboxMessage(Base):
    """A message waiting to be sent by a channel's sender, with retries."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # What the dispatcher claims next, in order, without sorting every pending row.
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            "id",
            postgresql_where=text(PENDING),
            sqlite_where=text(PENDING),
        ),
        # A person's newest message (which of our messages a pressed button was on).
        Index("ix_outbox_participant", "participant_id", "id"),
        # What a channel's outbox thread claims next: its own rows only, so it never steps
        # over another channel's; replies and alerts (live) before report-backs (bulk), so a
        # young person's reply never waits behind 100,000 report-back messages.
        Index(
            "ix_outbox_pending_live",
            "channel",
            "next_attempt_at",
            "id",
            postgresql_where=text(PENDING_LIVE),
            sqlite_where=text(PENDING_LIVE),
        ),
        Index(
            "ix_outbox_pending_bulk",
            "channel",
            "next_attempt_at",
            "id",
            postgresql_where=text(PENDING_BULK),
            sqlite_where=text(PENDING_BULK),
        ),
        # A report-back's messages, counted by what became of them.
        Index(
            "ix_outbox_report",
            "report_id",
            "status",
            postgresql_where=text("report_id IS NOT NULL"),
            sqlite_where=text("report_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # A young person's message has a participant (whose address it goes to); a safeguarding
    # alert to a worker has none, only its own address and the flag it is about.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE")
    )
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    flag_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # A report-back's messages carry its report, for the live counts of what was sent.
    report_id: Mapped[int | None] = mapped_column(Integer, default=None)
    body: Mapped[dict[str, Any]] = mapped_column()  # the OutboundMessage, as JSON
    purpose: Mapped[str] = mapped_column(String(16), default="reply")
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    provider_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # What the provider reports after sending (queued, sending, sent, delivered, undelivered,
    # failed, canceled); it only moves forward. The provider's error code, if any.
    delivery_status: Mapped[str | None] = mapped_column(String(12), default=None)
    delivery_error: Mapped[str | None] = mapped_column(String(16), default=None)
    # The send may have reached the provider (a timeout, a lost answer, a process that died
    # mid-send): ask the provider before sending again. While `sending`, next_attempt_at is
    # the end of the claim's lease.
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Notice(Base):
    """A notice said at most once in a while to one address (a group told to talk
    privately): kept as a keyed hash, never the address."""

    __tablename__ = "notices"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    said_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimit(Base):
    """When a provider's next send may go, shared by every process (one row per limit)."""

    __tablename__ = "rate_limits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch


class Worker(Base):
    """A participation worker who signs in to the workers' area."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(8))  # admin, worker
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Base):
    """A team of workers, such as a youth group or a council's participation team."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerGroup(Base):
    """A worker's place in a group."""

    __tablename__ = "worker_groups"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ConsultationGroup(Base):
    """The group that runs a check-in: only its workers (and admins) see its answers."""

    __tablename__ = "consultation_groups"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)


class GroupContact(Base):
    """An email address told at once when a flag is raised in one of the group's check-ins."""

    __tablename__ = "group_contacts"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInFailure(Base):
    """Failed sign-ins for one account or one network address, kept only as a keyed hash."""

    __tablename__ = "sign_in_failures"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class Theme(Base):
    """A theme workers gave some of a check-in's answers, such as "Buses are late"."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("consultation_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80))  # the name folded: one "Buses" a check-in
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerTheme(Base):
    """One answer tagged with one theme."""

    __tablename__ = "answer_themes"
    __table_args__ = (Index("ix_answer_themes_theme", "theme_id", "answer_id"),)

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )


class Report(Base):
    """A check-in's "You said, we did": its themes answered, and when it was sent back."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), unique=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # its page open to anyone
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_by: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL"), default=None
    )


class ReportItem(Base):
    """One theme in a report: what young people said, what was done, what happens next."""

    __tablename__ = "report_items"
    __table_args__ = (UniqueConstraint("report_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"))
    said: Mapped[str] = mapped_column(Text, default="")
    did: Mapped[str] = mapped_column(Text, default="")
    next: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(8), default="planned")  # planned, doing, done
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReportDelivery(Base):
    """A report sent back to one person: at most once (the key), on their own channel.

    Its messages are outbox rows with this report_id: sent by text or Telegram, shown by
    the web chat when the person next opens a check-in page."""

    __tablename__ = "report_deliveries"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))  # new while being queued, then queued
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what in the workers' area, and when: never what anyone wrote or said.

    `worker_email` is kept as text so an entry outlives the account."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL"), index=True, default=None
    )
    worker_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))  # see storage/audit.py ACTIONS
    consultation_code: Mapped[str | None] = mapped_column(String(32), default=None)
    target: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Erasure(Base):
    """A person erased on request: who did it, when, and how much went (counts only)."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL"), default=None
    )
    participant_id: Mapped[int] = mapped_column(Integer)  # the row left, now "Erased-..."
    conversations: Mapped[int] = mapped_column(Integer)
    answers: Mapped[int] = mapped_column(Integer)  # typed answers deleted
    messages: Mapped[int] = mapped_column(Integer)  # transcript messages deleted
    flags: Mapped[int] = mapped_column(Integer)  # closed safeguarding flags deleted
    waiting: Mapped[int] = mapped_column(Integer)  # messages to them in the outbox deleted
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


def table(model: type[Base]) -> Table:
    """A model's Core table, for the statements SQLAlchemy Core runs on the hot path."""
    return cast(Table, model.__table__)
