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


def machine_time(value: datetime | str | None) -> str:
    """A moment for `<time datetime>`: ISO 8601 to the second. HTML allows at most three
    digits of a second, and Python's isoformat() writes six (microseconds)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(microsecond=0).isoformat()


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


def read_words(wording, starts_at: datetime | None = None):
    """A wording (phrases and own text) as the signed-in reader reads it, in the page's language."""
    from .phrases.wording import read

    return read(wording, str(get_locale()), starts_at)


def read_typed(text: str, lang: str, by: str = "participant"):
    """Text someone typed (an answer's "tell us more"), as the signed-in reader reads it: labelled
    with its language when that is not the page's."""
    from .phrases.wording import Wording, read

    return read(Wording.own(text, lang or "nl", by), str(get_locale()))


def language_in_page(code: str) -> str:
    """A language's name (CLDR) in the page's language, as in "an interpreter for Arabic"."""
    from .phrases.wording import language_name

    return language_name(code, str(get_locale()))


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
    app.jinja_env.filters.update(clock=clock, day_name=day_name, short_day=short_day, moment=moment,
                                   machine_time=machine_time)
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
        read_words=read_words,
        read_typed=read_typed,
        language_in_page=language_in_page,
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
