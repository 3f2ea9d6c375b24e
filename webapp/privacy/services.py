"""What Mijn Week keeps about a person, gathered in one place for the download, and erasing a
participant with everything of theirs. docs/privacy.md lists the same fields with their reasons."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import BuddyMatch, CoachAssignment, Role, User
from ..audit.labels import describe_change
from ..audit.services import history
from ..calendar_feed.models import CalendarFeed
from ..extensions import db
from ..formatting import device_name
from ..i18n import writing_language
from ..messages.models import Message, MessageRecipient
from ..notify.models import Notification, PushSubscription
from ..phrases.wording import Wording, read
from ..schedule.kinds import DECLINE_REASONS, KIND_STYLES, STATUS_LABELS
from ..schedule.models import Attendance, Event, Series, SeriesMember
from ..timeutil import now_utc, to_local

log = logging.getLogger(__name__)


def _local(moment: datetime | None) -> str | None:
    return to_local(moment).isoformat(timespec="minutes") if moment else None


def _name(user: User | None) -> str:
    return user.display_name if user else ""


def _match_name(match: BuddyMatch, person: User) -> str | None:
    """A participant sees their buddy's name; a buddy sees a participant's first name, and only
    while they are matched (as everywhere else in the app)."""
    if match.participant_id == person.id:
        return _name(match.buddy)
    return match.participant.first_name if match.until is None else None


def _words(wording: Wording, person: User, starts_at: datetime | None = None) -> dict:
    """A note or message as the person reads it: sentences in their language, own text as written."""
    reading = read(wording, writing_language(person), starts_at)
    return {"text": " ".join(reading.sentences) or None, "own_text": reading.text or None,
            "own_text_language": reading.lang or None}


def personal_data(person: User) -> dict:
    """Everything kept about `person`, in words they can read: the JSON download and the page.

    Left out on purpose: the hash of their PIN or password, the session secret, and the keys of
    their phones' push subscriptions (technical secrets that say nothing about them)."""
    attendances = db.session.scalars(
        select(Attendance).where(Attendance.user_id == person.id)
        .options(selectinload(Attendance.event).selectinload(Event.location),
                 selectinload(Attendance.event).selectinload(Event.organiser))
    ).all()
    attendances = sorted(attendances, key=lambda item: (item.event.starts_at, item.event_id))
    received = db.session.scalars(
        select(MessageRecipient).where(MessageRecipient.recipient_id == person.id)
        .options(selectinload(MessageRecipient.message).selectinload(Message.sender),
                 selectinload(MessageRecipient.message).selectinload(Message.event))
        .order_by(MessageRecipient.id)
    ).all()
    sent = db.session.scalars(
        select(Message).where(Message.sender_id == person.id)
        .options(selectinload(Message.recipients).selectinload(MessageRecipient.recipient),
                 selectinload(Message.event))
        .order_by(Message.id)
    ).all()
    coaches = db.session.scalars(select(CoachAssignment).where(CoachAssignment.participant_id == person.id)
                                 .options(selectinload(CoachAssignment.coach)).order_by(CoachAssignment.since)).all()
    matches = db.session.scalars(select(BuddyMatch).where(
        (BuddyMatch.participant_id == person.id) | (BuddyMatch.buddy_id == person.id))
        .options(selectinload(BuddyMatch.buddy), selectinload(BuddyMatch.participant))
        .order_by(BuddyMatch.since)).all()
    devices = db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == person.id)
                                 .order_by(PushSubscription.created_at)).all()
    notifications = db.session.scalars(select(Notification).where(Notification.user_id == person.id)
                                       .order_by(Notification.due_at)).all()
    feed = db.session.get(CalendarFeed, person.id)
    return {
        "exported_at": _local(now_utc()),
        "account": {
            "name": person.display_name,
            "role": person.role.value,
            "phone": person.phone,
            "email": person.email,
            "language": person.locale,
            "show_dutch_words": person.show_dutch_words,
            "reminder_kinds": person.reminder_kinds,
            "shares_phone_with_buddy": person.shares_phone_with_buddy,
            "switched_on": person.is_enabled,
            "created_at": _local(person.created_at),
            "activated_at": _local(person.activated_at),
        },
        "coaches": [{"name": _name(item.coach), "since": _local(item.since), "until": _local(item.until)}
                    for item in coaches],
        "language_buddies": [
            {"name": _match_name(item, person), "since": _local(item.since), "until": _local(item.until)}
            for item in matches],
        "activities": [
            {"what": str(KIND_STYLES[item.event.kind].label), "title": item.event.title,
             "starts_at": _local(item.event.starts_at), "ends_at": _local(item.event.ends_at),
             "place": item.event.location.name if item.event.location else None,
             "with": _name(item.event.organiser) if item.event.organiser_id != person.id else None,
             "note": _words(item.event.note, person), "cancelled": item.event.is_cancelled,
             "answer": str(STATUS_LABELS[item.status]),
             "reason": str(DECLINE_REASONS[item.reason]) if item.reason else None,
             "reason_text": item.reason_text or None, "reason_text_language": item.reason_text_lang or None,
             "answered_at": _local(item.responded_at),
             "came": None if item.presence is None else item.presence.value == "attended"}
            for item in attendances],
        "messages_received": [
            {"from": _name(item.message.sender), "sent_at": _local(item.message.created_at),
             **_words(item.message.wording, person, item.message.about_starts_at), "read_at": _local(item.read_at)}
            for item in received],
        "messages_sent": [
            {"to": [_name(recipient.recipient) for recipient in message.recipients],
             "sent_at": _local(message.created_at), **_words(message.wording, person, message.about_starts_at)}
            for message in sent],
        "phones_with_reminders": [
            {"browser": device_name(device.user_agent), "added_at": _local(device.created_at),
             "last_reminder_at": _local(device.last_success_at)} for device in devices],
        "reminders": [
            {"reason": item.reason, "due_at": _local(item.due_at), "status": item.status.value,
             "sent_at": _local(item.sent_at)} for item in notifications],
        "calendar_feed": {"made_at": _local(feed.created_at)} if feed else None,
        "changes": [
            {"when": _local(entry.created_at), "by": _name(entry.actor), "what": describe_change(entry)}
            for entry in history(person, limit=None)],
    }


@dataclass
class Erased:
    """What erasing a participant removed, as counts (logged; never names)."""

    events: int
    messages: int


def erase_participant(admin: User, participant: User) -> Erased:
    """Delete a participant with everything of theirs: the account and, through the database's
    cascades, their attendances, answers, devices, reminders, links, feed, matches and the change
    history about them; here also the activities no other participant attends (their coach
    appointments and buddy meetings, and such series) and every message from them or to them only."""
    if participant.role != Role.PARTICIPANT:
        raise ValueError("only participants are erased here")
    # "Only they attend": no other participant does. A meeting with their language buddy is theirs.
    other_participants = select(User.id).where(User.role == Role.PARTICIPANT, User.id != participant.id)
    others_at = select(Attendance.event_id).where(Attendance.user_id.in_(other_participants))
    own_events = list(db.session.scalars(select(Attendance.event_id).where(
        Attendance.user_id == participant.id, Attendance.event_id.not_in(others_at))))
    own_series = select(SeriesMember.series_id).where(SeriesMember.user_id == participant.id).except_(
        select(SeriesMember.series_id).where(SeriesMember.user_id.in_(other_participants)))
    others_received = select(MessageRecipient.message_id).where(MessageRecipient.recipient_id != participant.id)
    own_messages = list(db.session.scalars(select(Message.id).where(
        Message.id.in_(select(MessageRecipient.message_id).where(MessageRecipient.recipient_id == participant.id))
        | (Message.sender_id == participant.id),
        Message.id.not_in(others_received) | (Message.sender_id == participant.id))))
    db.session.execute(delete(Message).where(Message.id.in_(own_messages)).execution_options(synchronize_session=False))
    db.session.execute(delete(Event).where(Event.id.in_(own_events)).execution_options(synchronize_session=False))
    db.session.execute(delete(Series).where(Series.id.in_(own_series)).execution_options(synchronize_session=False))
    # The rest goes with the account through the foreign keys' ON DELETE CASCADE (on in SQLite too,
    # webapp/__init__.py): attendances, receipts, devices, notifications, links, feed, series
    # memberships, assignments, matches and the audit entries about them.
    participant_id = participant.id
    db.session.delete(participant)
    db.session.flush()
    db.session.expunge_all()  # nothing of theirs may linger in this session's objects
    log.info("participant %s erased by admin %s: %d activities, %d messages", participant_id, admin.id,
             len(own_events), len(own_messages))
    return Erased(events=len(own_events), messages=len(own_messages))


def participants_for_admin() -> list[tuple[User, int]]:
    """Every participant with the number of their activities, for the admin's list."""
    rows = db.session.execute(
        select(User, func.count(Attendance.id)).outerjoin(Attendance, Attendance.user_id == User.id)
        .where(User.role == Role.PARTICIPANT).group_by(User.id).order_by(User.display_name)
    ).all()
    return [(user, count) for user, count in rows]
