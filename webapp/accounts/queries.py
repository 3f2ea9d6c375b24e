"""Which people a user may see: the one place that decides it for accounts."""
from __future__ import annotations

from flask import abort
from sqlalchemy import Select, or_, select

from ..extensions import db
from ..timeutil import now_utc
from .models import CoachAssignment, Role, User


def caseload_ids(coach: User) -> Select:
    """Ids of the participants currently in this coach's caseload."""
    now = now_utc()
    return select(CoachAssignment.participant_id).where(
        CoachAssignment.coach_id == coach.id,
        CoachAssignment.since <= now,
        or_(CoachAssignment.until.is_(None), CoachAssignment.until > now),
    )


def caseload(coach: User) -> list[User]:
    statement = (
        select(User)
        .where(User.role == Role.PARTICIPANT, User.id.in_(caseload_ids(coach)))
        .order_by(User.display_name)
    )
    return list(db.session.scalars(statement))


def staff_members() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role != Role.PARTICIPANT).order_by(User.role, User.display_name)))


def get_staff_or_404(user_id: int, viewer: User) -> User:
    """A coach, buddy or admin account, for an admin; anything else is a 404."""
    if viewer.role != Role.ADMIN:
        abort(404)
    person = db.session.scalars(select(User).where(User.id == user_id, User.role != Role.PARTICIPANT)).first()
    if person is None:
        abort(404)
    return person


def get_participant_or_404(participant_id: int, viewer: User) -> User:
    """A participant in the viewer's caseload; anything else is indistinguishable from absent."""
    if viewer.role != Role.COACH:
        abort(404)
    participant = db.session.scalars(
        select(User).where(
            User.id == participant_id,
            User.role == Role.PARTICIPANT,
            User.id.in_(caseload_ids(viewer)),
        )
    ).first()
    if participant is None:
        abort(404)
    return participant


def get_participant_for_admin_or_404(participant_id: int, viewer: User) -> User:
    """Any participant, for an admin (who erases accounts); anything else is a 404."""
    if viewer.role != Role.ADMIN:
        abort(404)
    participant = db.session.scalars(
        select(User).where(User.id == participant_id, User.role == Role.PARTICIPANT)).first()
    if participant is None:
        abort(404)
    return participant
