"""Cached week pages: a repeat costs no rendering, and every change a person should see ends the copy."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import event as sa_event

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.messages.services import send
from webapp.notify.models import PushSubscription
from webapp.phrases.wording import Wording
from webapp.schedule.models import Attendance, EventKind
from webapp.timeutil import IsoWeek, local_to_utc

# A Wednesday at 10:00 in Amsterdam: the tests never depend on when they run.
WEDNESDAY = date(2026, 12, 2)
WEEK = IsoWeek.containing(WEDNESDAY)


def at(hour: int, day: date = WEDNESDAY) -> datetime:
    return datetime.combine(day, time(hour))


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(local_to_utc(at(10)), tick=False) as traveller:
        yield traveller


@pytest.fixture
def participant(make_user):
    return make_user(Role.PARTICIPANT, display_name="Amina Haddad", locale="en")


@pytest.fixture
def coach(make_user):
    return make_user(Role.COACH, display_name="Sanne de Vries")


class Counted:
    """GET a page and count the SQL statements and templates it took."""

    def __init__(self, client, app):
        self.client, self.app = client, app

    def get(self, path: str = "/week", **kwargs):
        from flask import template_rendered

        statements, templates = [], []

        def on_statement(*_args):
            statements.append(1)

        def on_template(_sender, template, context, **_extra):
            templates.append(template.name)

        sa_event.listen(db.engine, "before_cursor_execute", on_statement)
        template_rendered.connect(on_template, self.app)
        try:
            response = self.client.get(path, **kwargs)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", on_statement)
            template_rendered.disconnect(on_template, self.app)
        response.statements, response.templates = len(statements), templates
        return response


@pytest.fixture
def week_page(app, participant, login_as):
    return Counted(login_as(participant), app)


def test_a_repeat_is_served_without_rendering_and_says_the_same(week_page, participant, make_event):
    make_event(EventKind.LANGUAGE_CLASS, start=at(13), attendees=[participant], title="Nederlands A2")
    first = week_page.get()
    again = week_page.get()
    assert first.templates and not again.templates
    assert again.statements < first.statements
    assert again.get_data(as_text=True) == first.get_data(as_text=True)
    assert "Nederlands A2" in again.get_data(as_text=True)


def test_brotli_is_sent_as_stored_and_other_phones_get_it_unpacked(week_page, participant, make_event):
    make_event(EventKind.WORK, start=at(13), attendees=[participant], title="Albert Heijn")
    week_page.get()
    packed = week_page.get(headers={"Accept-Encoding": "br"})
    plain = week_page.get(headers={"Accept-Encoding": "identity"})
    assert not packed.templates and packed.headers["Content-Encoding"] == "br"
    assert "Content-Encoding" not in plain.headers and "Albert Heijn" in plain.get_data(as_text=True)
    assert "Accept-Encoding" in packed.headers["Vary"] and "HX-Request" in packed.headers["Vary"]


def test_the_swap_and_the_page_are_kept_apart(week_page):
    page = week_page.get(f"/week/{WEEK}").get_data(as_text=True)
    swap = week_page.get(f"/week/{WEEK}", headers={"HX-Request": "true"})
    again = week_page.get(f"/week/{WEEK}").get_data(as_text=True)
    assert "<html" in page and "<html" not in swap.get_data(as_text=True)
    assert again == page


def test_an_answer_shows_at_once(week_page, participant, coach, make_event):
    appointment = make_event(EventKind.COACH_APPOINTMENT, start=at(15), attendees=[participant], organiser=coach)
    assert "Will you come? Please answer." in week_page.get().get_data(as_text=True)
    answered = week_page.client.post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"},
                                     headers={"HX-Request": "true"})
    assert answered.status_code == 200, answered.get_data(as_text=True)
    page = week_page.get()
    assert page.templates and "Your answer: I'll come" in page.get_data(as_text=True)


@pytest.mark.parametrize("change, expected", [
    ("title", "Conversation group"),
    ("cancel", "Cancelled"),
    ("place", "Bibliotheek Oost"),
    ("organiser", "Sanne Jansen"),
    ("delete", None),
    ("uninvite", None),
])
def test_what_others_change_shows_at_once(week_page, participant, coach, make_event, change, expected):
    event = make_event(EventKind.COACH_APPOINTMENT, start=at(15), attendees=[participant], organiser=coach,
                       title="Talk about work")
    assert "Talk about work" in week_page.get().get_data(as_text=True)
    if change == "title":
        event.title = "Conversation group"
    elif change == "cancel":
        event.cancelled_at = local_to_utc(at(10))
    elif change == "place":
        event.location.name = "Bibliotheek Oost"
    elif change == "organiser":
        coach.display_name = "Sanne Jansen"
    elif change == "delete":
        db.session.delete(event)
    elif change == "uninvite":
        db.session.delete(db.session.query(Attendance).filter_by(event_id=event.id).one())
    db.session.commit()
    page = week_page.get()
    assert page.templates
    text = page.get_data(as_text=True)
    if expected is None:
        assert "Talk about work" not in text
    else:
        assert expected in text


def test_a_change_for_someone_else_keeps_my_copy(week_page, participant, make_user, make_event):
    other = make_user(Role.PARTICIPANT)
    make_event(EventKind.LANGUAGE_CLASS, start=at(13), attendees=[participant])
    theirs = make_event(EventKind.WORK, start=at(13), attendees=[other], title="Their work")
    week_page.get()
    theirs.title = "Their other work"
    db.session.commit()
    assert not week_page.get().templates


def test_a_new_message_and_a_new_device_show_at_once(week_page, participant, coach):
    assert "Reminders do not reach your phone" in week_page.get().get_data(as_text=True)
    send(coach, [participant], Wording.own("See you Friday", "nl"))
    db.session.commit()
    page = week_page.get()
    assert page.templates and "1 unread message" in page.get_data(as_text=True)
    db.session.add(PushSubscription(user_id=participant.id, endpoint="https://push.example/abc",
                                    p256dh="x", auth="y"))
    db.session.commit()
    assert "Reminders do not reach your phone" not in week_page.get().get_data(as_text=True)


def test_the_answer_buttons_go_when_the_activity_is_over(week_page, participant, coach, make_event,
                                                         wednesday_morning):
    make_event(EventKind.COACH_APPOINTMENT, start=at(11), attendees=[participant], organiser=coach)
    assert "Send my answer" in week_page.get().get_data(as_text=True)
    wednesday_morning.move_to(local_to_utc(at(11)) + timedelta(minutes=61))
    page = week_page.get()
    assert page.templates and "Send my answer" not in page.get_data(as_text=True)


def test_tomorrow_becomes_today_at_midnight(week_page, wednesday_morning):
    assert 'id="day-2026-12-02" aria-current="date"' in week_page.get().get_data(as_text=True)
    wednesday_morning.move_to(local_to_utc(at(0, WEDNESDAY + timedelta(days=1))) + timedelta(seconds=1))
    page = week_page.get().get_data(as_text=True)
    assert 'id="day-2026-12-03" aria-current="date"' in page


def test_each_session_gets_its_own_form_token(app, participant, login_as):
    first, second = Counted(login_as(participant), app), Counted(login_as(participant), app)
    token = re.compile(r'name="csrf-token" content="([^"]+)"')
    one = token.search(first.get().get_data(as_text=True)).group(1)
    first.get()
    other = second.get()
    assert other.templates and token.search(other.get_data(as_text=True)).group(1) != one


def test_the_language_is_part_of_the_copy(week_page, participant):
    assert 'lang="en"' in week_page.get().get_data(as_text=True)
    participant.locale = "ar"
    db.session.commit()
    assert 'lang="ar" dir="rtl"' in week_page.get().get_data(as_text=True)


def test_switched_off_the_cache_renders_every_time(make_app, make_user):
    app = make_app(WEEK_PAGE_CACHE=False)
    with app.app_context():
        person = make_user(Role.PARTICIPANT)
        counted = Counted(app.test_client(user=person), app)
        counted.get()
        assert counted.get().templates


def test_several_web_processes_share_the_copies_in_redis(make_app, make_user):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    one = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    other = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    with one.app_context():
        person = make_user(Role.PARTICIPANT)
        first = Counted(one.test_client(user=person), one)
        assert first.get().templates
        cookie = next(c for c in first.client._cookies.values() if c.key == "session")
    with other.app_context():
        second = Counted(other.test_client(user=person), other)  # another process, the same phone
        second.client.set_cookie("session", cookie.value, domain=cookie.domain)
        repeat = second.get()
        assert repeat.status_code == 200 and not repeat.templates
