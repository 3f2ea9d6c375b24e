"""The secret that makes a person's calendar-feed address."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..timeutil import UTCDateTime, now_utc


class CalendarFeed(db.Model):
    """One feed address per person; no row until the person asks for one.

    The token is kept as it is, not hashed: the settings page shows the address again
    whenever the person (or a coach helping them) adds it to another phone, as Google
    Calendar does with its secret address, and it guards only data from this same database.
    """

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    user: Mapped[User] = relationship()
