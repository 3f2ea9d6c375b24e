"""Fixtures: the app on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too."""
from __future__ import annotations

import functools
import os
from datetime import datetime, timedelta

import pytest
from flask_login import FlaskLoginClient
from flask_migrate import upgrade
from sqlalchemy import text

from webapp import create_app
from webapp.accounts.models import CoachAssignment, Role, User
from webapp.accounts.services import hash_secret
from webapp.extensions import db
from webapp.schedule.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    Location,
)
from webapp.timeutil import local_to_utc

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
TEST_PIN = "480153"
TEST_PASSWORD = "a long test password"


class TestClient(FlaskLoginClient):
    """Flask-Login's test client, with per-request caches on `g` cleared.

    The `app` fixture keeps one app context open, so `g` would outlive a request here
    (it never does in a real server) and keep the previous request's locale.
    Visitors read English unless a test says otherwise, so assertions can quote the source text.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):
        from flask import g

        if g:
            g.pop("_flask_babel", None)
            g.pop("_login_user", None)
            g.pop("csrf_token", None)  # Flask-WTF keeps the session's form token here
        return super().open(*args, **kwargs)


def base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "mijnweek.test",
    }


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    yield from _own_postgresql_schema(os.environ["TEST_DATABASE_URL"])


def _own_postgresql_schema(url: str):
    """A schema of this run's own in the test database, dropped afterwards: two runs at once
    (a developer and CI, or a benchmark) never drop each other's tables."""
    import secrets

    from sqlalchemy import create_engine

    from webapp.config import normalise_database_url

    url = normalise_database_url(url)
    schema = f"test_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url):
    """Build the schema once per backend through the real migrations."""
    app = create_app(base_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def make_app(migrated):
    """Create an app on the migrated database with extra settings; tables are emptied afterwards."""
    apps = []

    def factory(**overrides):
        app = create_app(base_config(migrated) | overrides)
        app.test_client_class = TestClient
        apps.append(app)
        return app

    yield factory
    if apps:
        with apps[0].app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(app):
    """A test client signed in as `user` (through Flask-Login's test client)."""

    def make(user: User):
        return app.test_client(user=user)

    return make


_counter = iter(range(1, 10**6))


@functools.cache
def secret_hash_of(secret: str) -> str:
    """Hash each test secret once: a strong hash is slow on purpose."""
    return hash_secret(secret)


@pytest.fixture
def make_user(app):
    def make(role: Role = Role.PARTICIPANT, **fields) -> User:
        number = next(_counter)
        defaults = {"display_name": f"Person {number}", "locale": "en"}
        if role == Role.PARTICIPANT:
            defaults |= {"phone": f"+316{number:08d}", "secret_hash": secret_hash_of(TEST_PIN)}
        else:
            defaults |= {"email": f"staff{number}@example.org", "secret_hash": secret_hash_of(TEST_PASSWORD)}
        user = User(role=role, **(defaults | fields))
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def assign(app):
    def link(coach: User, participant: User) -> None:
        db.session.add(CoachAssignment(coach_id=coach.id, participant_id=participant.id))
        db.session.commit()

    return link


@pytest.fixture
def make_event(app):
    """An event at a local wall-clock time, with attendees invited."""

    def make(kind: EventKind = EventKind.COACH_APPOINTMENT, *, start: datetime, minutes: int = 60,
             attendees=(), organiser: User | None = None, **fields) -> Event:
        location = Location(name="Stadhuis", address="Stadhuisplein 100", city="Zaandam")
        starts_at = local_to_utc(start)
        event = Event(kind=kind, starts_at=starts_at, ends_at=local_to_utc(start + timedelta(minutes=minutes)),
                      location=location, organiser_id=organiser.id if organiser else None, **fields)
        event.attendances = [Attendance(user_id=person.id, status=AttendanceStatus.INVITED)
                             for person in attendees]
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture(autouse=True)
def no_push_leaves_this_machine(monkeypatch):
    """Fail any test whose code would send an HTTP request (a push) anywhere but 127.0.0.1."""
    from urllib.parse import urlparse

    import requests.adapters

    real_send = requests.adapters.HTTPAdapter.send

    def guarded(self, request, *args, **kwargs):
        host = urlparse(request.url).hostname
        assert host in ("127.0.0.1", "localhost"), f"a test tried to reach {host}"
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", guarded)
