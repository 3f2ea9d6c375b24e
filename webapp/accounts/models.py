"""People, their roles, and the relations between them (caseload, buddy match)."""
from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, now_utc


def enum_column(enum_class: type[StrEnum]) -> Enum:
    """A portable string column holding one of the enum's values."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        name=enum_class.__name__.lower(),
    )


class Role(StrEnum):
    PARTICIPANT = "participant"
    COACH = "coach"
    BUDDY = "buddy"
    ADMIN = "admin"


def new_session_nonce() -> str:
    return secrets.token_hex(8)


class User(UserMixin, db.Model):
    """Anyone who signs in. Participants use phone + PIN, staff e-mail + password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str | None] = mapped_column(String(8))
    # None: the default for the language (on unless the person reads the app in Dutch).
    show_dutch_words: Mapped[bool | None]
    # Which activity kinds to be reminded of; None means the defaults (see notify.planner).
    reminder_kinds: Mapped[list | None] = mapped_column(JSON)
    # Reminders on the lock screen say what and where only when the person chose so (else: "Mijn Week").
    notification_details: Mapped[bool] = mapped_column(default=False, server_default="0")
    # A buddy sees a participant's phone number only when the participant chose so.
    shares_phone_with_buddy: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # A strong hash of the staff password or of the participant's PIN.
    secret_hash: Mapped[str | None] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the login cookie: changing it signs the person out on every device.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    # Raised whenever anything on the person's week page changes (schedule.week_cache).
    page_version: Mapped[int] = mapped_column(default=0, server_default="0")
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    created_by: Mapped[User | None] = relationship(remote_side=[id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def first_name(self) -> str:
        return self.display_name.split()[0] if self.display_name else ""

    def is_locked(self, at: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > at


class CoachAssignment(db.Model):
    """A participant in a coach's caseload, from `since` until `until` (open = current)."""

    __tablename__ = "coach_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    coach: Mapped[User] = relationship(foreign_keys=[coach_id])
    participant: Mapped[User] = relationship(foreign_keys=[participant_id])


class BuddyMatch(db.Model):
    """A taalmaatje (buddy) matched with a participant."""

    __tablename__ = "buddy_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    buddy_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    buddy: Mapped[User] = relationship(foreign_keys=[buddy_id])
    participant: Mapped[User] = relationship(foreign_keys=[participant_id])


class ActivationToken(db.Model):
    """A one-time link a coach gives a participant to set language and PIN."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a SHA-256 of the token is kept: a database leak gives no working links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
