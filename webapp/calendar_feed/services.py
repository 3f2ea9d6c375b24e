"""The secret feed address (make, renew, find) and the iCalendar text behind it."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Role, User
from ..extensions import db
from ..i18n import DEFAULT_LOCALE, shows_dutch_words
from ..phrases.wording import Wording, language_name, read
from ..schedule.kinds import KIND_STYLES
from ..schedule.models import Attendance, Event
from ..schedule.queries import event_visibility
from ..schedule.series import extend_horizons
from ..timeutil import LOCAL_TZ, IsoWeek, local_midnight_utc, to_local, today_local
from .models import CalendarFeed
from .timezone import vtimezone

WEEKS_BACK = 4
WEEKS_AHEAD = 26
TOKEN_BYTES = 32
# How often calendar apps are asked to look again; Google Calendar takes its own time (hours).
REFRESH_INTERVAL = timedelta(hours=1)
CALENDAR_NAME = "Mijn Week"
PRODID = "-//Mijn Week//Calendar feed//EN"
# Admins have no events, so an address would only give them an empty calendar.
FEED_ROLES = frozenset({Role.PARTICIPANT, Role.BUDDY, Role.COACH})
# Roles whose events open on their own week page (/week); a link in each event leads there.
WEEK_PAGE_ROLES = frozenset({Role.PARTICIPANT, Role.BUDDY})


def offers_feed(user: User) -> bool:
    """Whether this person can have a calendar address."""
    return user.role in FEED_ROLES


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def make_feed(user: User) -> CalendarFeed:
    """The person's feed, made now if they had none; an existing address is kept as it is."""
    feed = feed_of(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(TOKEN_BYTES))
        db.session.add(feed)
        db.session.flush()
    return feed


def renew_feed(user: User) -> CalendarFeed:
    """Give the person a new address; the old one stops working at once."""
    feed = feed_of(user)
    if feed is None:
        return make_feed(user)
    feed.token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.flush()
    return feed


def find_owner(token: str) -> User | None:
    """The enabled person this token belongs to, or None (unknown, renewed, disabled, admin)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalars(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token == token, User.is_enabled.is_(True), User.role.in_(FEED_ROLES))
    ).first()


@dataclass(frozen=True)
class FeedAddresses:
    """The same feed twice: `webcal://` opens the phone's calendar app, `https://` is for copying."""

    https: str
    webcal: str


def addresses(feed: CalendarFeed) -> FeedAddresses:
    https = url_for("calendar_feed.feed", token=feed.token, _external=True)
    return FeedAddresses(https=https, webcal="webcal://" + https.split("://", 1)[1])


def settings_context(user: User) -> dict:
    """What the settings page needs for templates/calendar_feed/_settings.html."""
    feed = feed_of(user) if offers_feed(user) else None
    return {"calendar_feed": {"offered": offers_feed(user),
                              "addresses": addresses(feed) if feed is not None else None}}


def feed_window(today: date | None = None) -> tuple[datetime, datetime]:
    """From four weeks back to 26 weeks ahead, whole local days so the feed is stable for a day."""
    today = today or today_local()
    return (local_midnight_utc(today - timedelta(weeks=WEEKS_BACK)),
            local_midnight_utc(today + timedelta(weeks=WEEKS_AHEAD, days=1)))


def feed_events(user: User, start: datetime, end: datetime) -> list[Event]:
    """The person's own agenda in [start, end): what they may see, and of that only what is theirs.

    For participants and buddies these are the same; a coach may see their whole caseload's
    classes and shifts, which would bury their own appointments in their phone's calendar.
    """
    attends = Event.id.in_(select(Attendance.event_id).where(Attendance.user_id == user.id))
    statement = (
        select(Event)
        .where(event_visibility(user), or_(Event.organiser_id == user.id, attends),
               Event.starts_at < end, Event.ends_at > start)
        .options(selectinload(Event.location), selectinload(Event.organiser),
                 selectinload(Event.attendances).joinedload(Attendance.user))
        .order_by(Event.starts_at, Event.id)
    )
    return list(db.session.scalars(statement))


def build_calendar(user: User, today: date | None = None) -> bytes:
    """The person's feed as iCalendar bytes, written in their language.

    May add occurrences of recurring series up to the window's end; the caller commits.
    """
    start, end = feed_window(today)
    extend_horizons(end)
    events = feed_events(user, start, end)
    locale = user.locale or DEFAULT_LOCALE
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", CALENDAR_NAME)
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", LOCAL_TZ.key)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    # An X- property has no known type, so icalendar must be told this is a duration.
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    # Every DTSTART and DTEND is in LOCAL_TZ (to_local); a year either side of the window, so
    # an event that overlaps its edges is covered too.
    calendar.add_component(vtimezone(LOCAL_TZ, date(start.year - 1, 1, 1), date(end.year + 1, 12, 31)))
    domain = uid_domain()
    with force_locale(locale):
        dutch_words = shows_dutch_words(user, locale)
        for event in events:
            calendar.add_component(_vevent(event, user, dutch_words, domain))
    return calendar.to_ical()


def uid_domain() -> str:
    """The host name of the feed's own address, which ends every event's UID.

    So UIDs are the same in every fetch of an installation's feed and differ between
    installations: a phone that subscribes to two municipalities' feeds keeps their events
    apart. Lower case and without the port (`127.0.0.1:5000` gives `127.0.0.1`), so the part
    after the @ stays a host name, as RFC 5545 suggests; an IPv6 address keeps its brackets.
    """
    host = request.host if has_request_context() else current_app.config.get("SERVER_NAME") or ""
    try:
        name = (urlsplit("//" + host).hostname or "localhost").rstrip(".")
    except ValueError:  # a broken Host header, such as an unclosed "[::1"
        name = "localhost"
    return f"[{name}]" if ":" in name else name


def event_uid(event: Event, domain: str) -> str:
    return f"event-{event.id}@{domain}"


def _vevent(event: Event, user: User, dutch_words: bool, domain: str) -> icalendar.Event:
    style = KIND_STYLES[event.kind]
    label = str(style.label)
    summary = label
    # The same rule as the week's card: a title that only repeats the kind is not shown.
    if event.title and event.title not in (label, style.dutch_word):
        summary = _("%(activity)s: %(title)s", activity=label, title=event.title)
    if event.is_cancelled:
        # Some calendar apps ignore STATUS:CANCELLED, so the name says it too.
        summary = _("Cancelled: %(activity)s", activity=summary)
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event, domain))
    # Without METHOD, DTSTAMP is the last change: the feed's bytes only change when an event does.
    vevent.add("dtstamp", event.updated_at)
    vevent.add("created", event.created_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("dtstart", to_local(event.starts_at))
    vevent.add("dtend", to_local(event.ends_at))
    vevent.add("summary", summary)
    if event.location is not None:
        vevent.add("location", ", ".join(part for part in (event.location.name, event.location.map_query) if part))
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    # A cancelled activity no longer makes the person busy.
    vevent.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    link = None
    if user.role in WEEK_PAGE_ROLES:
        week = IsoWeek.containing(to_local(event.starts_at).date())
        link = url_for("schedule.week_of", week_id=str(week), _anchor=f"event-{event.id}", _external=True)
        vevent.add("url", link)
    description = _description(event, user, style.dutch_word if dutch_words and style.dutch_word != label else "",
                               link)
    if description:
        vevent.add("description", description)
    return vevent


def _description(event: Event, user: User, dutch_word: str, link: str | None) -> str:
    """What the week's card says besides name, time and place, one thing per line."""
    lines = []
    if dutch_word:
        lines.append(_("In Dutch: %(word)s", word=dutch_word))
    locale = str(get_locale())
    if event.change_reason:
        reason = _("Reason:")
        lines.append(f"{reason} {read(event.change_reason, locale).plain()}")
    if event.interpreter_language:
        lines.append(_("With an interpreter for %(language)s",
                       language=language_name(event.interpreter_language, locale)))
    with_whom = ""
    if event.organiser is not None and event.organiser.id != user.id:
        with_whom = event.organiser.display_name
    elif event.organiser is not None:
        with_whom = ", ".join(attendance.user.first_name for attendance in event.attendances
                              if attendance.user_id != user.id)
    if with_whom:
        lines.append(_("With %(name)s", name=with_whom))
    if event.location is not None and event.location.directions:
        # A place's directions are written by staff, in Dutch, and said to be so.
        lines.append(read(Wording.own(event.location.directions, DEFAULT_LOCALE), locale).plain())
    if event.note:
        lines.append(read(event.note, locale).plain())
    if link:
        lines.append(_("Open in Mijn Week: %(link)s", link=link))
    return "\n".join(lines)
