"""Buddy meetings: propose, accept, pick another time, move, cancel, mark held; and what a buddy may see."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import BuddyMatch, Role, User
from ..accounts.queries import caseload_ids
from ..audit.services import record
from ..extensions import db
from ..notify.planner import replan_event
from ..phrases.wording import EMPTY, Wording
from ..schedule.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    MeetingOption,
    Presence,
)
from ..schedule.planning import Plan, find_overlaps
from ..timeutil import IsoWeek, local_to_utc, now_utc, to_local

HELD_WINDOW = timedelta(weeks=8)


def _active(match_query):
    now = now_utc()
    return match_query.where(BuddyMatch.since <= now, or_(BuddyMatch.until.is_(None), BuddyMatch.until > now))


def matches_of(buddy: User) -> list[BuddyMatch]:
    """The buddy's current matches, with the participant loaded."""
    return list(db.session.scalars(
        _active(select(BuddyMatch).where(BuddyMatch.buddy_id == buddy.id))
        .options(selectinload(BuddyMatch.participant))))


def get_matched_participant_or_404(participant_id: int, buddy: User) -> User:
    """A participant this buddy is matched with now; anything else is indistinguishable from absent."""
    if buddy.role != Role.BUDDY:
        abort(404)
    match = db.session.scalars(_active(select(BuddyMatch).where(
        BuddyMatch.buddy_id == buddy.id, BuddyMatch.participant_id == participant_id))).first()
    if match is None:
        abort(404)
    return match.participant


def get_meeting_or_404(event_id: int, person: User) -> Event:
    """A buddy meeting this person takes part in (as buddy or participant)."""
    event = db.session.scalars(
        select(Event)
        .where(Event.id == event_id, Event.kind == EventKind.BUDDY_MEETING,
               Event.id.in_(select(Attendance.event_id).where(Attendance.user_id == person.id)))
        .options(selectinload(Event.attendances).selectinload(Attendance.user), selectinload(Event.options))
    ).first()
    if event is None:
        abort(404)
    return event


def the_other(event: Event, person: User) -> Attendance:
    return next(attendance for attendance in event.attendances if attendance.user_id != person.id)


def own_attendance(event: Event, person: User) -> Attendance:
    return next(attendance for attendance in event.attendances if attendance.user_id == person.id)


@dataclass
class Slot:
    day: date
    start: time
    end: time

    @property
    def span(self) -> tuple[datetime, datetime]:
        first = datetime.combine(self.day, self.start)
        return local_to_utc(first), local_to_utc(datetime.combine(self.day, self.end))


def meeting_plan(slot: Slot, location_id: int | None = None, note: Wording = EMPTY) -> Plan:
    return Plan(kind=EventKind.BUDDY_MEETING, title="", note=note, location_id=location_id, day=slot.day,
                start=slot.start, end=slot.end)


def overlaps_for(participant: User, slot: Slot, ignore: set[int] = frozenset()):
    return find_overlaps(meeting_plan(slot), [participant], ignore)


def propose(buddy: User, participant: User, slot: Slot, location_id: int | None, note: Wording,
            alternatives: list[Slot]) -> Event:
    """The buddy proposes a time (and maybe other times); it appears in the participant's week as a question."""
    starts_at, ends_at = slot.span
    event = Event(kind=EventKind.BUDDY_MEETING, organiser_id=buddy.id, location_id=location_id, note=note,
                  starts_at=starts_at, ends_at=ends_at)
    event.attendances = [Attendance(user_id=participant.id, status=AttendanceStatus.INVITED),
                         Attendance(user_id=buddy.id, status=AttendanceStatus.CONFIRMED, responded_at=now_utc())]
    event.options = [MeetingOption(starts_at=alternative.span[0], ends_at=alternative.span[1], offered_by_id=buddy.id)
                     for alternative in alternatives]
    db.session.add(event)
    db.session.flush()
    record(buddy, participant, "meeting.proposed", kind=event.kind.value, starts_at=starts_at.isoformat())
    replan_event(event, changed=False)
    return event


def _move(event: Event, starts_at: datetime, ends_at: datetime, by: User, reason: Wording,
          other_confirmed: bool) -> None:
    if (starts_at, ends_at) != (event.starts_at, event.ends_at):
        event.previous_starts_at = event.starts_at
    event.starts_at, event.ends_at = starts_at, ends_at
    event.change_reason = reason
    event.options = []
    at = now_utc()
    for attendance in event.attendances:
        mine = attendance.user_id == by.id
        attendance.status = AttendanceStatus.CONFIRMED if mine or other_confirmed else AttendanceStatus.INVITED
        attendance.reason, attendance.reason_text = None, ""
        attendance.responded_at = at if mine or other_confirmed else None
    db.session.flush()
    replan_event(event, at=at)


def pick_option(participant: User, event: Event, option_id: int) -> None:
    """The participant takes one of the times the buddy offered: confirmed by both."""
    option = next((option for option in event.options if option.id == option_id), None)
    if option is None:
        abort(404)
    _move(event, option.starts_at, option.ends_at, participant, EMPTY, other_confirmed=True)
    record(participant, participant, "meeting.moved", kind=event.kind.value, starts_at=event.starts_at.isoformat())


def move(person: User, event: Event, slot: Slot, reason: Wording) -> None:
    """Either side suggests a new time; the other side is asked again."""
    starts_at, ends_at = slot.span
    _move(event, starts_at, ends_at, person, reason, other_confirmed=False)
    participant = _participant_of(event)
    record(person, participant, "meeting.moved", kind=event.kind.value, starts_at=starts_at.isoformat())


def cancel(person: User, event: Event, reason: Wording) -> None:
    event.cancelled_at = now_utc()
    event.change_reason = reason
    replan_event(event)
    record(person, _participant_of(event), "event.cancelled", kind=event.kind.value,
           starts_at=event.starts_at.isoformat())


def mark_held(buddy: User, event: Event, held: bool) -> None:
    """After the time, the buddy says whether the meeting took place."""
    presence = Presence.ATTENDED if held else Presence.ABSENT
    at = now_utc()
    for attendance in event.attendances:
        attendance.presence, attendance.presence_marked_at = presence, at
    record(buddy, _participant_of(event), "presence.marked", event_id=event.id, presence=presence.value,
           kind=event.kind.value, starts_at=event.starts_at.isoformat())


def _participant_of(event: Event) -> User:
    return next(attendance.user for attendance in event.attendances if attendance.user.role == Role.PARTICIPANT)


def meetings_with(buddy: User) -> tuple[list[Event], list[Event]]:
    """The buddy's meetings: coming ones (soonest first) and past ones (latest first)."""
    events = db.session.scalars(
        select(Event)
        .where(Event.kind == EventKind.BUDDY_MEETING,
               Event.id.in_(select(Attendance.event_id).where(Attendance.user_id == buddy.id)),
               Event.starts_at > now_utc() - HELD_WINDOW)
        .options(selectinload(Event.attendances).selectinload(Attendance.user), selectinload(Event.location),
                 selectinload(Event.options))
        .order_by(Event.starts_at)
    ).all()
    now = now_utc()
    coming = [event for event in events if event.ends_at > now]
    past = [event for event in reversed(events) if event.ends_at <= now]
    return coming, past


def busy_blocks(participant: User, week: IsoWeek) -> dict[date, list[tuple[datetime, datetime]]]:
    """When the participant is busy that week, per day, as local times only: no kind, no place, no title."""
    rows = db.session.execute(
        select(Event.starts_at, Event.ends_at)
        .join(Attendance, Attendance.event_id == Event.id)
        .where(Attendance.user_id == participant.id, Event.cancelled_at.is_(None),
               Event.starts_at < week.end_utc, Event.ends_at > week.start_utc)
        .order_by(Event.starts_at)
    )
    blocks: dict[date, list[tuple[datetime, datetime]]] = {day: [] for day in week.days}
    for starts_at, ends_at in rows:
        start, end = to_local(starts_at), to_local(ends_at)
        if start.date() in blocks:
            blocks[start.date()].append((start, end))
    return blocks


def held_counts(coach: User) -> dict[int, int]:
    """Per buddy match of the coach's caseload: how many meetings were held in the last eight weeks."""
    since = now_utc() - HELD_WINDOW
    rows = db.session.execute(
        select(BuddyMatch.id, func.count(Event.id))
        .join(Attendance, Attendance.user_id == BuddyMatch.participant_id)
        .join(Event, Event.id == Attendance.event_id)
        .where(BuddyMatch.participant_id.in_(caseload_ids(coach)), Event.kind == EventKind.BUDDY_MEETING,
               Event.organiser_id == BuddyMatch.buddy_id, Attendance.presence == Presence.ATTENDED,
               Event.starts_at >= since)
        .group_by(BuddyMatch.id)
    )
    return dict(rows.all())


def match(coach: User, participant: User, buddy: User) -> BuddyMatch:
    existing = db.session.scalars(_active(select(BuddyMatch).where(
        BuddyMatch.buddy_id == buddy.id, BuddyMatch.participant_id == participant.id))).first()
    if existing:
        return existing
    created = BuddyMatch(buddy_id=buddy.id, participant_id=participant.id)
    db.session.add(created)
    db.session.flush()
    record(coach, participant, "match.started", buddy=buddy.display_name)
    return created


def end_match(coach: User, buddy_match: BuddyMatch) -> None:
    buddy_match.until = now_utc()
    record(coach, buddy_match.participant, "match.ended", buddy=buddy_match.buddy.display_name)


def get_caseload_match_or_404(match_id: int, coach: User) -> BuddyMatch:
    buddy_match = db.session.scalars(
        _active(select(BuddyMatch).where(BuddyMatch.id == match_id,
                                         BuddyMatch.participant_id.in_(caseload_ids(coach))))).first()
    if buddy_match is None or coach.role != Role.COACH:
        abort(404)
    return buddy_match


def buddies() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.BUDDY, User.is_enabled)
                                   .order_by(User.display_name)))
