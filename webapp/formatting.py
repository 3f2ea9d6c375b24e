"""Dates, times and names as people read them, in the page's language (Babel/CLDR)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_time
from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from jinja2.ext import Extension
from markupsafe import Markup

from .accounts.models import Role
from .audit.labels import describe_change
from .i18n import LANGUAGES, shows_dutch_words, text_direction
from .schedule.kinds import (
    DECLINE_REASONS,
    KIND_STYLES,
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
)
from .timeutil import now_utc, to_local, today_local

# Explicit patterns rather than CLDR's "short" ones: Tigrinya's short date is US-style
# M/d/yy, which reads wrongly next to Dutch letters. Times are 24-hour, as on Dutch clocks.
DAY_PATTERN = "EEEE d MMMM"
SHORT_DAY_PATTERN = "EEE d MMM"
TIME_PATTERN = "HH:mm"


def clock(moment: datetime) -> str:
    return format_time(to_local(moment), TIME_PATTERN, locale=get_locale())


def day_name(day: date) -> str:
    return format_date(day, DAY_PATTERN, locale=get_locale())


def short_day(moment: datetime | date) -> str:
    day = to_local(moment).date() if isinstance(moment, datetime) else moment
    return format_date(day, SHORT_DAY_PATTERN, locale=get_locale())


def moment(iso: str | None) -> str:
    """A moment written as ISO 8601 (as in the data download), for reading: "wo 2 dec 2026 10:00"."""
    if not iso:
        return ""
    value = datetime.fromisoformat(iso)
    return f"{short_day(value)} {value.year} {clock(value)}"


def relative_day(day: date) -> str | None:
    """'Today' or 'Tomorrow' where it applies, as people say it."""
    today = today_local()
    if day == today:
        return _("Today")
    if day == today + timedelta(days=1):
        return _("Tomorrow")
    if day == today - timedelta(days=1):
        return _("Yesterday")
    return None


def week_range(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        first = format_date(monday, "d", locale=get_locale())
    else:
        first = format_date(monday, "d MMMM", locale=get_locale())
    return _("%(first)s to %(last)s", first=first, last=format_date(sunday, "d MMMM", locale=get_locale()))


def bdi(text: str) -> Markup:
    """Isolate a name or place inside translated text, so right-to-left punctuation stays put."""
    return Markup("<bdi>{}</bdi>").format(text)


# Coaches read every message in Dutch, the language of their files and colleagues.
STAFF_MESSAGE_LOCALE = "nl"


def message_locale() -> str:
    """Participants read messages in their page language; staff read them in Dutch."""
    return str(get_locale()) if current_user.role == Role.PARTICIPANT else STAFF_MESSAGE_LOCALE


def message_text(message) -> str:
    from .messages.texts import render_text

    return render_text(message.template_key, message.body, message.event, message_locale())


def device_name(user_agent: str) -> str:
    """A short name for a browser, from its user agent: enough to tell two phones apart."""
    for marker, name in (("SamsungBrowser", "Samsung Internet"), ("Firefox", "Firefox"), ("Edg", "Edge"),
                         ("Chrome", "Chrome"), ("Safari", "Safari")):
        if marker in user_agent:
            for system in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"):
                if system in user_agent:
                    return f"{name} · {system}"
            return name
    return user_agent[:40] or "?"


def time_span(start: datetime, end: datetime) -> Markup:
    """'09:00–12:00' kept in this order inside right-to-left text, as on a Dutch timetable."""
    return Markup('<span class="nowrap" dir="ltr">{}–{}</span>').format(clock(start), clock(end))


class DropIndentation(Extension):
    """Templates' indentation is for their readers, not for phones on prepaid data: the leading
    spaces of each line of an HTML template are dropped when it is loaded (about 150 bytes of
    every compressed page). Only the template's own text changes, never what people typed, and
    HTML treats a line break with or without spaces after it the same. (Flask-HTMLmin, the
    library option, rewrites every response at run time and is no longer maintained.)"""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name and name.endswith(".html"):
            return INDENTATION.sub("", source)
        return source


INDENTATION = re.compile(r"^[ \t]+", re.MULTILINE)


def register(app: Flask) -> None:
    app.jinja_env.add_extension(DropIndentation)
    app.jinja_env.filters.update(clock=clock, day_name=day_name, short_day=short_day, moment=moment)
    app.jinja_env.globals.update(
        relative_day=relative_day,
        week_range=week_range,
        KIND_STYLES=KIND_STYLES,
        DECLINE_REASONS=DECLINE_REASONS,
        STATUS_LABELS=STATUS_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        LANGUAGES=LANGUAGES,
        now_utc=now_utc,
        bdi=bdi,
        time_span=time_span,
        describe_change=describe_change,
        message_text=message_text,
        message_locale=message_locale,
        device_name=device_name,
        ROLES=Role,
    )

    @app.context_processor
    def page_language():
        locale = str(get_locale())
        return {"page_locale": locale, "page_dir": text_direction(locale),
                "show_dutch": shows_dutch_words(current_user, locale), "unread": unread_count}

    def unread_count() -> int:
        from .messages.services import unread_state

        return unread_state(current_user)[0] if current_user.is_authenticated else 0
