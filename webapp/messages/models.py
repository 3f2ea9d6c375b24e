"""A message (phrases with parameters, and maybe own text) and its recipients."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..phrases.wording import EMPTY, Wording, WordingType
from ..schedule.models import Event
from ..timeutil import UTCDateTime, now_utc


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Phrases are rendered in each reader's language; own text is shown as written, with its language.
    wording: Mapped[Wording] = mapped_column(WordingType, default=EMPTY)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)

    sender: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()
    recipients: Mapped[list[MessageRecipient]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )

    @property
    def about_starts_at(self) -> datetime | None:
        """When the activity this message is about starts: its phrases' %(when)s."""
        return self.event.starts_at if self.event else None


class MessageRecipient(db.Model):
    __tablename__ = "message_recipients"
    __table_args__ = (UniqueConstraint("message_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    message: Mapped[Message] = relationship(back_populates="recipients")
    recipient: Mapped[User] = relationship()
