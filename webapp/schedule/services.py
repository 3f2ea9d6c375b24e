"""The week of a person, and answering an invitation."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..accounts.models import User
from ..audit.services import record
from ..i18n import writing_language
from ..notify.planner import replan_event
from ..timeutil import IsoWeek, now_utc, to_local, today_local
from .models import Attendance, AttendanceStatus, DeclineReason, Presence
from .queries import attendances_between, companions_of
from .series import extend_horizons

# How far ahead a week may be opened and still have its recurring items filled in.
MAX_WEEKS_AHEAD = 52


@dataclass
class WeekDay:
    day: date
    is_today: bool
    items: list[Attendance] = field(default_factory=list)


@dataclass
class WeekView:
    week: IsoWeek
    days: list[WeekDay]
    # First names of the others at events the viewer organises, by event id (see companions_of).
    companions: dict[int, list[str]] = field(default_factory=dict)

    @property
    def is_current(self) -> bool:
        return any(day.is_today for day in self.days)

    @property
    def previous(self) -> IsoWeek:
        return self.week.shifted(-1)

    @property
    def next(self) -> IsoWeek:
        return self.week.shifted(1)

    @property
    def item_count(self) -> int:
        return sum(len(day.items) for day in self.days)


def build_week(person: User, week: IsoWeek, viewer: User | None = None) -> WeekView:
    """Everything in the person's week, Monday to Sunday in Amsterdam time, as `viewer` (the
    person, or their coach) sees it."""
    now = now_utc()
    extend_horizons(min(week.end_utc, now + timedelta(weeks=MAX_WEEKS_AHEAD)))
    today = today_local()
    days = {day: WeekDay(day=day, is_today=day == today) for day in week.days}
    attendances = attendances_between(person, week.start_utc, week.end_utc)
    for attendance in attendances:
        start_day = to_local(attendance.event.starts_at).date()
        days[max(start_day, week.monday)].items.append(attendance)
    viewer = viewer or person
    organised = [item.event_id for item in attendances if item.event.organiser_id == viewer.id]
    return WeekView(week=week, days=list(days.values()),
                    companions=companions_of(viewer, organised) if organised else {})


class AnswerRefused(Exception):
    """An answer that cannot be given: 'not_asked', 'cancelled' or 'over'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def answer_refusal(attendance: Attendance, at: datetime | None = None) -> str | None:
    """Why this invitation cannot be answered now ('not_asked', 'cancelled', 'over'), or None."""
    event = attendance.event
    if not event.asks_for_answer:
        return "not_asked"
    if event.is_cancelled:
        return "cancelled"
    if event.ends_at <= (at or now_utc()):
        return "over"
    return None


def answer_invitation(
    attendance: Attendance,
    status: AttendanceStatus,
    reason: DeclineReason | None = None,
    reason_text: str = "",
    at: datetime | None = None,
) -> bool:
    """Record "I'll come" or "I can't come"; returns False when nothing changed."""
    at = at or now_utc()
    event = attendance.event
    refusal = answer_refusal(attendance, at)
    if refusal:
        raise AnswerRefused(refusal)
    if status == AttendanceStatus.CONFIRMED:
        reason, reason_text = None, ""
    unchanged = (attendance.status, attendance.reason, attendance.reason_text) == (
        status,
        reason,
        reason_text,
    )
    if unchanged:
        return False
    attendance.status = status
    attendance.reason = reason
    attendance.reason_text = reason_text
    # What a participant types is in their own language; staff see it labelled so.
    attendance.reason_text_lang = writing_language(attendance.user) if reason_text else ""
    attendance.responded_at = at
    replan_event(event, changed=False, at=at)  # no reminders for someone who can't come
    return True


class PresenceRefused(Exception):
    """Presence can only be marked once an activity has started, and not when it was cancelled."""


def mark_presence(attendance: Attendance, presence: Presence, by: User, at: datetime | None = None) -> bool:
    """Record whether the person came; returns False when it was already so."""
    at = at or now_utc()
    if attendance.event.is_cancelled or attendance.event.starts_at > at:
        raise PresenceRefused()
    if attendance.presence == presence:
        return False
    attendance.presence = presence
    attendance.presence_marked_at = at
    record(by, attendance.user, "presence.marked", event_id=attendance.event_id, presence=presence.value,
           kind=attendance.event.kind.value, starts_at=attendance.event.starts_at.isoformat())
    return True
