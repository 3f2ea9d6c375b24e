"""The caseload overview: per participant what a coach must know first, in a fixed number of queries."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..accounts.queries import caseload, caseload_ids
from ..audit.services import record
from ..extensions import db
from ..messages.models import Message, MessageRecipient
from ..notify.planner import cancel_pending_for
from ..notify.subscriptions import reach
from ..schedule.models import (
    KINDS_ASKING_FOR_ANSWER,
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    Outcome,
)
from ..timeutil import IsoWeek, now_utc, to_local

LOOK_BACK = timedelta(days=14)
LOOK_AHEAD = timedelta(days=42)


@dataclass
class CaseloadRow:
    participant: User
    next_appointment: Event | None = None
    open_invitations: list[Attendance] = field(default_factory=list)
    declines: list[Attendance] = field(default_factory=list)
    absences: list[Attendance] = field(default_factory=list)
    unread_replies: int = 0
    has_device: bool = True
    reminder_failed: bool = False

    @property
    def attention(self) -> int:
        """Higher first: people who can't come or did not come, then unread replies, then silence."""
        return (3 * len(self.declines) + 3 * len(self.absences) + 3 * self.reminder_failed
                + 2 * self.unread_replies + len(self.open_invitations) + (not self.has_device))


def caseload_overview(coach: User, at: datetime | None = None) -> list[CaseloadRow]:
    at = at or now_utc()
    rows = {person.id: CaseloadRow(person) for person in caseload(coach)}
    attendances = db.session.scalars(
        select(Attendance)
        .join(Attendance.event)
        .options(contains_eager(Attendance.event))
        .where(
            Attendance.user_id.in_(caseload_ids(coach)),
            Event.starts_at >= at - LOOK_BACK,
            Event.starts_at < at + LOOK_AHEAD,
        )
        .order_by(Event.starts_at)
    )
    for attendance in attendances:
        row = rows.get(attendance.user_id)
        event = attendance.event
        if row is None:
            continue
        upcoming = event.ends_at > at and not event.is_cancelled
        if upcoming and event.kind == EventKind.COACH_APPOINTMENT and row.next_appointment is None:
            row.next_appointment = event
        if upcoming and event.kind in KINDS_ASKING_FOR_ANSWER:
            if attendance.status == AttendanceStatus.INVITED:
                row.open_invitations.append(attendance)
            elif attendance.status == AttendanceStatus.DECLINED:
                row.declines.append(attendance)
        if not upcoming and attendance.outcome == Outcome.ABSENT:
            row.absences.append(attendance)
        if not upcoming and attendance.outcome == Outcome.EXCUSED:
            row.declines.append(attendance)
    unread = db.session.execute(
        select(Message.sender_id, func.count())
        .join(MessageRecipient, MessageRecipient.message_id == Message.id)
        .where(
            MessageRecipient.recipient_id == coach.id,
            MessageRecipient.read_at.is_(None),
            Message.sender_id.in_(caseload_ids(coach)),
        )
        .group_by(Message.sender_id)
    )
    for sender_id, count in unread:
        if sender_id in rows:
            rows[sender_id].unread_replies = count
    for person_id, (has_device, failed) in reach(list(rows)).items():
        rows[person_id].has_device, rows[person_id].reminder_failed = has_device, failed
    return sorted(rows.values(), key=lambda row: (-row.attention, row.participant.display_name))


@dataclass
class ChartCell:
    counts: dict[Outcome, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def attendance_chart(participant: User, weeks: int = 12, at: datetime | None = None):
    """Outcomes per activity kind per week, for the last `weeks` weeks (oldest first)."""
    at = at or now_utc()
    this_week = IsoWeek.containing(to_local(at).date())
    week_list = [this_week.shifted(offset) for offset in range(-weeks + 1, 1)]
    grid: dict[EventKind, dict[IsoWeek, dict[Outcome, int]]] = defaultdict(
        lambda: {week: {outcome: 0 for outcome in Outcome} for week in week_list})
    attendances = db.session.scalars(
        select(Attendance)
        .join(Attendance.event)
        .options(contains_eager(Attendance.event))
        .where(
            Attendance.user_id == participant.id,
            Event.starts_at >= week_list[0].start_utc,
            Event.ends_at <= at,
        )
    )
    for attendance in attendances:
        outcome = attendance.outcome
        if outcome is None:
            continue
        week = IsoWeek.containing(to_local(attendance.event.starts_at).date())
        if week in grid[attendance.event.kind]:
            grid[attendance.event.kind][week][outcome] += 1
    return week_list, {kind: grid[kind] for kind in EventKind if kind in grid}


def switch_off(coach: User, person: User) -> None:
    """The account can no longer sign in, and nothing waiting in the outbox goes to it."""
    if person.is_enabled:
        person.is_enabled = False
        cancel_pending_for(person.id)
        record(coach, person, "account.deactivated")


def switch_on(coach: User, person: User) -> None:
    """The account signs in again; the planner's next sweep brings back its coming reminders."""
    if not person.is_enabled:
        person.is_enabled = True
        record(coach, person, "account.reactivated")
