"""Rendered week pages, kept until anything on them changes: most requests for a week are repeats
(the week arrows back and forth, the service worker refreshing what it keeps, the app reopened).

What a week page shows depends on the person's schedule, their messages and devices (the badge
and the reminders notice), their language and settings, today's date, and which of the week's
activities are over. The first three are summed up in `users.page_version`, which a session hook
raises in the same transaction as any change to them (`register`); the others are part of the key
or end the entry (`_expires_in`). The session's CSRF token is part of the key too, so a cached
page's forms always carry the token of the session that asks.

Entries are stored Brotli-compressed, as most phones take them, so a repeat costs neither the
database nor the template nor the compression. They live in Flask-Caching's store: in the
process by default, in Redis when CACHE_REDIS_URL is set.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta

import brotli
from flask import Flask, Response, current_app, request, session
from flask_caching import Cache
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import inspect, or_, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..i18n import select_locale, shows_dutch_words
from ..timeutil import IsoWeek, local_midnight_utc, now_utc, to_local, today_local

cache = Cache()

# Long enough for a visit and its repeats; short enough that a reminder failing for a week or a
# message read on another phone never shows a stale notice for long.
LONGEST = timedelta(minutes=10)
BROTLI_QUALITY = 5


def register(app: Flask) -> None:
    cache.init_app(app)
    if not sqlalchemy_event.contains(Session, "before_flush", _collect_changes):
        sqlalchemy_event.listen(Session, "before_flush", _collect_changes)
        sqlalchemy_event.listen(Session, "before_commit", _raise_versions)
        sqlalchemy_event.listen(Session, "after_rollback", _forget_changes)


# -- serving ----------------------------------------------------------------------------------------------

def _key(user, week: IsoWeek, fragment: bool) -> str | None:
    token = session.get("csrf_token")
    if token is None:  # the first page of a session makes its token while rendering
        return None
    locale = select_locale()
    parts = (user.id, user.page_version, str(week), fragment, locale, shows_dutch_words(user, locale),
             today_local().isoformat(), request.full_path, token)
    return "week:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _enabled() -> bool:
    return current_app.config["WEEK_PAGE_CACHE"] and not session.get("_flashes")


def cached_week(user, week: IsoWeek, fragment: bool) -> Response | None:
    """The stored page for this request, or None when it has to be rendered."""
    if not _enabled():
        return None
    key = _key(user, week, fragment)
    stored = cache.get(key) if key else None
    if stored is None:
        return None
    mimetype, body = stored
    response = Response(mimetype=mimetype)
    if "br" in request.accept_encodings:
        response.set_data(body)
        response.headers["Content-Encoding"] = "br"
    else:  # Flask-Compress gzips it, or sends it as it is
        response.set_data(brotli.decompress(body))
    response.vary.update(("Accept-Encoding", "HX-Request"))
    return response


def keep_week(response: Response, user, week: IsoWeek, fragment: bool, items) -> Response:
    """Store a freshly rendered week page for its repeats; returns the response unchanged."""
    key = _key(user, week, fragment) if _enabled() else None
    if key and response.status_code == 200:
        body = brotli.compress(response.get_data(), quality=BROTLI_QUALITY)
        cache.set(key, (response.mimetype, body), timeout=_expires_in(items))
    return response


def _expires_in(items) -> int:
    """Seconds until the page would look different by itself: an activity ends (its answer
    buttons go), the day turns (today and tomorrow move), or LONGEST."""
    now = now_utc()
    moments = [now + LONGEST, local_midnight_utc(to_local(now).date() + timedelta(days=1))]
    moments += [item.event.ends_at for item in items if item.event.ends_at > now]
    return max(1, int((min(moments) - now).total_seconds()))


# -- knowing when a page changed -----------------------------------------------------------------------------

def pages_changed_for(user_ids: Iterable[int], session_: Session | None = None) -> None:
    """Raise the page version of these people: their cached week pages are not used again."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return
    from ..accounts.models import User

    session_ = session_ or db.session()
    # On the connection, not through the session: this also runs while committing (_raise_versions).
    session_.connection().execute(update(User.__table__).where(User.__table__.c.id.in_(ids))
                                  .values(page_version=User.__table__.c.page_version + 1))
    for user_id in ids:  # a User already loaded in this session reads its new version when next asked
        loaded = session_.identity_map.get(session_.identity_key(User, user_id))
        if loaded is not None:
            session_.expire(loaded, ["page_version"])


def _collect_changes(session_: Session, _context, _instances) -> None:
    """Before a flush: note whose week pages the pending changes touch."""
    from ..accounts.models import User
    from ..messages.models import MessageRecipient
    from ..notify.models import PushSubscription
    from .models import Attendance, Event, Location

    people: set[int] = set()
    events: set[int] = set()
    locations: set[int] = set()
    organisers: set[int] = set()
    for instance in _changed(session_):
        if isinstance(instance, Attendance):
            people.add(instance.user_id)
            if _was(instance, "user_id") is not None:
                people.add(_was(instance, "user_id"))
        elif isinstance(instance, Event) and instance.id is not None:
            events.add(instance.id)
        elif isinstance(instance, Location) and instance.id is not None:
            locations.add(instance.id)
        elif isinstance(instance, User) and instance.id is not None and _modified(instance, "display_name"):
            organisers.add(instance.id)
        elif isinstance(instance, MessageRecipient):
            people.add(instance.recipient_id)
        elif isinstance(instance, PushSubscription):
            people.add(instance.user_id)
    with session_.no_autoflush:
        if events or locations or organisers:
            # Asked now: after the flush a deleted event's attendances are gone with it.
            touched = select(Event.id).where(or_(Event.id.in_(events), Event.location_id.in_(locations),
                                                 Event.organiser_id.in_(organisers)))
            people.update(session_.scalars(select(Attendance.user_id).where(Attendance.event_id.in_(touched))))
    session_.info.setdefault("week_pages_changed", set()).update(people)


def _raise_versions(session_: Session) -> None:
    """Once per transaction, just before it commits, in one UPDATE in id order: two transactions
    that touch the same people then take their row locks in the same order (no deadlock)."""
    session_.flush()  # the commit's own flush comes after this event; its changes count too
    people = session_.info.pop("week_pages_changed", set())
    if people:
        pages_changed_for(people, session_)


def _forget_changes(session_: Session) -> None:
    session_.info.pop("week_pages_changed", None)


def _changed(session_: Session):
    yield from session_.new
    yield from session_.deleted
    for instance in session_.dirty:
        if session_.is_modified(instance, include_collections=False):
            yield instance


def _modified(instance, attribute: str) -> bool:
    return inspect(instance).attrs[attribute].history.has_changes()


def _was(instance, attribute: str):
    deleted = inspect(instance).attrs[attribute].history.deleted
    return deleted[0] if deleted else None

