"""The worker's side of the outbox: claim due rows, encrypt, send, and record what happened.

Several workers can share the outbox on PostgreSQL (rows are claimed with FOR UPDATE SKIP
LOCKED); on SQLite one worker runs. A worker that dies mid-batch leaves rows 'sending';
after a few minutes another worker takes them back, so nothing is lost and at most one
duplicate goes out, which the phone folds into the first (same tag, same Topic).
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import requests
from pywebpush import WebPushException, webpush
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..messages.models import MessageRecipient
from ..schedule.models import Event
from ..timeutil import now_utc
from .keys import subject, vapid
from .models import DeliveryAttempt, Notification, NotificationStatus, PushSubscription
from .texts import render

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
REMINDER_REASONS = ("day_before", "hour_before")
_local = threading.local()


@dataclass
class Tally:
    sent: int = 0
    retry: int = 0
    unreachable: int = 0
    dropped: int = 0
    ids: list[int] = field(default_factory=list)


def _session() -> requests.Session:
    """One HTTP session per thread: keep-alive connections to each push service."""
    if getattr(_local, "session", None) is None:
        _local.session = requests.Session()
    return _local.session


def claim(at: datetime, limit: int) -> list[int]:
    """Take up to `limit` due rows for this worker and mark them as being sent."""
    statement = (
        select(Notification.id)
        .where(or_(and_(Notification.status == NotificationStatus.PENDING, Notification.due_at <= at),
                   and_(Notification.status == NotificationStatus.SENDING, Notification.claimed_at < at - STUCK_AFTER)))
        .order_by(Notification.due_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(statement))
    if ids:
        db.session.execute(update(Notification).where(Notification.id.in_(ids))
                           .values(status=NotificationStatus.SENDING, claimed_at=at))
    db.session.commit()
    return ids


def send_due(at: datetime | None = None, limit: int = 200) -> Tally:
    """One pass: send every due notification (committing after each, so a crash loses nothing)."""
    at = at or now_utc()
    tally = Tally()
    for notification_id in claim(at, limit):
        notification = db.session.get(Notification, notification_id)
        outcome = deliver(notification, at)
        setattr(tally, outcome, getattr(tally, outcome) + 1)
        tally.ids.append(notification_id)
        db.session.commit()
    return tally


def _ttl_and_urgency(notification: Notification, event: Event | None, at: datetime) -> tuple[int, str]:
    if event is not None:
        until_start = int((event.starts_at - at).total_seconds())
        urgent = notification.reason == "hour_before" or (notification.reason == "changed" and until_start < 86400)
        return max(60, min(until_start, 4 * 7 * 86400)), "high" if urgent else "normal"
    return 7 * 86400, "normal"


def deliver(notification: Notification, at: datetime) -> str:
    """Try every device of the person once; returns 'sent', 'retry', 'unreachable' or 'dropped'."""
    event = db.session.get(Event, notification.event_id) if notification.event_id else None
    if event is not None and notification.reason in REMINDER_REASONS and event.starts_at <= at:
        return _finish(notification, NotificationStatus.DROPPED, "stale: the activity has started")
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == notification.user_id)).all()
    notification.attempts += 1
    if not subscriptions:
        return _finish(notification, NotificationStatus.UNREACHABLE, "no device with reminders on")
    payload = json.dumps(render(notification))
    ttl, urgency = _ttl_and_urgency(notification, event, at)
    accepted, retry_after = False, None
    for subscription in subscriptions:
        status_code, error, wait = _push(subscription, payload, ttl, urgency, f"n{notification.id}")
        db.session.add(DeliveryAttempt(notification_id=notification.id, subscription_id=subscription.id, at=at,
                                       status_code=status_code, error=error[:200]))
        if status_code is not None and 200 <= status_code < 300:
            accepted = True
            subscription.last_success_at, subscription.failures = at, 0
        elif status_code in (404, 410):
            db.session.delete(subscription)  # the browser dropped this subscription for good
        else:
            subscription.failures += 1
            backoff = wait or timedelta(seconds=30 * 2 ** min(notification.attempts, 7))
            retry_after = max(retry_after, backoff) if retry_after else backoff
    if accepted:
        notification.sent_at = at
        if notification.message_id:
            db.session.execute(update(MessageRecipient).where(
                MessageRecipient.message_id == notification.message_id,
                MessageRecipient.recipient_id == notification.user_id).values(delivered_at=at))
        return _finish(notification, NotificationStatus.SENT, "")
    if retry_after is not None and notification.attempts < MAX_ATTEMPTS:
        notification.status = NotificationStatus.PENDING
        notification.due_at = at + retry_after
        notification.last_error = "push service busy or unreachable; will try again"
        return "retry"
    return _finish(notification, NotificationStatus.UNREACHABLE, "no device accepted the notification")


def _finish(notification: Notification, status: NotificationStatus, error: str) -> str:
    notification.status = status
    notification.last_error = error
    return {NotificationStatus.SENT: "sent", NotificationStatus.DROPPED: "dropped"}.get(status, "unreachable")


def _push(subscription: PushSubscription, payload: str, ttl: int, urgency: str, topic: str):
    """Hand one encrypted message to a push service: (status code, error, wait before retrying)."""
    origin = urlparse(subscription.endpoint)
    # pywebpush writes aud and exp into the claims it is given: a fresh dict per push service.
    claims = {"sub": subject(), "aud": f"{origin.scheme}://{origin.netloc}"}
    try:
        response = webpush(subscription.as_webpush_info(), data=payload, vapid_private_key=vapid(),
                           vapid_claims=claims, ttl=ttl, timeout=TIMEOUT_SECONDS, requests_session=_session(),
                           headers={"Urgency": urgency, "Topic": topic})
        return response.status_code, "", None
    except WebPushException as error:
        response = error.response
        if response is None:
            return None, str(error)[:200], None
        return response.status_code, (response.text or response.reason or "")[:200], _retry_after(response)
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:200], None


def _retry_after(response) -> timedelta | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        return max(timedelta(0), parsedate_to_datetime(value) - now_utc())
    except (TypeError, ValueError):
        return None
