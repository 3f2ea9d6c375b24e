"""Checking and storing what a browser's PushSubscription.toJSON() sends."""
from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from .models import PushSubscription

MAX_BODY_BYTES = 4096
MAX_ENDPOINT = 2048
BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


class InvalidSubscription(ValueError):
    """The body is not a usable subscription; the message says why, in the person's language."""


def _decoded(value, name: str, size: int) -> bytes:
    if not isinstance(value, str):
        raise InvalidSubscription(_("The key %(name)s is missing.", name=name))
    if not BASE64URL.fullmatch(value):  # the decoder would skip other characters, and they would be stored
        raise InvalidSubscription(_("The key %(name)s is not readable.", name=name))
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscription(_("The key %(name)s is not readable.", name=name)) from None
    if len(raw) != size:
        raise InvalidSubscription(_("The key %(name)s has the wrong length.", name=name))
    return raw


def parse(body) -> dict:
    """Validate `{endpoint, expirationTime, keys: {p256dh, auth}}`; raises InvalidSubscription."""
    if not isinstance(body, dict):
        raise InvalidSubscription(_("This is not a push subscription."))
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise InvalidSubscription(_("The address of the push service is missing or too long."))
    try:
        url = urlparse(endpoint)
    except ValueError:  # e.g. "https://[::1": an address nobody could send to
        raise InvalidSubscription(_("This is not a push subscription.")) from None
    local_test = current_app.config.get("PUSH_ALLOW_HTTP_LOCALHOST") and url.hostname in ("127.0.0.1", "localhost")
    if url.scheme != "https" and not (url.scheme == "http" and local_test) or not url.netloc:
        raise InvalidSubscription(_("The address of the push service must start with https://."))
    expiration = body.get("expirationTime")
    if expiration is not None and (isinstance(expiration, bool) or not isinstance(expiration, (int, float))):
        raise InvalidSubscription(_("The expiry time is not a number."))
    keys = body.get("keys")
    if not isinstance(keys, dict):
        raise InvalidSubscription(_("The keys are missing."))
    point = _decoded(keys.get("p256dh"), "p256dh", 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:  # not an uncompressed point on P-256: nothing could ever be encrypted for it
        raise InvalidSubscription(_("The key %(name)s is not readable.", name="p256dh")) from None
    _decoded(keys.get("auth"), "auth", 16)
    return {"endpoint": endpoint, "p256dh": keys["p256dh"].rstrip("="), "auth": keys["auth"].rstrip("=")}


def save(user: User, fields: dict, user_agent: str) -> PushSubscription:
    """Store the subscription for this person; a shared phone's subscription follows whoever signed in last."""
    subscription = db.session.scalars(
        select(PushSubscription).where(PushSubscription.endpoint == fields["endpoint"])).first()
    if subscription is None:
        subscription = PushSubscription(endpoint=fields["endpoint"])
        db.session.add(subscription)
    subscription.user_id = user.id
    subscription.p256dh, subscription.auth = fields["p256dh"], fields["auth"]
    subscription.user_agent = user_agent[:300]
    subscription.failures = 0
    db.session.flush()
    return subscription


def remove(user: User, endpoint: str) -> bool:
    subscription = db.session.scalars(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id)).first()
    if subscription is None:
        return False
    db.session.delete(subscription)
    return True


def reach(user_ids) -> dict[int, tuple[bool, bool]]:
    """Per person: (has a device with reminders, a reminder failed to reach them in the last week)."""
    from datetime import timedelta

    from ..timeutil import now_utc
    from .models import Notification, NotificationStatus

    with_device = set(db.session.scalars(select(PushSubscription.user_id).where(PushSubscription.user_id.in_(user_ids))))
    failed = set(db.session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(user_ids), Notification.status == NotificationStatus.UNREACHABLE,
        Notification.created_at > now_utc() - timedelta(days=7))))
    return {user_id: (user_id in with_device, user_id in failed) for user_id in user_ids}


def devices_of(user: User) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.created_at)))
