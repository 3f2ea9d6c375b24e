"""The feed as a client without its own time-zone database reads it (the Outlook app, ical.js).

ical.js, driven by tests/ical_reader.mjs, is told of no zone but the feed's own VTIMEZONE:
whatever time it gives an event comes from what the feed wrote, not from the tz database
the feed was written with.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest

from tests.test_calendar_feed import feed_path, uid, zoneinfo_changes
from webapp.accounts.models import Role
from webapp.calendar_feed import timezone as feed_timezone
from webapp.calendar_feed.timezone import ClockChange, listed_vtimezone, vtimezone
from webapp.schedule.models import EventKind
from webapp.timeutil import LOCAL_TZ

ROOT = Path(__file__).resolve().parent.parent
READER = ROOT / "tests" / "ical_reader.mjs"


def read_with_icaljs(ics: bytes, wall_clocks: list[datetime] = ()) -> dict:
    """What ical.js makes of `ics` (see tests/ical_reader.mjs), with each zone's offset at `wall_clocks`."""
    if shutil.which("node") is None:
        pytest.fail("Node.js is missing; these tests read the feed with ical.js. Install Node.js and run `make test`.")
    if not (ROOT / "node_modules" / "ical.js" / "package.json").is_file():
        pytest.fail("node_modules/ical.js is missing; run `make test` (its `npm ci` installs it from package.json).")
    arguments = [wall_clock.strftime("%Y-%m-%dT%H:%M:%S") for wall_clock in wall_clocks]
    result = subprocess.run(["node", str(READER), *arguments], input=ics, capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def utc(*parts: int) -> str:
    return datetime(*parts, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def today(monkeypatch):
    """Let the feed's "today" be a given day, so its window (4 weeks back, 26 ahead) holds what a test needs."""

    def set_today(day: date) -> None:
        monkeypatch.setattr("webapp.calendar_feed.services.today_local", lambda: day)

    return set_today


def events_read_by_icaljs(client, person) -> dict[str, dict]:
    feed = read_with_icaljs(client.get(feed_path(person)).data)
    assert feed["zones"] == ["Europe/Amsterdam"]
    events = {event["uid"]: event for event in feed["events"]}
    for event in events.values():
        for moment in (event["start"], event["end"]):
            # The time is in the feed's own zone, not floating or in a zone ical.js made up.
            assert (moment["tzid"], moment["embedded"]) == ("Europe/Amsterdam", True), event
    return events


def test_a_class_at_nine_is_nine_on_the_clock_in_winter_and_in_summer(client, make_user, make_event, today):
    person = make_user(Role.PARTICIPANT)
    today(date(2026, 1, 10))  # the window runs from 13 December 2025 to 11 July 2026
    winter = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 1, 14, 9, 0), minutes=180, attendees=[person])
    summer = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 6, 10, 9, 0), minutes=180, attendees=[person])

    events = events_read_by_icaljs(client, person)

    assert events[uid(winter)]["start"] == {"tzid": "Europe/Amsterdam", "embedded": True,
                                            "local": "2026-01-14T09:00:00", "utc": utc(2026, 1, 14, 8, 0)}
    assert events[uid(winter)]["end"]["utc"] == utc(2026, 1, 14, 11, 0)
    assert events[uid(summer)]["start"] == {"tzid": "Europe/Amsterdam", "embedded": True,
                                            "local": "2026-06-10T09:00:00", "utc": utc(2026, 6, 10, 7, 0)}
    assert events[uid(summer)]["end"]["utc"] == utc(2026, 6, 10, 10, 0)


# (local wall-clock start, UTC start) on the days around each clock change. Summer time
# starts on Sunday 29 March 2026 and 28 March 2027 (02:00 becomes 03:00, at 01:00 UTC) and
# ends on Sunday 25 October 2026 (03:00 becomes 02:00, at 01:00 UTC).
SPRING_2026 = [
    (datetime(2026, 3, 28, 9, 0), utc(2026, 3, 28, 8, 0)),    # Saturday, still winter time
    (datetime(2026, 3, 29, 1, 30), utc(2026, 3, 29, 0, 30)),  # Sunday, half an hour before the change
    (datetime(2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0)),    # the first minute of summer time
    (datetime(2026, 3, 29, 9, 0), utc(2026, 3, 29, 7, 0)),    # Sunday
    (datetime(2026, 3, 30, 9, 0), utc(2026, 3, 30, 7, 0)),    # Monday
]
AUTUMN_2026 = [
    (datetime(2026, 10, 24, 9, 0), utc(2026, 10, 24, 7, 0)),   # Saturday, still summer time
    (datetime(2026, 10, 25, 1, 30), utc(2026, 10, 24, 23, 30)),  # Sunday, before the change
    (datetime(2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0)),   # an hour after 02:00 came round again
    (datetime(2026, 10, 25, 9, 0), utc(2026, 10, 25, 8, 0)),   # Sunday
    (datetime(2026, 10, 26, 9, 0), utc(2026, 10, 26, 8, 0)),   # Monday
]
SPRING_2027 = [  # a year after the feed's first change: where icalendar's RDATE list went wrong
    (datetime(2027, 3, 27, 9, 0), utc(2027, 3, 27, 8, 0)),
    (datetime(2027, 3, 28, 9, 0), utc(2027, 3, 28, 7, 0)),
    (datetime(2027, 3, 29, 9, 0), utc(2027, 3, 29, 7, 0)),
]


@pytest.mark.parametrize(("today_is", "moments"), [
    pytest.param(date(2026, 3, 20), SPRING_2026, id="spring-2026"),
    pytest.param(date(2026, 10, 1), AUTUMN_2026 + SPRING_2027, id="autumn-2026-spring-2027"),
])
def test_both_sides_of_each_clock_change(client, make_user, make_event, today, today_is, moments):
    person = make_user(Role.PARTICIPANT)
    today(today_is)
    made = [(make_event(EventKind.WORK, start=local, minutes=60, attendees=[person]), local, utc_start)
            for local, utc_start in moments]

    events = events_read_by_icaljs(client, person)

    for event, local, utc_start in made:
        start = events[uid(event)]["start"]
        assert (start["local"], start["utc"]) == (local.isoformat(), utc_start), local


def test_a_night_shift_across_the_spring_change_is_eleven_hours(client, make_user, make_event, today):
    person = make_user(Role.PARTICIPANT)
    today(date(2026, 3, 20))
    shift = make_event(EventKind.WORK, start=datetime(2026, 3, 28, 22, 0), minutes=12 * 60, attendees=[person])

    event = events_read_by_icaljs(client, person)[uid(shift)]

    assert (event["start"]["local"], event["end"]["local"]) == ("2026-03-28T22:00:00", "2026-03-29T10:00:00")
    assert (event["start"]["utc"], event["end"]["utc"]) == (utc(2026, 3, 28, 21, 0), utc(2026, 3, 29, 8, 0))


@pytest.mark.parametrize(("write", "form"), [(vtimezone, b"RRULE:"), (listed_vtimezone, b"BEGIN:DAYLIGHT")],
                         ids=["rules", "listed"])
def test_icaljs_reads_the_written_zone_as_zoneinfo_from_2020_to_2040(write, form):
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    calendar.add_component(write(LOCAL_TZ, date(2020, 1, 1), date(2040, 12, 31)))
    assert form in calendar.to_ical() and b"RDATE" not in calendar.to_ical()
    # The last second on the clock before each change and the first after it (the hour that is
    # skipped in spring, or comes twice in autumn, has no one answer), and noon every day.
    wall_clocks = []
    for moment, offset_from, offset_to in zoneinfo_changes(2020, 2040):
        wall_clocks += [(moment + min(offset_from, offset_to)).replace(tzinfo=None) - timedelta(seconds=1),
                        (moment + max(offset_from, offset_to)).replace(tzinfo=None)]
    day = datetime(2020, 1, 1, 12)
    while day.year <= 2040:
        wall_clocks.append(day)
        day += timedelta(days=1)

    offsets = read_with_icaljs(calendar.to_ical(), wall_clocks)["offsets"]["Europe/Amsterdam"]

    expected = [wall_clock.replace(tzinfo=LOCAL_TZ).utcoffset().total_seconds() for wall_clock in wall_clocks]
    wrong = [(wall_clock.isoformat(), got, want)
             for wall_clock, got, want in zip(wall_clocks, offsets, expected, strict=True) if got != want]
    assert not wrong, wrong[:10]
    assert len(wall_clocks) == 2 * 42 + 7671


def test_when_the_rules_stop_describing_the_zone_each_change_is_listed(client, make_user, make_event, today,
                                                                        monkeypatch, caplog):
    # As if the EU had moved the change to summer time to April: the rules no longer hold.
    wrong = (feed_timezone.CLOCK_CHANGES[0],
             ClockChange(daylight=True, name="CEST", month=4, wall_clock=time(2),
                         offset_from=timedelta(hours=1), offset_to=timedelta(hours=2)))
    monkeypatch.setattr(feed_timezone, "CLOCK_CHANGES", wrong)
    # Alembic's logging setup (run by the test database's migration) turns existing loggers off.
    monkeypatch.setattr(feed_timezone.log, "disabled", False)
    caplog.set_level(logging.WARNING, feed_timezone.log.name)
    person = make_user(Role.PARTICIPANT)
    today(date(2026, 10, 1))
    made = [(make_event(EventKind.WORK, start=local, minutes=60, attendees=[person]), local, utc_start)
            for local, utc_start in AUTUMN_2026 + SPRING_2027]

    response = client.get(feed_path(person))
    assert b"RRULE" not in response.data and b"RDATE" not in response.data
    assert "no longer describe Europe/Amsterdam" in caplog.text
    events = events_read_by_icaljs(client, person)

    for event, local, utc_start in made:
        start = events[uid(event)]["start"]
        assert (start["local"], start["utc"]) == (local.isoformat(), utc_start), local
