"""The week page: what it shows, navigation, HTMX partials and bad week ids."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.phrases.wording import Wording
from webapp.schedule.models import EventKind
from webapp.timeutil import IsoWeek, now_utc, today_local


def this_week() -> IsoWeek:
    return IsoWeek.containing(today_local())


def at(day_offset: int, hour: int) -> datetime:
    """A local wall-clock time in the current week (0 = Monday)."""
    return datetime.combine(this_week().monday + timedelta(days=day_offset), time(hour))


@pytest.fixture
def participant(make_user):
    return make_user(Role.PARTICIPANT, display_name="Amina Haddad", locale="en")


def test_week_shows_every_item_with_kind_time_place_and_person(participant, make_user, make_event, login_as):
    coach = make_user(Role.COACH, display_name="Sanne de Vries")
    make_event(EventKind.LANGUAGE_CLASS, start=at(0, 9), minutes=180, attendees=[participant], title="Nederlands A2")
    make_event(EventKind.COACH_APPOINTMENT, start=at(1, 15), minutes=30, attendees=[participant],
               organiser=coach, note=Wording.own("Bring your letter", "nl"))
    page = login_as(participant).get("/week").get_data(as_text=True)
    assert 'lang="en" dir="ltr"' in page
    assert "Dutch class" in page and "taalles" in page and "Nederlands A2" in page
    assert "09:00" in page and "12:00" in page and "15:00" in page and "15:30" in page
    assert "Stadhuisplein 100, Zaandam" in page and "openstreetmap.org/search?query=Stadhuisplein" in page
    assert "With <bdi>Sanne de Vries</bdi>" in page and "Bring your letter" in page
    assert 'href="#i-book"' in page and 'href="#i-coach"' in page
    assert f"Week {this_week().week}" in page
    assert page.count("nothing planned") == 5


def test_today_is_marked(participant, login_as):
    page = login_as(participant).get("/week").get_data(as_text=True)
    assert f'id="day-{today_local().isoformat()}" aria-current="date"' in page
    assert "Today" in page


def test_other_weeks_and_links(participant, login_as):
    week = IsoWeek.parse("2026-W10")
    response = login_as(participant).get("/week/2026-W10")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/week/2026-W09"' in page and 'href="/week/2026-W11"' in page
    assert 'data-hx-push-url="true"' in page and "Back to this week" in page
    assert 'aria-current="date"' not in page
    assert week.monday.isoformat() in page


def test_htmx_swap_gets_only_the_week(participant, login_as):
    client = login_as(participant)
    response = client.get("/week/2026-W10", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="week"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    restore = client.get("/week/2026-W10", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


@pytest.mark.parametrize("week_id", ["2026-W99", "2025-W53", "banana", "2026-W4", "0001-W01"])
def test_malformed_week_is_a_clear_400(participant, login_as, week_id):
    response = login_as(participant).get(f"/week/{week_id}")
    assert response.status_code == 400
    assert "This week does not exist" in response.get_data(as_text=True)


def test_cancelled_item_stays_visible_and_says_so(participant, make_event, login_as):
    event = make_event(EventKind.LANGUAGE_CLASS, start=at(2, 9), attendees=[participant])
    event.cancelled_at = now_utc()
    db.session.commit()
    page = login_as(participant).get("/week").get_data(as_text=True)
    assert "is-cancelled" in page and "Cancelled" in page and "Dutch class" in page


def test_sign_in_required(client):
    response = client.get("/week")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_week_page_works_in_every_language(participant, login_as):
    client = login_as(participant)
    for locale, direction in (("ar", "rtl"), ("ti", "ltr"), ("nl", "ltr"), ("en", "ltr")):
        participant.locale = locale
        db.session.commit()
        page = client.get("/week").get_data(as_text=True)
        assert f'lang="{locale}" dir="{direction}"' in page


def test_query_count_does_not_grow_with_events(participant, make_event, login_as, app):
    from sqlalchemy import event as sa_event

    client = login_as(participant)

    def count_queries() -> int:
        statements = []
        listener = lambda *args: statements.append(1)
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get("/week")
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    make_event(EventKind.LANGUAGE_CLASS, start=at(0, 9), attendees=[participant])
    few = count_queries()
    for day in range(7):
        for hour in (8, 11, 14, 17):
            make_event(EventKind.WORK, start=at(day, hour), attendees=[participant])
    assert count_queries() == few
