"""What a notification says, written in the recipient's language when it is sent."""
from __future__ import annotations

import json

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..formatting import clock, short_day
from ..i18n import DEFAULT_LOCALE, text_direction
from ..messages.models import Message
from ..phrases.wording import language_name, read
from ..schedule.kinds import KIND_STYLES
from ..schedule.models import Event
from ..timeutil import IsoWeek, to_local
from .models import Notification

# Firefox on Android refuses payloads of more than about 3,070 bytes after encryption, which
# adds 103 bytes (an 86-byte header, a padding delimiter and a 16-byte tag).
MAX_PAYLOAD_BYTES = 2900
MAX_BODY_CHARS = 240


def _when(moment) -> str:
    return f"{short_day(moment)} {clock(moment)}"


def _place(event: Event) -> str:
    return event.location.name if event.location else ""


def _with_reason(details: str, reason: str) -> str:
    """The details, then why it changed (in the reader's language); the reason is what matters most."""
    return _("%(details)s. Reason: %(reason)s", details=details, reason=reason) if reason else details


def _event_url(event: Event) -> str:
    return url_for("schedule.week_of", week_id=str(IsoWeek.containing(to_local(event.starts_at).date())),
                   _anchor=f"event-{event.id}")


def render(notification: Notification) -> dict:
    """Title, body, language and where a tap leads, in the recipient's own language."""
    return render_all([notification])[notification.id]


def render_all(notifications) -> dict[int, dict]:
    """`render` for a batch: one request context for all, one locale switch per language."""
    by_locale: dict[str, list[Notification]] = {}
    for notification in notifications:
        by_locale.setdefault(notification.user.locale or DEFAULT_LOCALE, []).append(notification)
    payloads = {}
    # The worker has no request; a bare one makes url_for give paths relative to this site.
    with current_app.test_request_context():
        for locale, group in by_locale.items():
            with force_locale(locale):
                # A group's reminder reads the same for everyone with the same language.
                words: dict[tuple, tuple[str, str, str]] = {}
                for notification in group:
                    detailed = notification.user.notification_details
                    key = (notification.reason, notification.event_id, notification.message_id, detailed)
                    if key not in words:
                        words[key] = _words(notification, locale) if detailed else _discreet_words(notification)
                    payloads[notification.id] = _payload(notification, locale, words[key])
    return payloads


def _payload(notification: Notification, locale: str, words: tuple[str, str, str]) -> dict:
    title, body, url = words
    payload = {"title": title, "body": body[:MAX_BODY_CHARS], "url": url, "tag": f"n{notification.id}",
               "lang": locale, "dir": text_direction(locale)}
    while len(json.dumps(payload).encode()) > MAX_PAYLOAD_BYTES:
        payload["body"] = payload["body"][: len(payload["body"]) // 2]
    return payload


def _discreet_words(notification: Notification) -> tuple[str, str, str]:
    """What the lock screen shows unless the person chose details: no kind, place, name or text,
    which could tell someone looking at the phone about a coach, a class or a message's content."""
    event = db.session.get(Event, notification.event_id) if notification.event_id else None
    if event is not None:
        if notification.reason == "day_before":
            body = _("Tomorrow at %(time)s. Open Mijn Week to see what.", time=clock(event.starts_at))
        elif notification.reason == "hour_before":
            body = _("In one hour. Open Mijn Week to see what.")
        else:
            body = _("Something in your week has changed.")
        return "Mijn Week", body, _event_url(event)
    if notification.message_id:
        return "Mijn Week", _("You have a new message."), url_for("messages.read", message_id=notification.message_id)
    return _("Test reminder"), _("Reminders work on this phone."), url_for("accounts.settings")


def _words(notification: Notification, locale: str) -> tuple[str, str, str]:
    event = db.session.get(Event, notification.event_id) if notification.event_id else None
    if event is not None:
        activity = str(KIND_STYLES[event.kind].label)
        details = _("%(when)s. %(place)s", when=_when(event.starts_at), place=_place(event)).rstrip(". ")
        if event.interpreter_language:
            interpreter = _("With an interpreter for %(language)s",
                            language=language_name(event.interpreter_language, locale))
            details = f"{details}. {interpreter}"
        if notification.reason == "day_before":
            return _("Tomorrow: %(activity)s", activity=activity), details, _event_url(event)
        if notification.reason == "hour_before":
            return _("In one hour: %(activity)s", activity=activity), details, _event_url(event)
        reason = read(event.change_reason, locale).plain()
        if event.is_cancelled:
            return (_("Cancelled: %(activity)s", activity=activity), _with_reason(_when(event.starts_at), reason),
                    _event_url(event))
        return _("Changed: %(activity)s", activity=activity), _with_reason(details, reason), _event_url(event)
    if notification.message_id:
        message = db.session.get(Message, notification.message_id)
        sender = message.sender.first_name if message.sender else "Mijn Week"
        text = read(message.wording, locale, message.about_starts_at).plain()
        return _("Message from %(name)s", name=sender), text, url_for("messages.read", message_id=message.id)
    return _("Test reminder"), _("Reminders work on this phone."), url_for("accounts.settings")
