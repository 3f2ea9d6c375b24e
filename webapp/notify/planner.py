"""The one planner: which notifications exist, for whom, and when they are due.

Reminders for coach appointments and buddy meetings go the day before at 18:00 and one
hour before (each kind can be switched off per person; Dutch class, work and the rest are
off unless chosen). A change or cancellation of anything in the next seven days goes at
once, and a new message too. Quiet hours 21:30-07:30 hold everything except a change to
something today. Rows are unique per (person, reason, reference), so planning twice is
harmless; `plan_window` is the periodic sweep, `replan_event` runs when an event changes.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..schedule.models import Attendance, AttendanceStatus, Event, EventKind
from ..timeutil import local_to_utc, now_utc, to_local
from .models import Notification, NotificationStatus

DEFAULT_KINDS = frozenset({EventKind.COACH_APPOINTMENT, EventKind.BUDDY_MEETING})
DAY_BEFORE_AT = time(18, 0)
QUIET_FROM, QUIET_UNTIL = time(21, 30), time(7, 30)
CHANGE_HORIZON = timedelta(days=7)
SWEEP_AHEAD = timedelta(hours=36)
REMINDERS = ("day_before", "hour_before")


def wanted_kinds(user: User) -> frozenset[EventKind]:
    if user.reminder_kinds is None:
        return DEFAULT_KINDS
    return frozenset(EventKind(kind) for kind in user.reminder_kinds if kind in EventKind._value2member_map_)


def after_quiet_hours(due: datetime) -> datetime:
    """Move a moment that falls in the quiet hours to 07:30 local the next morning."""
    local = to_local(due)
    if local.time() >= QUIET_FROM:
        return local_to_utc(datetime.combine(local.date() + timedelta(days=1), QUIET_UNTIL))
    if local.time() < QUIET_UNTIL:
        return local_to_utc(datetime.combine(local.date(), QUIET_UNTIL))
    return due


def reminder_due(event: Event, reason: str) -> datetime:
    if reason == "day_before":
        day = to_local(event.starts_at).date() - timedelta(days=1)
        return local_to_utc(datetime.combine(day, DAY_BEFORE_AT))
    return after_quiet_hours(event.starts_at - timedelta(hours=1))


def _insert_ignoring_duplicates(rows: list[dict], revive_cancelled: bool = False) -> None:
    """INSERT … ON CONFLICT DO NOTHING on both databases: two planners may race harmlessly.

    With `revive_cancelled`, a reminder that was called off (a "no" that became a "yes", an
    account switched off and on again) is planned again instead of staying cancelled.
    """
    if not rows:
        return
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(Notification).values(rows)
    keys = ["user_id", "reason", "ref"]
    if revive_cancelled:
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={"status": statement.excluded.status, "due_at": statement.excluded.due_at},
            where=Notification.status == NotificationStatus.CANCELLED)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    db.session.execute(statement)


def _reminder_rows(event: Event, at: datetime) -> list[dict]:
    rows = []
    for attendance in event.attendances:
        if (attendance.status == AttendanceStatus.DECLINED or not attendance.user.is_enabled
                or event.kind not in wanted_kinds(attendance.user)):
            continue
        for reason in REMINDERS:
            due = reminder_due(event, reason)
            if due < event.starts_at and due >= at - timedelta(minutes=30):
                rows.append({"user_id": attendance.user_id, "reason": reason, "ref": str(event.id),
                             "event_id": event.id, "due_at": due, "status": NotificationStatus.PENDING,
                             "attempts": 0, "last_error": "", "created_at": at})
    return rows


def plan_window(at: datetime | None = None) -> int:
    """The sweep: make sure every reminder for the next 36 hours exists. Returns rows offered."""
    at = at or now_utc()
    events = db.session.scalars(
        select(Event)
        .where(Event.cancelled_at.is_(None), Event.starts_at > at, Event.starts_at <= at + SWEEP_AHEAD)
        .options(selectinload(Event.attendances).selectinload(Attendance.user))
    ).all()
    rows = [row for event in events for row in _reminder_rows(event, at)]
    _insert_ignoring_duplicates(rows, revive_cancelled=True)
    return len(rows)


def replan_event(event: Event, changed: bool = True, at: datetime | None = None) -> None:
    """Bring the outbox in line with an event that was created, moved, cancelled or answered."""
    at = at or now_utc()
    pending = db.session.scalars(select(Notification).where(
        Notification.event_id == event.id, Notification.reason.in_(REMINDERS),
        Notification.status == NotificationStatus.PENDING)).all()
    keep_for = {attendance.user_id for attendance in event.attendances
                if not event.is_cancelled and attendance.status != AttendanceStatus.DECLINED
                and attendance.user.is_enabled and event.kind in wanted_kinds(attendance.user)}
    for notification in pending:
        if notification.user_id not in keep_for:
            notification.status = NotificationStatus.CANCELLED
        else:
            notification.due_at = reminder_due(event, notification.reason)
    if event.starts_at <= at + SWEEP_AHEAD and not event.is_cancelled:
        _insert_ignoring_duplicates(_reminder_rows(event, at), revive_cancelled=True)
    if changed and at - timedelta(hours=1) < event.starts_at <= at + CHANGE_HORIZON:
        _plan_change(event, at)


def _plan_change(event: Event, at: datetime) -> None:
    same_day = to_local(event.starts_at).date() == to_local(at).date()
    due = at if same_day else after_quiet_hours(at)
    version = f"{event.id}@{int(event.starts_at.timestamp())}{'x' if event.is_cancelled else ''}"
    _insert_ignoring_duplicates([
        {"user_id": attendance.user_id, "reason": "changed", "ref": version, "event_id": event.id, "due_at": due,
         "status": NotificationStatus.PENDING, "attempts": 0, "last_error": "", "created_at": at}
        for attendance in event.attendances
        if attendance.user.is_enabled and (attendance.status != AttendanceStatus.DECLINED or event.is_cancelled)
    ])


def plan_message(message, at: datetime | None = None) -> None:
    at = at or now_utc()
    _insert_ignoring_duplicates([
        {"user_id": recipient.recipient_id, "reason": "message", "ref": str(message.id), "message_id": message.id,
         "due_at": after_quiet_hours(at), "status": NotificationStatus.PENDING, "attempts": 0, "last_error": "",
         "created_at": at}
        for recipient in message.recipients if recipient.recipient.is_enabled
    ])


def plan_test(user: User, at: datetime | None = None) -> None:
    """A test reminder the person asked for: now, whatever the hour."""
    at = at or now_utc()
    _insert_ignoring_duplicates([{"user_id": user.id, "reason": "test", "ref": at.isoformat(), "due_at": at,
                                  "status": NotificationStatus.PENDING, "attempts": 0, "last_error": "",
                                  "created_at": at}])


def cancel_pending_for(user_id: int) -> None:
    """Call off everything still waiting for this person (their account was switched off)."""
    db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.status == NotificationStatus.PENDING
    ).values(status=NotificationStatus.CANCELLED))
