"""Coaches plan: one-off events and weekly series, edits of one or all following, overlaps."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..audit.services import record
from ..extensions import db
from ..notify.planner import replan_event
from ..phrases.wording import EMPTY, Wording
from ..timeutil import local_to_utc, now_utc, to_local
from .models import Attendance, AttendanceStatus, Event, EventKind, Series, SeriesMember
from .series import create_series

WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# How far ahead a new series is checked for clashes before saving.
OVERLAP_CHECK_WEEKS = 8


@dataclass
class Plan:
    """What a coach fills in; times are local wall-clock times."""

    kind: EventKind
    title: str
    note: Wording
    location_id: int | None
    day: date
    start: time
    end: time
    weekdays: list[int] | None = None  # Monday = 0; None for a one-off
    until: date | None = None
    interpreter_language: str | None = None
    change_reason: Wording = EMPTY  # why it changed (only when changing)

    @property
    def duration(self) -> timedelta:
        return datetime.combine(self.day, self.end) - datetime.combine(self.day, self.start)

    @property
    def rule(self) -> str:
        until = datetime.combine(self.until, time(23, 59, 59)).strftime("%Y%m%dT%H%M%S")
        days = ",".join(WEEKDAY_CODES[day] for day in sorted(self.weekdays or []))
        return f"FREQ=WEEKLY;BYDAY={days};UNTIL={until}"

    def occurrences(self, limit_weeks: int = OVERLAP_CHECK_WEEKS) -> list[tuple[datetime, datetime]]:
        """UTC (start, end) of the first occurrences: one for a one-off, weeks ahead for a series."""
        first = datetime.combine(self.day, self.start)
        if not self.weekdays:
            starts = [first]
        else:
            window_end = first + timedelta(weeks=limit_weeks)
            starts = list(rrulestr(self.rule, dtstart=first).between(first, window_end, inc=True))
        return [(local_to_utc(start), local_to_utc(start + self.duration)) for start in starts]


@dataclass
class Overlap:
    person: User
    attendance: Attendance


def find_overlaps(plan: Plan, people: list[User], ignore_event_ids: set[int] = frozenset()) -> list[Overlap]:
    """Things already in these people's weeks at the planned times (cancelled ones do not count)."""
    spans = plan.occurrences()
    if not spans or not people:
        return []
    earliest, latest = spans[0][0], spans[-1][1]
    by_id = {person.id: person for person in people}
    candidates = db.session.scalars(
        select(Attendance)
        .join(Attendance.event)
        .options(contains_eager(Attendance.event))
        .where(
            Attendance.user_id.in_(by_id),
            Event.cancelled_at.is_(None),
            Event.starts_at < latest,
            Event.ends_at > earliest,
        )
        .order_by(Event.starts_at)
    )
    overlaps = []
    for attendance in candidates:
        event = attendance.event
        if event.id in ignore_event_ids:
            continue
        if any(event.starts_at < end and event.ends_at > start for start, end in spans):
            overlaps.append(Overlap(by_id[attendance.user_id], attendance))
    return overlaps


def _audit_all(actor: User, people, action: str, event_like) -> None:
    for person in people:
        record(actor, person, action, kind=event_like.kind.value, starts_at=event_like.starts_at.isoformat())


def plan_event(organiser: User, plan: Plan, people: list[User]) -> Event | Series:
    """Create a one-off event or a weekly series for these people."""
    fields = {"kind": plan.kind, "title": plan.title, "note": plan.note, "location_id": plan.location_id,
              "interpreter_language": plan.interpreter_language, "organiser_id": organiser.id}
    if plan.weekdays:
        series = create_series(members=people, rule=plan.rule, first_start_local=datetime.combine(plan.day, plan.start),
                               duration=plan.duration, **fields)
        first = db.session.scalars(select(Event).where(Event.series_id == series.id).order_by(Event.starts_at)).first()
        if first is not None:
            _audit_all(organiser, people, "event.created", first)
        return series
    start = datetime.combine(plan.day, plan.start)
    event = Event(starts_at=local_to_utc(start), ends_at=local_to_utc(start + plan.duration), **fields)
    event.attendances = [Attendance(user_id=person.id, status=AttendanceStatus.INVITED) for person in people]
    db.session.add(event)
    db.session.flush()
    _audit_all(organiser, people, "event.created", event)
    replan_event(event, changed=False)
    return event


def _apply(event: Event, plan: Plan, on_day: date) -> bool:
    """Give one event the plan's fields and times on `on_day`; True when its time changed."""
    start = datetime.combine(on_day, plan.start)
    starts_at, ends_at = local_to_utc(start), local_to_utc(start + plan.duration)
    moved = (starts_at, ends_at) != (event.starts_at, event.ends_at)
    event.kind, event.title, event.note, event.location_id = plan.kind, plan.title, plan.note, plan.location_id
    event.interpreter_language, event.change_reason = plan.interpreter_language, plan.change_reason
    if moved:
        event.previous_starts_at = event.starts_at
    event.starts_at, event.ends_at = starts_at, ends_at
    if moved:
        # An answer was given for the old time; ask again.
        for attendance in event.attendances:
            attendance.status, attendance.reason, attendance.reason_text = AttendanceStatus.INVITED, None, ""
            attendance.responded_at = None
    return moved


def change_event(actor: User, event: Event, plan: Plan, following: bool = False) -> None:
    """Change one event, or (for a series) this one and every later one.

    "This and following" keeps the weekdays of the series and moves each later
    occurrence to the new time on its own day; the series is split in two so
    occurrences still to be expanded follow the new time as well. A new day applies to this
    occurrence only (as in "only this one"): it keeps its place in the series, so moving a
    Monday class of a Monday/Wednesday series to Wednesday never doubles Wednesday's.
    """
    people = [attendance.user for attendance in event.attendances]
    if not following or event.series is None:
        _apply(event, plan, plan.day)
        _audit_all(actor, people, "event.changed", event)
        replan_event(event)
        return
    old = event.series
    split_at = event.recurrence_at or event.starts_at
    later = db.session.scalars(
        select(Event).where(Event.series_id == old.id, Event.recurrence_at >= split_at).order_by(Event.recurrence_at)
    ).all()
    successor = Series(
        kind=plan.kind, title=plan.title, note=plan.note, location_id=plan.location_id, organiser_id=old.organiser_id,
        interpreter_language=plan.interpreter_language,
        rrule=old.rrule,  # the same weekdays, up to the same end
        first_start_local=datetime.combine(to_local(split_at).date(), plan.start),
        duration_minutes=int(plan.duration.total_seconds() // 60),
        expanded_until=old.expanded_until,
    )
    successor.members = [SeriesMember(user_id=member.user_id) for member in old.members]
    db.session.add(successor)
    old.rrule = _end_rule(old.rrule, to_local(split_at).replace(tzinfo=None) - timedelta(seconds=1))
    db.session.flush()
    for occurrence in later:
        slot = to_local(occurrence.recurrence_at or occurrence.starts_at).date()  # its place in the series
        day = to_local(occurrence.starts_at).date() if occurrence.id != event.id else plan.day
        _apply(occurrence, plan, day)
        occurrence.series_id = successor.id
        occurrence.recurrence_at = local_to_utc(datetime.combine(slot, plan.start))
        replan_event(occurrence)
    db.session.flush()
    if db.session.scalar(select(Event.id).where(Event.series_id == old.id).limit(1)) is None:
        # The change began at the old series' first occurrence: it would stay behind, never happening.
        db.session.delete(old)
    _audit_all(actor, people, "event.changed", event)


def cancel_event(actor: User, event: Event, following: bool = False, at: datetime | None = None,
                 reason: Wording = EMPTY) -> None:
    """Cancel one event, or this and every later occurrence of its series; they stay visible as cancelled,
    with the reason everyone concerned reads in their own language."""
    at = at or now_utc()
    people = [attendance.user for attendance in event.attendances]
    targets = [event]
    if following and event.series is not None:
        split_at = event.recurrence_at or event.starts_at
        targets = db.session.scalars(
            select(Event).where(Event.series_id == event.series_id, Event.recurrence_at >= split_at)
        ).all()
        # The series stops before this occurrence, so nothing later is made any more.
        event.series.rrule = _end_rule(event.series.rrule, to_local(split_at).replace(tzinfo=None) - timedelta(seconds=1))
    for target in targets:
        if target.cancelled_at is None:
            target.cancelled_at = at
            target.change_reason = reason
            replan_event(target, at=at)
    _audit_all(actor, people, "event.cancelled", event)


def _end_rule(rule: str, last_local: datetime) -> str:
    """The same RRULE, ending at `last_local`, which always lies inside the series."""
    parts = [part for part in rule.split(";") if not part.startswith(("UNTIL=", "COUNT="))]
    return ";".join(parts + [f"UNTIL={last_local.strftime('%Y%m%dT%H%M%S')}"])

