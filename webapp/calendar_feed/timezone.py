"""The feed's VTIMEZONE: the local zone as two yearly rules, the form every calendar app reads.

Built here with icalendar's classes because icalendar (7.3) can only write a zone as a list
of its changes: `Timezone.from_tzinfo` (behind `Calendar.add_missing_timezones`) gives one
STANDARD and one DAYLIGHT, each a DTSTART plus an RDATE list, and has no option for rules.
Apps that read the embedded definition instead of their own time-zone database got that
wrong: ical.js takes only the first date of an RDATE list and ignores the DTSTART next to it
(lib/ical/timezone.js), and the Outlook app misread it too, so in all years but one a 09:00
class in summer showed at 10:00. Outlook and tzurl.org write Europe/Amsterdam as below.

The rules (the EU's since 1996) are checked against zoneinfo (`timeutil.LOCAL_TZ`, the one
place that knows the zone) for the years a feed covers. If the zone ever stops following
them (the EU ends the clock changes, or `LOCAL_TZ` becomes another zone) the feed does not
lie: it lists each change of those years from zoneinfo as its own STANDARD or DAYLIGHT,
without RDATE lists, which ical.js also reads right.
"""
from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

log = logging.getLogger(__name__)

# The rules' DTSTART is their first use in 1970, as Outlook and tzurl.org write it. (The
# Netherlands only changed clocks from 1977, on these dates from 1996; no feed reaches back.)
RULES_FROM_YEAR = 1970


@dataclass(frozen=True)
class ClockChange:
    """A yearly clock change on the last Sunday of `month`, at `wall_clock` on the clock before it."""

    daylight: bool
    name: str
    month: int
    wall_clock: time
    offset_from: timedelta
    offset_to: timedelta

    def onset(self, year: int) -> datetime:
        """The (naive) local time, on the clock before the change, at which it happens in `year`."""
        last_day = date(year, self.month, calendar.monthrange(year, self.month)[1])
        last_sunday = last_day - timedelta(days=(last_day.weekday() - calendar.SUNDAY) % 7)
        return datetime.combine(last_sunday, self.wall_clock)

    def moment(self, year: int) -> datetime:
        """The instant of the change in `year`, in UTC."""
        return (self.onset(year) - self.offset_from).replace(tzinfo=UTC)

    def component(self) -> icalendar.TimezoneDaylight | icalendar.TimezoneStandard:
        part = icalendar.TimezoneDaylight() if self.daylight else icalendar.TimezoneStandard()
        part.add("dtstart", self.onset(RULES_FROM_YEAR))
        part.add("rrule", {"freq": "YEARLY", "bymonth": self.month, "byday": "-1SU"})
        part.add("tzoffsetfrom", self.offset_from)
        part.add("tzoffsetto", self.offset_to)
        part.add("tzname", self.name)
        return part


CET, CEST = timedelta(hours=1), timedelta(hours=2)
# Summer time from 02:00 on the last Sunday of March, winter time from 03:00 on the last
# Sunday of October (both 01:00 UTC).
CLOCK_CHANGES = (
    ClockChange(daylight=False, name="CET", month=10, wall_clock=time(3), offset_from=CEST, offset_to=CET),
    ClockChange(daylight=True, name="CEST", month=3, wall_clock=time(2), offset_from=CET, offset_to=CEST),
)


def rule_offset(moment: datetime, changes: tuple[ClockChange, ...] = CLOCK_CHANGES) -> tuple[timedelta, str]:
    """The UTC offset and zone name that the rules give an aware moment."""
    year = moment.astimezone(UTC).year
    # The change that happened last before `moment`, counting last year's for January.
    latest = max(((change.moment(y), change) for change in changes for y in (year - 1, year)
                  if change.moment(y) <= moment), key=lambda pair: pair[0])[1]
    return latest.offset_to, latest.name


@lru_cache(maxsize=16)
def rules_hold(zone: ZoneInfo, first_year: int, last_year: int,
               changes: tuple[ClockChange, ...] = CLOCK_CHANGES) -> bool:
    """Whether `changes` say what zoneinfo says about `zone` from `first_year` to `last_year`.

    Checked on both sides of each change (to the second) and at noon UTC on every day.
    """
    moments = [moment for year in range(first_year, last_year + 1) for change in changes
               for moment in (change.moment(year) - timedelta(seconds=1), change.moment(year))]
    day = datetime(first_year, 1, 1, 12, tzinfo=UTC)
    while day.year <= last_year:
        moments.append(day)
        day += timedelta(days=1)
    for moment in moments:
        local = moment.astimezone(zone)
        if (local.utcoffset(), local.tzname()) != rule_offset(moment, changes):
            return False
    return True


def vtimezone(zone: ZoneInfo, first_date: date, last_date: date) -> icalendar.Timezone:
    """`zone` as a VTIMEZONE that is right for every moment from `first_date` to `last_date`."""
    if rules_hold(zone, first_date.year, last_date.year, CLOCK_CHANGES):
        component = icalendar.Timezone()
        component.add("tzid", zone.key)
        for change in CLOCK_CHANGES:
            component.add_component(change.component())
        return component
    log.warning("The clock-change rules no longer describe %s; the feed lists its changes instead.", zone.key)
    return listed_vtimezone(zone, first_date, last_date)


def listed_vtimezone(zone: ZoneInfo, first_date: date, last_date: date) -> icalendar.Timezone:
    """Every change of `zone` in the period, from zoneinfo, as its own STANDARD or DAYLIGHT.

    Not icalendar's `from_tzinfo`: besides its RDATE lists, it dates the change to summer
    time 03:00 by the clock before it (02:00 UTC), an hour late.
    """
    component = icalendar.Timezone()
    component.add("tzid", zone.key)
    start = datetime.combine(first_date, time(), UTC)
    first = start.astimezone(zone)
    component.add_component(_part(first, datetime.combine(first_date, time()), first.utcoffset()))
    for moment, offset_from in _changes(zone, start, datetime.combine(last_date + timedelta(days=1), time(), UTC)):
        # The onset as the clock before the change shows it.
        onset = (moment + offset_from).replace(tzinfo=None)
        component.add_component(_part(moment.astimezone(zone), onset, offset_from))
    return component


def _part(local: datetime, onset: datetime,
          offset_from: timedelta) -> icalendar.TimezoneDaylight | icalendar.TimezoneStandard:
    part = icalendar.TimezoneDaylight() if local.dst() else icalendar.TimezoneStandard()
    part.add("dtstart", onset)
    part.add("tzoffsetfrom", offset_from)
    part.add("tzoffsetto", local.utcoffset())
    part.add("tzname", local.tzname() or str(local.utcoffset()))
    return part


def _changes(zone: ZoneInfo, start: datetime, end: datetime):
    """(UTC moment, offset before it) of each change of `zone`'s offset or name in [start, end)."""

    def reading(moment: datetime) -> tuple:
        local = moment.astimezone(zone)
        return local.utcoffset(), local.tzname()

    day = start
    while day < end:
        before = reading(day)
        if reading(day + timedelta(days=1)) != before:
            # Narrow down to the second it changed (zones change at most once a day).
            low, high = 0, 86_400
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if reading(day + timedelta(seconds=middle)) == before else (low, middle)
            yield day + timedelta(seconds=high), before[0]
        day += timedelta(days=1)
