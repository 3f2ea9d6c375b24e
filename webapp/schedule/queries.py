"""Which events a user may see: the one place that decides it for the schedule."""
from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import contains_eager

from ..accounts.models import Role, User
from ..accounts.queries import caseload_ids
from ..extensions import db
from .models import Attendance, Event


def event_visibility(user: User) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the events this user may see."""
    attends = Event.id.in_(select(Attendance.event_id).where(Attendance.user_id == user.id))
    if user.role in (Role.PARTICIPANT, Role.BUDDY):
        return attends
    if user.role == Role.COACH:
        for_caseload = Event.id.in_(
            select(Attendance.event_id).where(Attendance.user_id.in_(caseload_ids(user)))
        )
        return or_(Event.organiser_id == user.id, for_caseload)
    return false()


def get_event_or_404(event_id: int, user: User) -> Event:
    event = db.session.scalars(
        select(Event).where(Event.id == event_id, event_visibility(user))
    ).first()
    if event is None:
        abort(404)
    return event


def get_own_attendance_or_404(event_id: int, user: User) -> Attendance:
    """The user's own invitation to an event, the only thing they may answer."""
    attendance = db.session.scalars(
        select(Attendance)
        .join(Attendance.event)
        .options(contains_eager(Attendance.event).selectinload(Event.location),
                 contains_eager(Attendance.event).selectinload(Event.organiser))
        .where(Attendance.event_id == event_id, Attendance.user_id == user.id)
    ).first()
    if attendance is None:
        abort(404)
    return attendance


def attendances_between(person: User, start, end) -> list[Attendance]:
    """The person's own attendances for events overlapping [start, end), with what a card shows."""
    statement = (
        select(Attendance)
        .join(Attendance.event)
        .options(
            contains_eager(Attendance.event).selectinload(Event.location),
            contains_eager(Attendance.event).selectinload(Event.organiser),
        )
        .where(Attendance.user_id == person.id, Event.starts_at < end, Event.ends_at > start)
        .order_by(Event.starts_at, Event.id)
    )
    return list(db.session.scalars(statement))


def companions_of(viewer: User, event_ids) -> dict[int, list[str]]:
    """First names of the others at the events the viewer organises, per event id: what the
    organiser's card shows as "With …". One query; the events' attendances are not loaded, which
    would cost a user row per classmate on every group lesson of every participant's week."""
    rows = db.session.execute(
        select(Attendance.event_id, User.display_name)
        .join(Attendance.user)
        .join(Attendance.event)
        .where(Attendance.event_id.in_(list(event_ids)), Event.organiser_id == viewer.id,
               Attendance.user_id != viewer.id)
        .order_by(Attendance.event_id, Attendance.id)
    )
    names: dict[int, list[str]] = {}
    for event_id, display_name in rows:
        names.setdefault(event_id, []).append(display_name.split()[0] if display_name else "")
    return names


def get_attendance_for_staff_or_404(attendance_id: int, staff: User) -> Attendance:
    """An attendance a coach may mark: of someone in their caseload, or at an event they organise."""
    if staff.role != Role.COACH:
        abort(404)
    attendance = db.session.scalars(
        select(Attendance)
        .join(Attendance.event)
        .options(contains_eager(Attendance.event).selectinload(Event.location))
        .where(
            Attendance.id == attendance_id,
            or_(Attendance.user_id.in_(caseload_ids(staff)), Event.organiser_id == staff.id),
        )
    ).first()
    if attendance is None:
        abort(404)
    return attendance
