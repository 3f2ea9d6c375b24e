"""Time in one place: stored in UTC, shown and planned in Europe/Amsterdam."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
ISO_WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


def now_utc() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    return now_utc().astimezone(LOCAL_TZ).date()


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def local_to_utc(wall_clock: datetime) -> datetime:
    """Turn a naive Amsterdam wall-clock time into an aware UTC moment.

    A wall-clock time that does not exist (inside the spring-forward gap) moves
    forward by the gap, as a clock on the wall would.
    """
    aware = wall_clock.replace(tzinfo=LOCAL_TZ)
    round_trip = aware.astimezone(UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)
    if round_trip != wall_clock:
        aware = (wall_clock + timedelta(hours=1)).replace(tzinfo=LOCAL_TZ)
    return aware.astimezone(UTC)


def local_midnight_utc(day: date) -> datetime:
    return local_to_utc(datetime.combine(day, time()))


@dataclass(frozen=True)
class IsoWeek:
    """An ISO 8601 week (Monday to Sunday) in local time."""

    year: int
    week: int

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse '2026-W48'; raise ValueError for anything else or a week that does not exist."""
        match = ISO_WEEK_PATTERN.match(text)
        if not match:
            raise ValueError(text)
        year, week = int(match.group(1)), int(match.group(2))
        if year < 2000:
            raise ValueError(text)
        date.fromisocalendar(year, week, 1)  # raises ValueError for week 53 of a 52-week year
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=offset) for offset in range(7)]

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.monday)

    @property
    def end_utc(self) -> datetime:
        return local_midnight_utc(self.monday + timedelta(days=7))

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.containing(self.monday + timedelta(weeks=weeks))


class UTCDateTime(TypeDecorator):
    """A timestamp that is always an aware UTC datetime in Python.

    SQLite has no time-zone type and hands back naive values; this keeps both
    databases behaving the same and refuses naive datetimes on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
