"""ORM models. Schema changes go through Alembic (bot/migrations)."""

from __future__ import annotations

import datetime as dt
from typing import List, Optional

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship

Base = declarative_base()


def utcnow() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.timezone.utc)


class Turn(Base):
    """One message of a conversation, in or out, on any channel."""

    __tablename__ = "transcript_turns"

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(64), nullable=False, index=True)
    channel: Mapped[str] = Column(String(16), nullable=False)
    timestamp: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    direction: Mapped[str] = Column(String(3), nullable=False)  # "in" / "out"
    language: Mapped[Optional[str]] = Column(String(8))
    text: Mapped[str] = Column(Text, nullable=False, default="")
    intent: Mapped[Optional[str]] = Column(String(64))
    confidence: Mapped[Optional[float]] = Column(Float)
    case_ref: Mapped[Optional[str]] = Column(String(32), index=True)
    buttons: Mapped[Optional[str]] = Column(Text)  # JSON: offered (out) / pressed (in)
    attachments: Mapped[int] = Column(Integer, nullable=False, default=0)


class Case(Base):
    """A client's complaint."""

    __tablename__ = "cases"

    id: Mapped[int] = Column(Integer, primary_key=True)
    ref: Mapped[str] = Column(String(32), nullable=False, unique=True)
    conversation_id: Mapped[str] = Column(String(64), nullable=False, index=True)
    status: Mapped[str] = Column(String(16), nullable=False, default="new", index=True)
    dispute_type: Mapped[Optional[str]] = Column(String(32))
    language: Mapped[str] = Column(String(8), nullable=False, default="fr")
    jurisdiction: Mapped[Optional[str]] = Column(String(4))
    studio_name: Mapped[Optional[str]] = Column(String(200))
    shoot_date: Mapped[Optional[str]] = Column(String(100))
    description: Mapped[str] = Column(Text, nullable=False, default="")
    desired_resolution: Mapped[Optional[str]] = Column(String(64))
    contact: Mapped[Optional[str]] = Column(String(200))
    handoff: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    # set by the retention job (bot/retention.py) when the personal data was removed
    anonymised_at: Mapped[Optional[dt.datetime]] = Column(DateTime(timezone=True))
    attachments: Mapped[List["Attachment"]] = relationship(
        "Attachment", back_populates="case", cascade="all, delete-orphan"
    )
    events: Mapped[List["CaseEvent"]] = relationship(
        "CaseEvent",
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="CaseEvent.at",
    )


class Attachment(Base):
    """An evidence file of a case (stored under a generated name)."""

    __tablename__ = "attachments"

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    stored_name: Mapped[str] = Column(String(80), nullable=False, unique=True)
    content_type: Mapped[str] = Column(String(64), nullable=False)
    size: Mapped[int] = Column(Integer, nullable=False)
    created_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    case: Mapped["Case"] = relationship("Case", back_populates="attachments")


class CaseEvent(Base):
    """A status change or note on a case: who, when, what."""

    __tablename__ = "case_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    actor: Mapped[str] = Column(String(64), nullable=False)
    from_status: Mapped[Optional[str]] = Column(String(16))
    to_status: Mapped[Optional[str]] = Column(String(16))
    note: Mapped[Optional[str]] = Column(Text)
    case: Mapped["Case"] = relationship("Case", back_populates="events")


class InboxUpdate(Base):
    """A Telegram update, written before it is processed (none lost, none doubled)."""

    __tablename__ = "inbox_updates"
    __table_args__ = (UniqueConstraint("update_id", name="uq_inbox_update_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    update_id: Mapped[int] = Column(Integer, nullable=False)
    chat_id: Mapped[Optional[str]] = Column(String(32), index=True)
    payload: Mapped[str] = Column(Text, nullable=False)
    received_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    done_at: Mapped[Optional[dt.datetime]] = Column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)


# --- staff console (issue 6) -------------------------------------------------------

from sqlalchemy import Index  # noqa: E402

# list and search pages of the console: a conversation's turns in time order, and the
# newest turns first across conversations
Index("ix_turns_conversation_time", Turn.conversation_id, Turn.timestamp)
Index("ix_turns_language", Turn.language)
Index("ix_turns_intent", Turn.intent)
Index("ix_cases_created_at", Case.created_at)


class StaffUser(Base):
    """A staff console user: argon2id password hash and a role (viewer, agent, admin)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(200), nullable=False)
    role: Mapped[str] = Column(String(8), nullable=False)
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class StaffSession(Base):
    """A server-side console session; the cookie holds a random token, this row its hash."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = Column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = Column(
        Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    expires_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[Optional[dt.datetime]] = Column(DateTime(timezone=True))
    user: Mapped["StaffUser"] = relationship("StaffUser")


class AuditLog(Base):
    """Who did what to which object, and when (views, exports, deletions, changes)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    staff_user: Mapped[str] = Column(String(64), nullable=False, index=True)
    action: Mapped[str] = Column(String(32), nullable=False, index=True)
    object_type: Mapped[Optional[str]] = Column(String(32))
    object_id: Mapped[Optional[str]] = Column(String(200))
    detail: Mapped[Optional[str]] = Column(Text)


class CaseNote(Base):
    """A private staff note on a case (never shown to the client)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author: Mapped[str] = Column(String(64), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class CaseAssignment(Base):
    """The staff user a case is assigned to (one row per case)."""

    __tablename__ = "case_assignments"

    case_id: Mapped[int] = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    assignee: Mapped[str] = Column(String(64), nullable=False, index=True)
    assigned_by: Mapped[str] = Column(String(64), nullable=False)
    at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class StaffReply(Base):
    """A message a staff member sent to the client, and whether Telegram took it."""

    __tablename__ = "staff_replies"

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author: Mapped[str] = Column(String(64), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    delivered: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    error: Mapped[Optional[str]] = Column(String(300))
    at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Reminder(Base):
    """A follow-up the photographer asked for ("check back in N days"), sent once by
    the Telegram adapter when due (`sent_at` set after the message went out)."""

    __tablename__ = "reminders"

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(64), nullable=False, index=True)
    channel: Mapped[str] = Column(String(16), nullable=False, default="telegram")
    due_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False, index=True)
    language: Mapped[str] = Column(String(8), nullable=False, default="fr")
    step: Mapped[str] = Column(String(16), nullable=False)
    created_at: Mapped[dt.datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    sent_at: Mapped[Optional[dt.datetime]] = Column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
