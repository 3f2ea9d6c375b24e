"""How long the outbox remembers: finished notifications and their delivery attempts go after 90 days."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from ..extensions import db
from ..timeutil import now_utc
from .models import Notification, NotificationStatus

KEEP_FOR = timedelta(days=90)
FINISHED = (NotificationStatus.SENT, NotificationStatus.UNREACHABLE, NotificationStatus.DROPPED,
            NotificationStatus.CANCELLED)


def forget_old_notifications(at: datetime | None = None) -> int:
    """Delete notifications finished more than 90 days ago (their attempts go with them); returns how many."""
    cutoff = (at or now_utc()) - KEEP_FOR
    result = db.session.execute(delete(Notification).where(Notification.status.in_(FINISHED),
                                                           Notification.due_at < cutoff))
    return result.rowcount or 0
