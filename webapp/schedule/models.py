"""Organisations, locations, events, recurring series and attendance."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User, enum_column
from ..extensions import db
from ..phrases.wording import EMPTY, Wording, WordingType
from ..timeutil import UTCDateTime, now_utc


class EventKind(StrEnum):
    LANGUAGE_CLASS = "language_class"
    WORK = "work"
    CONNECTION_CAFE = "connection_cafe"
    COACH_APPOINTMENT = "coach_appointment"
    BUDDY_MEETING = "buddy_meeting"
    TRAINING = "training"
    OTHER = "other"


# Kinds where the participant is asked "I'll come" / "I can't come".
KINDS_ASKING_FOR_ANSWER = frozenset(
    {EventKind.COACH_APPOINTMENT, EventKind.BUDDY_MEETING, EventKind.CONNECTION_CAFE}
)


class AttendanceStatus(StrEnum):
    """The person's own answer, given in advance."""

    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Presence(StrEnum):
    """What the organiser saw afterwards."""

    ATTENDED = "attended"
    ABSENT = "absent"


class Outcome(StrEnum):
    """How an activity went for one person; four things that are never counted together."""

    ATTENDED = "attended"
    EXCUSED = "excused"  # said in advance they could not come, and did not come
    ABSENT = "absent"
    CANCELLED = "cancelled"


class DeclineReason(StrEnum):
    """Why someone can't come, in words every coach reads in their own language."""

    SICK = "sick"
    CHILD_ILL = "child_ill"
    DOCTOR = "doctor"  # a doctor's or hospital appointment
    AUTHORITY = "authority"  # an appointment with the municipality, IND or DUO
    NO_TRANSPORT = "no_transport"
    WORK = "work"
    FORGOT = "forgot"
    OTHER = "other"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    directions: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation | None] = relationship()

    @property
    def map_query(self) -> str:
        return ", ".join(part for part in (self.address, self.city) if part)


class ActivityFields:
    """What a series and each of its occurrences both describe."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    title: Mapped[str] = mapped_column(String(160), default="")
    # Phrases and maybe own text for the participants (phrases/wording.py), never rendered text.
    note: Mapped[Wording] = mapped_column(WordingType, default=EMPTY)
    # A CLDR language code when an interpreter for that language will be there.
    interpreter_language: Mapped[str | None] = mapped_column(String(16))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Series(ActivityFields, db.Model):
    """A recurring activity: an RFC 5545 RRULE in Amsterdam wall-clock time."""

    __tablename__ = "series"

    rrule: Mapped[str] = mapped_column(String(500))
    # Naive local wall-clock start of the first occurrence: recurrence happens in local time.
    first_start_local: Mapped[datetime]
    duration_minutes: Mapped[int]
    expanded_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    location: Mapped[Location | None] = relationship()
    organiser: Mapped[User | None] = relationship()
    members: Mapped[list[SeriesMember]] = relationship(
        back_populates="series", cascade="all, delete-orphan"
    )


class SeriesMember(db.Model):
    """Someone who is invited to every occurrence of a series."""

    __tablename__ = "series_members"

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

    series: Mapped[Series] = relationship(back_populates="members")


class Event(ActivityFields, db.Model):
    """One occurrence in someone's week (one-off, or expanded from a series)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("series_id", "recurrence_at"),
        Index("ix_events_span", "starts_at", "ends_at"),
    )

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    # The start the series gave this occurrence (RFC 5545 RECURRENCE-ID), even after a move.
    recurrence_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the time changed after people were invited, so the week can say "moved".
    previous_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    change_reason: Mapped[Wording] = mapped_column(WordingType, default=EMPTY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    location: Mapped[Location | None] = relationship()
    organiser: Mapped[User | None] = relationship()
    series: Mapped[Series | None] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    options: Mapped[list[MeetingOption]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="MeetingOption.starts_at"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_moved(self) -> bool:
        return self.previous_starts_at is not None and self.previous_starts_at != self.starts_at

    @property
    def asks_for_answer(self) -> bool:
        return self.kind in KINDS_ASKING_FOR_ANSWER


class MeetingOption(db.Model):
    """Another time offered for a meeting, that the other person can pick with one tap."""

    __tablename__ = "meeting_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="options")


class Attendance(db.Model):
    """A person's place at an event: invited, their answer, and whether they came."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_column(AttendanceStatus), default=AttendanceStatus.INVITED
    )
    reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    reason_text: Mapped[str] = mapped_column(String(200), default="")
    reason_text_lang: Mapped[str] = mapped_column(String(16), default="")  # the writer's language
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    presence: Mapped[Presence | None] = mapped_column(enum_column(Presence))
    presence_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship(back_populates="attendances")
    user: Mapped[User] = relationship()

    @property
    def outcome(self) -> Outcome | None:
        """Attended, excused, absent or cancelled; None while it is not known yet."""
        if self.event.is_cancelled:
            return Outcome.CANCELLED
        if self.presence == Presence.ATTENDED:
            return Outcome.ATTENDED
        if self.status == AttendanceStatus.DECLINED:
            return Outcome.EXCUSED
        if self.presence == Presence.ABSENT:
            return Outcome.ABSENT
        return None
