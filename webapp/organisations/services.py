"""What an admin sees: organisations with their locations, and how many people per role."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Role, User
from ..extensions import db
from ..schedule.models import Location, Organisation


def organisations_with_locations() -> list[tuple[Organisation | None, list[Location]]]:
    """Each organisation with its places; places of no organisation come last, under None."""
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    locations = db.session.scalars(
        select(Location).options(selectinload(Location.organisation)).order_by(Location.name)
    ).all()
    by_organisation: dict[int | None, list[Location]] = {}
    for location in locations:
        by_organisation.setdefault(location.organisation_id, []).append(location)
    grouped = [(organisation, by_organisation.get(organisation.id, [])) for organisation in organisations]
    if by_organisation.get(None):
        grouped.append((None, by_organisation[None]))
    return grouped


def people_per_role() -> dict[Role, int]:
    rows = db.session.execute(select(User.role, func.count()).where(User.is_enabled).group_by(User.role))
    counts = {role: 0 for role in Role}
    counts.update({role: count for role, count in rows})
    return counts
