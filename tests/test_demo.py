"""The demo programme: believable, centred on this week, and safe to seed twice."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp.accounts.models import Role, User
from webapp.demo.seed import DEMO_PIN, seed_demo
from webapp.extensions import db
from webapp.schedule.models import Attendance, Event, EventKind, Series
from webapp.schedule.services import build_week
from webapp.timeutil import IsoWeek, today_local

TABLES = (User, Event, Attendance, Series)


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def test_seed_twice_adds_nothing_twice(app):
    seed_demo()
    db.session.commit()
    first = counts()
    seed_demo()
    db.session.commit()
    assert counts() == first


def test_this_week_is_full_for_every_participant(app):
    result = seed_demo()
    db.session.commit()
    assert {person.locale for person in result.participants} >= {"ar", "ti", "en", "nl"}
    week = IsoWeek.containing(today_local())
    for person in result.participants:
        kinds = {item.event.kind for day in build_week(person, week).days for item in day.items}
        assert {EventKind.LANGUAGE_CLASS, EventKind.WORK, EventKind.COACH_APPOINTMENT} <= kinds
    amina = result.participants[0]
    kinds = {item.event.kind for day in build_week(amina, week).days for item in day.items}
    assert EventKind.BUDDY_MEETING in kinds
    cancelled = db.session.scalars(select(Event).where(
        Event.kind == EventKind.LANGUAGE_CLASS, Event.cancelled_at.is_not(None),
        Event.starts_at >= week.start_utc, Event.starts_at < week.end_utc)).all()
    assert len(cancelled) == 1


def test_demo_people_can_sign_in(app):
    result = seed_demo()
    db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"phone": result.participants[0].phone, "pin": DEMO_PIN})
    assert response.status_code == 302
    coach = next(person for person in result.staff if person.role == Role.COACH)
    assert app.test_client().get(f"/activate/{result.pending_token}").status_code == 200
    assert coach.email == "sanne@example.org"


def test_seed_command_prints_the_logins(app):
    output = app.test_cli_runner().invoke(args=["demo", "seed", "--base-url", "http://127.0.0.1:5000"]).output
    assert "sanne@example.org" in output and DEMO_PIN in output and "/activate/" in output
