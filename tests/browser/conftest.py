"""Fixtures for real-browser tests: the app on a live server, seeded data, headless Chromium.

The app runs in a thread of this process (werkzeug's `make_server`), on a SQLite file
built through the real migrations, with CSRF protection on: the browser sends real tokens.
Chromium is Debian's /usr/bin/chromium; `playwright install` is never needed.

Two live apps: `live_app`/`live_server` start empty (the participant flow fills in its own
world), `demo_site` is a second app on its own database with the full demo seed.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from tests.pages import Page, reachable_pages, viewers_of
from webapp import create_app
from webapp.accounts.models import Role, User
from webapp.accounts.services import (
    create_participant,
    hash_secret,
    issue_activation_token,
    normalise_phone,
)
from webapp.demo.seed import DEMO_PIN, DEMO_STAFF_PASSWORD, SeedResult, seed_demo
from webapp.extensions import db
from webapp.phrases.wording import Wording
from webapp.schedule.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    Location,
)
from webapp.timeutil import IsoWeek, local_to_utc, now_utc, today_local

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
READER_NOTE = "Neem je schrift mee."
# test-artifacts/ at the repository root (tests/browser/conftest.py -> repository root).
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCALES = ("nl", "en", "ar", "ti")


@contextmanager
def _migrated_app(directory: Path, **settings) -> Iterator:
    """An app on its own SQLite file built through the migrations; CSRF stays on."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'browser.db'}",
        "RATELIMIT_ENABLED": False,
    } | settings)
    with app.app_context():
        upgrade()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def _serving(app) -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app on its own migrated SQLite file, without data; CSRF stays on."""
    with _migrated_app(tmp_path_factory.mktemp("browser-db")) as app:
        yield app


@pytest.fixture(scope="session")
def live_server(live_app):
    """Serve `live_app` on a free port of 127.0.0.1; yields the base URL."""
    with _serving(live_app) as base_url:
        yield base_url


@dataclass(frozen=True)
class ParticipantWorld:
    participant_id: int
    activation_token: str
    this_week: IsoWeek
    next_week: IsoWeek
    appointment_id: int  # coach appointment next week, participant invited
    class_id: int  # language class this week


@pytest.fixture(scope="module")
def participant_world(live_app) -> ParticipantWorld:
    """A coach, a participant who has not activated yet with a fresh link, and two weeks of events."""
    with live_app.app_context():
        coach = User(role=Role.COACH, display_name="Sanne de Vries", email="sanne@example.org",
                     secret_hash=hash_secret("a long coach password"), locale="nl")
        db.session.add(coach)
        db.session.flush()
        participant = create_participant(coach, "Amina Haddad", "0612345001", "nl")
        token = issue_activation_token(participant, coach)

        this_week = IsoWeek.containing(today_local())
        next_week = this_week.shifted(1)
        place = Location(name="Stadhuis", address="Stadhuisplein 100", city="Zaandam")

        def event(kind: EventKind, day, start: time, minutes: int, **fields) -> Event:
            wall_clock = datetime.combine(day, start)
            created = Event(kind=kind, starts_at=local_to_utc(wall_clock),
                            ends_at=local_to_utc(wall_clock + timedelta(minutes=minutes)),
                            location=place, **fields)
            created.attendances = [Attendance(user_id=participant.id, status=AttendanceStatus.INVITED)]
            db.session.add(created)
            return created

        language_class = event(EventKind.LANGUAGE_CLASS, this_week.monday, time(9, 30), 120,
                               title="Taalles A2")
        event(EventKind.LANGUAGE_CLASS, next_week.monday, time(9, 30), 120, title="Taalles A2")
        appointment = event(EventKind.COACH_APPOINTMENT, next_week.monday + timedelta(days=1),
                            time(10, 0), 45, organiser_id=coach.id,
                            note=Wording.of("bring_agenda", by="coach"))
        db.session.commit()
        world = ParticipantWorld(
            participant_id=participant.id,
            activation_token=token,
            this_week=this_week,
            next_week=next_week,
            appointment_id=appointment.id,
            class_id=language_class.id,
        )
        db.session.remove()
    return world


OFFLINE_READER_PHONE, OFFLINE_READER_PIN = "0612399001", "730514"


@pytest.fixture(scope="session")
def reader(live_app):
    """A participant with a PIN, a class this week and an appointment next week."""
    with live_app.app_context():
        person = User(role=Role.PARTICIPANT, display_name="Yonas", phone=normalise_phone(OFFLINE_READER_PHONE),
                      locale="ti", secret_hash=hash_secret(OFFLINE_READER_PIN), activated_at=now_utc())
        db.session.add(person)
        db.session.flush()
        this_week = IsoWeek.containing(today_local())
        for day, kind, title in ((this_week.monday, EventKind.LANGUAGE_CLASS, "Taalles B1"),
                                 (this_week.shifted(1).monday + timedelta(days=2), EventKind.WORK, "Werkplek")):
            start = local_to_utc(datetime.combine(day, time(9, 0)))
            event = Event(kind=kind, title=title, starts_at=start, ends_at=start + timedelta(hours=2))
            if kind == EventKind.LANGUAGE_CLASS:  # the teacher's own words, in Dutch
                event.note = Wording(text=READER_NOTE, lang="nl", by="coach")
            event.attendances = [Attendance(user_id=person.id, status=AttendanceStatus.CONFIRMED)]
            db.session.add(event)
        db.session.commit()
        db.session.remove()
    return this_week


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test`, which installs it "
                    "(never `playwright install`).",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by one page."""

    def __init__(self, page):
        self.items: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    @staticmethod
    def _ignored(url: str) -> bool:
        return url.split("?")[0].endswith("/favicon.ico")

    def _console(self, message):
        if message.type != "error":
            return
        location = (message.location or {}).get("url", "")
        if self._ignored(location):
            return
        self.items.append(f"console error: {message.text} ({location})")

    def _request_failed(self, request):
        if not self._ignored(request.url):
            self.items.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response):
        if response.status >= 400 and not self._ignored(response.url):
            self.items.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def phone(browser, live_server):
    """A fresh phone-sized, Dutch-locale browser context; yields (page, problems)."""
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="nl-NL",
                                  timezone_id="Europe/Amsterdam", base_url=live_server)
    page = context.new_page()
    problems = PageProblems(page)
    try:
        yield page, problems
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


# --- The full demo, in a second live app -------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who looks at the pages: "anonymous" or a role value, and how that person signs in."""

    role: str
    user_id: int | None = None
    login_path: str = ""
    credentials: tuple[tuple[str, str], ...] = ()  # (field name, value) on the sign-in form


@dataclass(frozen=True)
class DemoSite:
    app: object
    base_url: str
    viewers: dict[str, Viewer]  # "anonymous", "participant", "buddy", "coach", "admin"
    seed: SeedResult  # what seed_demo() returned; its users are loaded and detached

    def set_locale(self, user_id: int, locale: str) -> None:
        with self.app.app_context():
            db.session.get(User, user_id).locale = locale
            db.session.commit()
            db.session.remove()

    def reachable_pages(self) -> list[Page]:
        """`tests.pages.reachable_pages` over this demo (asked only by the tests that need it)."""
        with self.app.app_context():
            return reachable_pages(self.app, self.seed)


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Iterator[DemoSite]:
    """`seed_demo()` in its own live app: every role signs in with the demo credentials."""
    # Static files may be cached for an hour, so a page load is one request, not four
    # (the crawls of the accessibility tests open a few hundred pages).
    with _migrated_app(tmp_path_factory.mktemp("demo-db"), SEND_FILE_MAX_AGE_DEFAULT=3600) as app:
        with app.app_context():
            seed = seed_demo()
            db.session.commit()
            # Load the people's columns and detach them, so they can be read without a session.
            people = [*seed.staff, *seed.participants, seed.pending]
            for person in people:
                db.session.refresh(person)
            db.session.expunge_all()
            db.session.remove()
        viewers = {}
        for role, person in viewers_of(seed).items():
            if person is None:
                viewers[role] = Viewer(role)
            elif person.role == Role.PARTICIPANT:
                viewers[role] = Viewer(role, person.id, "/login", (("phone", person.phone), ("pin", DEMO_PIN)))
            else:
                viewers[role] = Viewer(role, person.id, "/login/staff",
                                       (("email", person.email), ("password", DEMO_STAFF_PASSWORD)))
        with _serving(app) as base_url:
            site = DemoSite(app, base_url, viewers, seed)
            yield site
        for person in people:  # the locales the tests changed
            site.set_locale(person.id, person.locale)


@pytest.fixture(scope="session")
def open_as(browser, demo_site):
    """`with open_as(role, locale, **context_options) as (context, page):` a fresh browser
    context on the demo site in `locale`, signed in as that role's demo person.

    A signed-in person reads their own `User.locale`, which is set first; an anonymous
    visitor asks for the locale through Accept-Language. Each role signs in through the
    real form once per session (a password check is slow on purpose); later contexts start
    from the cookies of that sign-in. Defaults: a 360x740 phone, Europe/Amsterdam,
    Content-Security-Policy enforced (pass bypass_csp=True for axe).
    """
    signed_in: dict[str, dict] = {}  # role -> Playwright storage state after signing in

    def sign_in(page, viewer: Viewer) -> None:
        page.goto(viewer.login_path)
        for name, value in viewer.credentials:
            page.locator(f"input[name={name}]").fill(value)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert urlsplit(page.url).path not in ("/login", "/login/staff"), (
            f"{viewer.role} could not sign in: still on {page.url}")

    @contextmanager
    def opened(role: str, locale: str, **options):
        viewer = demo_site.viewers[role]
        if viewer.user_id is not None:
            demo_site.set_locale(viewer.user_id, locale)
        settings = {"viewport": PHONE_VIEWPORT, "timezone_id": "Europe/Amsterdam", "locale": locale,
                    "extra_http_headers": {"Accept-Language": locale}} | options
        if role in signed_in:
            settings["storage_state"] = signed_in[role]
        context = browser.new_context(base_url=demo_site.base_url, **settings)
        try:
            page = context.new_page()
            # Still signed in? The sign-in page sends a signed-in person home.
            if viewer.user_id is not None and (
                    role not in signed_in
                    or context.request.get(viewer.login_path, max_redirects=0).status != 302):
                sign_in(page, viewer)
                signed_in[role] = context.storage_state()
            yield context, page
        finally:
            context.close()

    return opened
