"""The worker's side of the outbox: claim due rows, encrypt, send, and record what happened.

Several workers can share the outbox on PostgreSQL (rows are claimed with FOR UPDATE SKIP
LOCKED); on SQLite one worker runs. A batch is loaded in a handful of queries and encrypted
(pywebpush's encoder, `WebPusher.encode`), then its POSTs go out `PARALLEL_SENDS` at a time
(a push service is tens of milliseconds away; one request at a time would cap a worker at
1/RTT), and the outcome is written in one commit.

Why not pywebpush's one-call `webpush()` in the sending threads: it encrypts and POSTs in
one go, and eight threads encrypting at once fought over the GIL (650 pushes/s, half the
plain-POST rate, in bench/push_fanout.py); encrypting the batch first in one thread and
only waiting on the network in parallel gave 730-840/s on the same machine. A worker that
dies mid-batch leaves its rows 'sending'; after a few minutes another worker takes them back,
so nothing is lost and at most one duplicate goes out, which the phone folds into the first
(same tag, same Topic).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import urllib3
from pywebpush import WebPusher
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..messages.models import MessageRecipient
from ..schedule.models import Event
from ..schedule.week_cache import pages_changed_for
from ..timeutil import now_utc
from .keys import subject, vapid
from .models import DeliveryAttempt, Notification, NotificationStatus, PushSubscription
from .texts import render_all

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
PARALLEL_SENDS = 8
VAPID_TOKEN_HOURS = 12  # what pywebpush itself uses; push services accept up to 24
VAPID_RESIGN_AFTER = 3600.0  # seconds; a token is reused this long, so it always has 11 h left
REMINDER_REASONS = ("day_before", "hour_before")
_client: urllib3.PoolManager | None = None
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_vapid_lock = threading.Lock()
_vapid_headers: dict[tuple[int, str], tuple[float, dict]] = {}


@dataclass
class Tally:
    sent: int = 0
    retry: int = 0
    unreachable: int = 0
    dropped: int = 0
    ids: list[int] = field(default_factory=list)

    def count(self, outcome: str, notification_id: int) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.ids.append(notification_id)


@dataclass(frozen=True)
class _Push:
    """One encrypted POST to one device, with nothing from the database session in it (it runs in a thread)."""

    notification_id: int
    subscription_id: int
    endpoint: str
    body: bytes
    headers: dict
    unusable: str = ""  # why the device's keys could not encrypt; such a device is removed


def client() -> urllib3.PoolManager:
    """The HTTP client of this process: one thread-safe urllib3 pool, connections kept alive.

    urllib3 rather than `requests`: requests spent more time per push than the encryption
    (request preparation, hooks, cookies, and with `trust_env` a ~/.netrc lookup and a proxy
    scan on every call). An HTTPS proxy from the environment is read once, here.
    """
    global _client
    with _pool_lock:
        if _client is None:
            proxy = urllib.request.getproxies().get("https")
            options = {"maxsize": PARALLEL_SENDS, "block": False, "retries": urllib3.Retry(0, read=False),
                       "timeout": urllib3.Timeout(TIMEOUT_SECONDS)}
            _client = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        return _client


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=PARALLEL_SENDS, thread_name_prefix="push")
        return _pool


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
    """One pass: send up to `limit` due notifications and record every outcome in one commit."""
    at = at or now_utc()
    tally = Tally()
    ids = claim(at, limit)
    if not ids:
        return tally
    notifications = db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                                       .options(selectinload(Notification.user)).order_by(Notification.id)).all()
    events = _events(notifications)
    devices = _devices(notifications)
    payloads = render_all(notifications)
    outcomes: dict[int, _Outcome] = {}
    pushes, waiting = [], {}
    for notification in notifications:
        event = events.get(notification.event_id)
        if event is not None and notification.reason in REMINDER_REASONS and event.starts_at <= at:
            outcomes[notification.id] = _Outcome(NotificationStatus.DROPPED, "stale: the activity has started")
        elif not devices.get(notification.user_id):
            outcomes[notification.id] = _Outcome(NotificationStatus.UNREACHABLE, "no device with reminders on")
        else:
            waiting[notification.id] = notification
            pushes.extend(_pushes(notification, event, devices[notification.user_id],
                                  json.dumps(payloads[notification.id]), at))
    # End the reading transaction before the pushes go out: a worker waiting on slow push
    # services must not sit "idle in transaction" holding locks (a migration would wait on them).
    db.session.commit()
    results = _push_all(pushes)
    outcomes = _record(outcomes, pushes, results, waiting, at)
    for notification_id, outcome in sorted(outcomes.items()):
        tally.count(outcome.tally_name, notification_id)
    return tally


@dataclass(frozen=True)
class _Outcome:
    """What becomes of one notification after this pass; equal outcomes are written in one UPDATE."""

    status: NotificationStatus
    error: str = ""
    retry_at: datetime | None = None

    @property
    def tally_name(self) -> str:
        if self.retry_at is not None:
            return "retry"
        return {NotificationStatus.SENT: "sent", NotificationStatus.DROPPED: "dropped"}.get(self.status, "unreachable")


def _events(notifications) -> dict[int, Event]:
    ids = {n.event_id for n in notifications if n.event_id}
    if not ids:
        return {}
    return {event.id: event for event in db.session.scalars(
        select(Event).where(Event.id.in_(ids)).options(selectinload(Event.location)))}


def _devices(notifications) -> dict[int, list[PushSubscription]]:
    devices: dict[int, list[PushSubscription]] = {}
    for subscription in db.session.scalars(select(PushSubscription).where(
            PushSubscription.user_id.in_({n.user_id for n in notifications})).order_by(PushSubscription.id)):
        devices.setdefault(subscription.user_id, []).append(subscription)
    return devices


def _pushes(notification: Notification, event: Event | None, subscriptions, payload: str, at: datetime):
    """The encrypted requests for each of the person's devices (RFC 8291 aes128gcm, RFC 8030 headers)."""
    ttl, urgency = _ttl_and_urgency(notification, event, at)
    for subscription in subscriptions:
        headers = {**_vapid_header(subscription.endpoint), "TTL": str(ttl), "Urgency": urgency,
                   "Topic": f"n{notification.id}", "Content-Encoding": "aes128gcm"}
        try:
            body = WebPusher(subscription.as_webpush_info()).encode(payload.encode(), "aes128gcm")["body"]
        except ValueError as error:  # a key that is no point on the curve: no message can ever reach it
            yield _Push(notification.id, subscription.id, subscription.endpoint, b"", headers,
                        f"unusable keys: {error}")
            continue
        yield _Push(notification.id, subscription.id, subscription.endpoint, body, headers)


def _settle(pushes: list[_Push], results, waiting: dict[int, Notification], at: datetime):
    """Record every attempt and each device's fate; yields (notification id, outcome) for those pushed."""
    accepted: set[int] = set()
    retry_after: dict[int, timedelta] = {}
    attempts, reached, failing, gone = [], set(), [], set()
    for push, (status_code, error, wait) in zip(pushes, results):
        attempts.append({"notification_id": push.notification_id, "subscription_id": push.subscription_id,
                         "at": at, "status_code": status_code, "error": error[:200]})
        if status_code is not None and 200 <= status_code < 300:
            accepted.add(push.notification_id)
            reached.add(push.subscription_id)
        elif status_code in (404, 410) or push.unusable:
            gone.add(push.subscription_id)  # the browser dropped this subscription for good
        else:
            failing.append(push.subscription_id)
            backoff = wait or timedelta(seconds=30 * 2 ** min(waiting[push.notification_id].attempts + 1, 7))
            retry_after[push.notification_id] = max(retry_after.get(push.notification_id, backoff), backoff)
    if attempts:
        db.session.execute(insert(DeliveryAttempt), attempts)
    if reached:
        db.session.execute(update(PushSubscription).where(PushSubscription.id.in_(reached))
                           .values(last_success_at=at, failures=0).execution_options(synchronize_session=False))
    for subscription_id in failing:
        db.session.execute(update(PushSubscription).where(PushSubscription.id == subscription_id)
                           .values(failures=PushSubscription.failures + 1)
                           .execution_options(synchronize_session=False))
    if gone:
        owners = db.session.scalars(select(PushSubscription.user_id).where(PushSubscription.id.in_(gone)))
        pages_changed_for(owners)  # their week page says reminders do not reach them
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone))
                           .execution_options(synchronize_session=False))
    for notification_id, notification in waiting.items():
        if notification_id in accepted:
            if notification.message_id:
                db.session.execute(update(MessageRecipient).where(
                    MessageRecipient.message_id == notification.message_id,
                    MessageRecipient.recipient_id == notification.user_id).values(delivered_at=at))
            yield notification_id, _Outcome(NotificationStatus.SENT)
        elif notification_id in retry_after and notification.attempts + 1 < MAX_ATTEMPTS:
            yield notification_id, _Outcome(NotificationStatus.PENDING,
                                            "push service busy or unreachable; will try again",
                                            at + retry_after[notification_id])
        else:
            yield notification_id, _Outcome(NotificationStatus.UNREACHABLE, "no device accepted the notification")


def _record(decided: dict[int, _Outcome], pushes, results, waiting, at: datetime) -> dict[int, _Outcome]:
    """Write what the push services answered, in one commit. When the database dropped the
    connection meanwhile (a restart while the pushes were out), write it once more over a new
    one: the pushes went out, and writing them off to a later retry would send them twice."""
    for attempt in (1, 2):
        outcomes = dict(decided)
        try:
            outcomes.update(_settle(pushes, results, waiting, at))
            _write(outcomes, at)
            db.session.commit()
            return outcomes
        except DBAPIError as error:
            db.session.rollback()
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def _write(outcomes: dict[int, _Outcome], at: datetime) -> None:
    """One UPDATE per distinct outcome (usually one: all sent), not one per notification."""
    grouped: dict[_Outcome, list[int]] = {}
    for notification_id, outcome in outcomes.items():
        grouped.setdefault(outcome, []).append(notification_id)
    for outcome, ids in grouped.items():
        if outcome.status == NotificationStatus.UNREACHABLE:  # the week page's reminders notice
            pages_changed_for(db.session.scalars(select(Notification.user_id).where(Notification.id.in_(ids))))
        values = {"status": outcome.status, "last_error": outcome.error, "attempts": Notification.attempts + 1}
        if outcome.status == NotificationStatus.SENT:
            values["sent_at"] = at
        if outcome.retry_at is not None:
            values["due_at"] = outcome.retry_at
        db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(**values)
                           .execution_options(synchronize_session=False))


def _ttl_and_urgency(notification: Notification, event: Event | None, at: datetime) -> tuple[int, str]:
    if event is not None:
        until_start = int((event.starts_at - at).total_seconds())
        urgent = notification.reason == "hour_before" or (notification.reason == "changed" and until_start < 86400)
        return max(60, min(until_start, 4 * 7 * 86400)), "high" if urgent else "normal"
    return 7 * 86400, "normal"


def _vapid_header(endpoint: str) -> dict:
    """The signed VAPID `Authorization` header for this push service, reused for an hour.

    pywebpush would sign a new ES256 token for every push; one per push service and hour is
    what the spec intends (the token names the push service, not the device).
    """
    origin = urlparse(endpoint)
    audience = f"{origin.scheme}://{origin.netloc}"
    key = vapid()
    cache_key = (id(key), audience)  # keys are loaded once and kept, so their id is stable
    with _vapid_lock:
        cached = _vapid_headers.get(cache_key)
        if cached is not None and time.monotonic() - cached[0] < VAPID_RESIGN_AFTER:
            return cached[1]
        # pywebpush writes into the claims it is given: a fresh dict every time.
        claims = {"sub": subject(), "aud": audience, "exp": int(time.time()) + VAPID_TOKEN_HOURS * 3600}
        headers = dict(key.sign(claims))
        _vapid_headers[cache_key] = (time.monotonic(), headers)
        return headers


def _push_all(pushes: list[_Push]) -> list[tuple[int | None, str, timedelta | None]]:
    """Every push of the batch, `PARALLEL_SENDS` at a time; results in the order of `pushes`.

    Each thread takes every n-th push: one task per thread, not one future per push.
    """
    lanes = min(PARALLEL_SENDS, len(pushes))
    if lanes <= 1:
        return [_push(push) for push in pushes]
    results: list = [None] * len(pushes)

    def lane(start: int) -> None:
        for index in range(start, len(pushes), lanes):
            results[index] = _push(pushes[index])

    for future in [_executor().submit(lane, start) for start in range(lanes)]:
        future.result()
    return results


def _push(push: _Push) -> tuple[int | None, str, timedelta | None]:
    """Hand one encrypted message to a push service: (status code, error, wait before retrying)."""
    if push.unusable:
        return None, push.unusable[:200], None
    try:
        response = client().request("POST", push.endpoint, body=push.body, headers=push.headers, redirect=False)
    except Exception as error:  # noqa: BLE001 - network, TLS or proxy trouble: retried, never lost
        return None, f"{type(error).__name__}: {error}"[:200], None
    if 200 <= response.status < 300:
        return response.status, "", None
    return response.status, (response.data.decode("utf-8", "replace") or response.reason or "")[:200], \
        _retry_after(response)


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
