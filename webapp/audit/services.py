"""Recording and reading the history of changes to a participant's data."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from .models import AuditEntry


def record(actor: User | None, subject: User, action: str, **details) -> AuditEntry:
    """Note that `actor` did `action` to `subject`'s data; details are plain values only."""
    entry = AuditEntry(actor_id=actor.id if actor else None, subject_id=subject.id, action=action,
                       details=details)
    db.session.add(entry)
    return entry


def history(subject: User, limit: int | None = 50) -> list[AuditEntry]:
    """The newest changes to `subject`'s data, with who made them; `limit=None` for all."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.subject_id == subject.id)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))
