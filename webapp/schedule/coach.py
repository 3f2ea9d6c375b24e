"""What a coach sees of the answers in their caseload."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..accounts.queries import caseload_ids
from ..extensions import db
from ..timeutil import now_utc
from .models import KINDS_ASKING_FOR_ANSWER, Attendance, AttendanceStatus, Event

ANSWER_WINDOW = timedelta(days=21)


def answers_for_caseload(coach: User) -> list[Attendance]:
    """Invitations of the coach's participants in the next three weeks: can't-come first."""
    now = now_utc()
    attention_first = case(
        (Attendance.status == AttendanceStatus.DECLINED, 0),
        (Attendance.status == AttendanceStatus.INVITED, 1),
        else_=2,
    )
    statement = (
        select(Attendance)
        .join(Attendance.event)
        .join(Attendance.user)
        .options(
            contains_eager(Attendance.event).selectinload(Event.location),
            contains_eager(Attendance.user),
        )
        .where(
            Attendance.user_id.in_(caseload_ids(coach)),
            Event.kind.in_(KINDS_ASKING_FOR_ANSWER),
            Event.cancelled_at.is_(None),
            Event.ends_at > now,
            Event.starts_at < now + ANSWER_WINDOW,
        )
        .order_by(attention_first, Event.starts_at, User.display_name)
    )
    return list(db.session.scalars(statement))
