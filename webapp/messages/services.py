"""Sending messages, quick replies, reading, and what each person may see of them."""
from __future__ import annotations

from datetime import datetime

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.models import CoachAssignment, Role, User
from ..accounts.queries import caseload_ids
from ..extensions import db
from ..notify.planner import plan_message
from ..phrases.book import PHRASES, Writer, phrases_for
from ..phrases.wording import PhraseUse, Wording
from ..schedule.models import Event
from ..timeutil import now_utc
from .models import Message, MessageRecipient

BODY_MAX = 1000


REPLY_KEYS = frozenset(phrase.key for phrase in phrases_for(Writer.PARTICIPANT, ("replies",)))


def send(sender: User, recipients: list[User], wording: Wording, *, event: Event | None = None) -> Message:
    """Write one message to several people; each recipient gets their own read receipt."""
    unknown = [use.key for use in wording.phrases if use.key not in PHRASES]
    if unknown or not wording:
        raise ValueError(unknown or "empty message")
    if not wording.by:
        wording = Wording(wording.phrases, wording.text, wording.lang, sender.role.value)
    message = Message(sender_id=sender.id, wording=wording, event_id=event.id if event else None)
    message.recipients = [MessageRecipient(recipient_id=person.id) for person in recipients]
    db.session.add(message)
    db.session.flush()
    plan_message(message)
    return message


def coaches_of(participant: User) -> list[User]:
    now = now_utc()
    return list(db.session.scalars(
        select(User).join(CoachAssignment, CoachAssignment.coach_id == User.id).where(
            CoachAssignment.participant_id == participant.id,
            or_(CoachAssignment.until.is_(None), CoachAssignment.until > now),
        )
    ))


def quick_reply(participant: User, original: Message, key: str) -> Message:
    """A participant's one-tap answer, sent to whoever wrote the message."""
    if key not in REPLY_KEYS or original.sender is None:
        raise ValueError(key)
    reply = send(participant, [original.sender], Wording((PhraseUse(key),)), event=original.event)
    reply.reply_to_id = original.id
    return reply


def inbox(user: User, limit: int = 100) -> list[MessageRecipient]:
    """Messages to this person, newest first."""
    return list(db.session.scalars(
        select(MessageRecipient)
        .join(MessageRecipient.message)
        .options(contains_eager(MessageRecipient.message).selectinload(Message.sender),
                 contains_eager(MessageRecipient.message).selectinload(Message.event))
        .where(MessageRecipient.recipient_id == user.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ))


def sent_by(user: User, limit: int = 100) -> list[Message]:
    return list(db.session.scalars(
        select(Message)
        .where(Message.sender_id == user.id)
        .options(selectinload(Message.recipients).selectinload(MessageRecipient.recipient),
                 selectinload(Message.event))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ))


def unread_state(user: User) -> tuple[int, int]:
    """How many messages are unread, and the newest message id: enough to tell if anything changed."""
    count, newest = db.session.execute(
        select(func.count(MessageRecipient.id), func.max(MessageRecipient.message_id))
        .where(MessageRecipient.recipient_id == user.id, MessageRecipient.read_at.is_(None))
    ).one()
    return count, newest or 0


def get_received_or_404(message_id: int, user: User) -> MessageRecipient:
    """A message this person received; anything else is a 404."""
    received = db.session.scalars(
        select(MessageRecipient)
        .join(MessageRecipient.message)
        .options(contains_eager(MessageRecipient.message))
        .where(MessageRecipient.message_id == message_id, MessageRecipient.recipient_id == user.id)
    ).first()
    if received is None:
        abort(404)
    return received


def get_sent_or_404(message_id: int, user: User) -> Message:
    message = db.session.scalars(
        select(Message).where(Message.id == message_id, Message.sender_id == user.id)
        .options(selectinload(Message.recipients).selectinload(MessageRecipient.recipient))
    ).first()
    if message is None:
        abort(404)
    return message


def mark_read(received: MessageRecipient, at: datetime | None = None) -> None:
    if received.read_at is None:
        received.read_at = at or now_utc()


def recipients_for(coach: User, ids: list[int]) -> list[User]:
    """The chosen people, limited to the coach's caseload."""
    if coach.role != Role.COACH:
        return []
    return list(db.session.scalars(
        select(User).where(User.id.in_(ids), User.id.in_(caseload_ids(coach))).order_by(User.display_name)))
