"""The secret calendar feed: what a calendar app reads, and making or renewing the address."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from dateutil.rrule import rrulestr
from flask import render_template
from flask_babel import force_locale

from webapp.accounts.models import Role
from webapp.calendar_feed.services import make_feed, settings_context
from webapp.extensions import db
from webapp.phrases.wording import Wording
from webapp.schedule.models import EventKind
from webapp.schedule.series import create_series
from webapp.timeutil import LOCAL_TZ, now_utc, to_local, today_local

# A Friday a week before summer time starts (Sunday 29 March 2026, 02:00 becomes 03:00).
BEFORE_SPRING = date(2026, 3, 20)


@pytest.fixture
def spring(monkeypatch):
    """Let the feed's "today" be BEFORE_SPRING, so its window holds the change to summer time."""
    monkeypatch.setattr("webapp.calendar_feed.services.today_local", lambda: BEFORE_SPRING)


@pytest.fixture
def participant(make_user):
    return make_user(Role.PARTICIPANT, display_name="Amina Haddad")


@pytest.fixture
def coach(make_user):
    return make_user(Role.COACH, display_name="Sanne de Vries")


def feed_path(user) -> str:
    token = make_feed(user).token
    db.session.commit()
    return f"/calendar/{token}.ics"


def read_feed(client, path) -> icalendar.Calendar:
    response = client.get(path)
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def uid(event, host: str = "mijnweek.test") -> str:
    """The event's UID in a feed fetched at `host` (the tests' SERVER_NAME unless said)."""
    return f"event-{event.id}@{host}"


def test_feed_is_an_amsterdam_calendar_with_local_times_across_summer_time(client, participant, make_event, spring):
    overnight = make_event(EventKind.WORK, start=datetime(2026, 3, 28, 22, 0), minutes=12 * 60, attendees=[participant])
    before = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 3, 27, 9, 0), minutes=180, attendees=[participant])
    after = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 3, 30, 9, 0), minutes=180, attendees=[participant])

    response = client.get(feed_path(participant))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.cache_control.private and 0 < response.cache_control.max_age <= 3600
    calendar = icalendar.Calendar.from_ical(response.data)

    assert str(calendar["X-WR-CALNAME"]) == "Mijn Week"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.data
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Amsterdam"
    offsets = {(str(part["TZNAME"]), part.decoded("TZOFFSETTO")) for part in timezone.subcomponents}
    assert ("CET", timedelta(hours=1)) in offsets and ("CEST", timedelta(hours=2)) in offsets

    events = events_by_uid(calendar)
    night = events[uid(overnight)]
    assert night["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    start, end = night.decoded("DTSTART"), night.decoded("DTEND")
    assert (start.replace(tzinfo=None), end.replace(tzinfo=None)) == (datetime(2026, 3, 28, 22, 0),
                                                                       datetime(2026, 3, 29, 10, 0))
    # Twelve hours on the wall clock, eleven real ones: the clock jumped forward that night.
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=11)
    assert start.astimezone(UTC) == datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    for event, utc_hour in ((before, 8), (after, 7)):
        item = events[uid(event)]
        assert item.decoded("DTSTART").replace(tzinfo=None).time() == datetime(2026, 1, 1, 9, 0).time()
        assert item.decoded("DTSTART").astimezone(UTC).hour == utc_hour
    assert b"DTSTART;TZID=Europe/Amsterdam:20260330T090000" in response.data


def zoneinfo_changes(first_year: int, last_year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC moment, offset before, offset after) of every clock change of Europe/Amsterdam, hour by hour."""
    changes = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    before = moment.astimezone(LOCAL_TZ).utcoffset()
    while moment.year <= last_year:
        moment += timedelta(hours=1)
        after = moment.astimezone(LOCAL_TZ).utcoffset()
        if after != before:
            assert (moment - timedelta(seconds=1)).astimezone(LOCAL_TZ).utcoffset() == before  # on the hour
            changes.append((moment, before, after))
            before = after
    return changes


def test_the_zone_is_written_as_yearly_rules_that_agree_with_zoneinfo_2020_to_2040(client, participant):
    response = client.get(feed_path(participant))
    # The form Outlook and tzurl.org write; icalendar's own (an RDATE list) is misread by ical.js.
    assert b"RDATE" not in response.data and b"COMMENT" not in response.data
    [timezone] = icalendar.Calendar.from_ical(response.data).walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Amsterdam"
    parts = {part.name: part for part in timezone.subcomponents}
    assert sorted(parts) == ["DAYLIGHT", "STANDARD"] and len(timezone.subcomponents) == 2
    expected = {"STANDARD": (datetime(1970, 10, 25, 3, 0), 10, timedelta(hours=2), timedelta(hours=1), "CET"),
                "DAYLIGHT": (datetime(1970, 3, 29, 2, 0), 3, timedelta(hours=1), timedelta(hours=2), "CEST")}
    for name, (dtstart, month, offset_from, offset_to, tzname) in expected.items():
        part = parts[name]
        assert part.decoded("DTSTART") == dtstart
        assert dict(part["RRULE"]) == {"FREQ": ["YEARLY"], "BYMONTH": [month], "BYDAY": ["-1SU"]}
        assert (part.decoded("TZOFFSETFROM"), part.decoded("TZOFFSETTO"), str(part["TZNAME"])) == (
            offset_from, offset_to, tzname)
        assert f"DTSTART:{dtstart:%Y%m%dT%H%M%S}".encode() in response.data

    # Expand the written rules (dateutil, not zoneinfo): each onset is a wall-clock time before
    # the change, so minus TZOFFSETFROM it is the UTC moment. They must be zoneinfo's changes.
    written = sorted(
        ((onset - part.decoded("TZOFFSETFROM")).replace(tzinfo=UTC), part.decoded("TZOFFSETFROM"),
         part.decoded("TZOFFSETTO"))
        for part in parts.values()
        for onset in rrulestr(part["RRULE"].to_ical().decode(), dtstart=part.decoded("DTSTART")).between(
            datetime(2020, 1, 1), datetime(2041, 1, 1)))
    assert written == zoneinfo_changes(2020, 2040)
    assert len(written) == 42


def test_uids_carry_the_feeds_own_host_and_stay_the_same(client, participant, make_event):
    event = make_event(start=datetime.combine(today_local() + timedelta(days=1), datetime.min.time()).replace(hour=10),
                       attendees=[participant])
    path = feed_path(participant)

    def uids(base_url: str | None = None) -> list[str]:
        response = client.get(path, **({"base_url": base_url} if base_url else {}))
        assert response.status_code == 200
        return [str(item["UID"]) for item in icalendar.Calendar.from_ical(response.data).walk("VEVENT")]

    assert uids() == uids() == [uid(event)] == [f"event-{event.id}@mijnweek.test"]
    assert uids("https://mijnweek.example.nl") == [uid(event, "mijnweek.example.nl")]
    # The port is left out, and a host name is the same in any case or with its root dot.
    assert uids("http://127.0.0.1:5000") == uids("http://127.0.0.1:8000") == [uid(event, "127.0.0.1")]
    assert uids("https://MijnWeek.Example.NL.") == [uid(event, "mijnweek.example.nl")]
    assert uids("http://[::1]:5000") == [uid(event, "[::1]")]
    # Another installation, another UID for its event with the same number.
    assert uids("https://mijnweek.zaanstad.example") != uids("https://mijnweek.example.nl")


def test_place_status_name_and_change_time(client, participant, coach, make_event, spring):
    appointment = make_event(EventKind.COACH_APPOINTMENT, start=datetime(2026, 3, 24, 10, 0),
                             attendees=[participant], organiser=coach, note=Wording.of("bring_duo_letter", text="Bring your letter.", lang="en"))
    cancelled = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 3, 25, 9, 0), attendees=[participant],
                           title="Groep B1", cancelled_at=now_utc(), change_reason=Wording.of("teacher_ill", text="Ziek.", lang="nl", by="coach"))

    events = events_by_uid(read_feed(client, feed_path(participant)))

    first = events[uid(appointment)]
    assert str(first["SUMMARY"]) == "Appointment with your coach"
    assert str(first["LOCATION"]) == "Stadhuis, Stadhuisplein 100, Zaandam"
    assert str(first["STATUS"]) == "CONFIRMED"
    description = str(first["DESCRIPTION"])
    assert "With Sanne de Vries" in description and "Bring the letter from DUO. Bring your letter." in description
    assert "afspraak met je coach" in description  # the Dutch word, shown by default in English
    assert first.decoded("LAST-MODIFIED") == appointment.updated_at.replace(microsecond=0)
    assert str(first["URL"]).endswith(f"/week/2026-W13#event-{appointment.id}")

    second = events[uid(cancelled)]
    assert str(second["STATUS"]) == "CANCELLED"
    assert str(second["TRANSP"]) == "TRANSPARENT"
    assert str(second["SUMMARY"]) == "Cancelled: Dutch class: Groep B1"
    # The phrase in the reader's language; the coach's own words as written, said to be Dutch.
    assert ("Reason: The teacher is ill. The class does not go ahead. Your coach wrote, in Dutch: Ziek."
            in str(second["DESCRIPTION"]).replace("\n", " "))


def test_names_are_in_the_persons_language_whatever_the_calendar_app_asks(client, make_user, make_event, spring):
    person = make_user(Role.PARTICIPANT, locale="nl")
    event = make_event(EventKind.COACH_APPOINTMENT, start=datetime(2026, 3, 24, 10, 0), attendees=[person])
    response = client.get(feed_path(person), headers={"Accept-Language": "en"})
    item = events_by_uid(icalendar.Calendar.from_ical(response.data))[uid(event)]
    assert str(item["SUMMARY"]) == "Afspraak met je coach"


def test_only_the_persons_own_agenda_is_in_the_feed(client, participant, coach, assign, make_user, make_event,
                                                     spring):
    other = make_user(Role.PARTICIPANT)
    assign(coach, participant)
    mine = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 3, 23, 9, 0), attendees=[participant])
    theirs = make_event(EventKind.LANGUAGE_CLASS, start=datetime(2026, 3, 23, 9, 0), attendees=[other])
    appointment = make_event(EventKind.COACH_APPOINTMENT, start=datetime(2026, 3, 24, 10, 0),
                             attendees=[participant], organiser=coach)
    too_old = make_event(EventKind.WORK, start=datetime(2026, 2, 19, 9, 0), attendees=[participant])
    too_far = make_event(EventKind.WORK, start=datetime(2026, 9, 19, 9, 0), attendees=[participant])

    participant_uids = set(events_by_uid(read_feed(client, feed_path(participant))))
    assert uid(mine) in participant_uids
    assert uid(appointment) in participant_uids
    assert uid(theirs) not in participant_uids
    assert uid(too_old) not in participant_uids
    assert uid(too_far) not in participant_uids

    coach_events = events_by_uid(read_feed(client, feed_path(coach)))
    # The coach may see the class of someone in the caseload, but it is not in their agenda.
    assert set(coach_events) == {uid(appointment)}
    assert "With Amina" in str(coach_events[uid(appointment)]["DESCRIPTION"])


def test_recurring_items_reach_half_a_year_ahead(client, participant):
    monday = today_local() - timedelta(days=today_local().weekday())
    create_series(members=[participant], rule="FREQ=WEEKLY;BYDAY=MO", first_start_local=datetime.combine(
        monday, datetime.min.time()).replace(hour=9), duration=timedelta(hours=3), kind=EventKind.LANGUAGE_CLASS)
    db.session.commit()
    starts = [to_local(item.decoded("DTSTART")).date()
              for item in read_feed(client, feed_path(participant)).walk("VEVENT")]
    assert max(starts) >= today_local() + timedelta(weeks=25)
    assert len(starts) == len(set(starts)) >= 26


def test_unknown_renewed_and_disabled_addresses_are_404(client, participant, login_as):
    assert client.get("/calendar/no-such-token.ics").status_code == 404
    old_path = feed_path(participant)
    assert client.get(old_path).status_code == 200

    response = login_as(participant).post("/settings/calendar", data={"intent": "renew"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings#calendar")
    new_path = feed_path(participant)
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200

    participant.is_enabled = False
    db.session.commit()
    assert client.get(new_path).status_code == 404


def test_making_the_address_twice_keeps_the_first(participant, login_as):
    browser = login_as(participant)
    assert browser.post("/settings/calendar", data={"intent": "create"}).status_code == 303
    first = make_feed(participant).token
    assert browser.post("/settings/calendar", data={"intent": "create"}).status_code == 303
    assert make_feed(participant).token == first
    page = browser.get("/settings").get_data(as_text=True)
    assert "Your calendar address is ready." in page


def test_admins_get_no_address(make_user, login_as, app):
    admin = make_user(Role.ADMIN)
    assert login_as(admin).post("/settings/calendar", data={"intent": "create"}).status_code == 404
    with app.test_request_context(), force_locale("en"):
        assert render_template("calendar_feed/_settings.html", **settings_context(admin)).strip() == ""


def test_settings_section_offers_the_webcal_link_and_the_steps(app, participant):
    with app.test_request_context(), force_locale("en"):
        before = render_template("calendar_feed/_settings.html", **settings_context(participant))
    assert 'id="calendar"' in before and "Make my calendar address" in before and "webcal://" not in before

    token = make_feed(participant).token
    db.session.commit()
    with app.test_request_context(), force_locale("en"):
        section = render_template("calendar_feed/_settings.html", **settings_context(participant))
    assert f'href="webcal://mijnweek.test/calendar/{token}.ics"' in section
    assert f'value="http://mijnweek.test/calendar/{token}.ics"' in section and "readonly" in section
    assert "On iPhone" in section and "On Android (Google Calendar)" in section
    assert "Make a new address" in section and "The old address stops working" in section
    assert 'name="csrf_token"' in section


def test_an_unchanged_feed_answers_304(client, participant, make_event):
    make_event(start=datetime.combine(today_local() + timedelta(days=1), datetime.min.time()).replace(hour=10),
               attendees=[participant])
    path = feed_path(participant)
    first = client.get(path)
    assert first.headers.get("ETag")
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_each_feed_is_rate_limited(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        path = feed_path(make_user(Role.PARTICIPANT))
        client = app.test_client()
        statuses = [client.get(path).status_code for _ in range(61)]
        assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_the_token_never_reaches_the_logs(caplog, app, monkeypatch):
    caplog.set_level(logging.INFO)
    # Alembic's logging setup (run by the test database's migration) turns existing loggers off.
    for logger in (logging.getLogger("werkzeug"), app.logger):
        monkeypatch.setattr(logger, "disabled", False)
    logging.getLogger("werkzeug").info('%s "%s" %s %s', "127.0.0.1", "GET /calendar/s3cr3tT0ken.ics HTTP/1.1",
                                       200, 512)
    app.logger.error("Exception on /calendar/s3cr3tT0ken.ics [GET]")
    logging.getLogger("werkzeug").info('%s "%s" %s %s', "127.0.0.1", "POST /activate/Act1vat10nT0ken HTTP/1.1",
                                       302, 0)
    assert caplog.records and "s3cr3tT0ken" not in caplog.text and "Act1vat10nT0ken" not in caplog.text
    assert "/calendar/[hidden].ics" in caplog.text and "/activate/[hidden]" in caplog.text
