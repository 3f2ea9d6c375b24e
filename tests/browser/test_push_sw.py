"""The service worker shows what the server pushes, in real Chromium, through the DevTools protocol.

The app runs live (its own SQLite file through the migrations, its own VAPID key in a tmp
instance folder). A participant signs in through the real /login form; the page registers
/sw.js; a push is delivered to that real service worker with `ServiceWorker.deliverPushMessage`
carrying exactly the JSON the worker would encrypt for a real Notification row
(`webapp.notify.texts.render`). The notification Chromium shows is read back with
`registration.getNotifications()`.

Not covered: the notificationclick path. Playwright cannot click a system notification, and a
synthetic NotificationEvent is untrusted (its waitUntil throws and it gives no permission to
focus or open a window), so it would test the harness, not the app. `data.url`, which the
click handler opens, is checked instead. `pushManager.subscribe()` does not work here either
(see /work/shared/BROWSER-TESTS.md); the encrypted leg is covered by tests/test_push.py.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from webapp import create_app
from webapp.accounts.models import Role, User
from webapp.accounts.services import hash_secret, normalise_phone
from webapp.extensions import db
from webapp.notify.keys import PRIVATE_FILE, public_key
from webapp.notify.models import Notification, NotificationStatus
from webapp.notify.planner import plan_test
from webapp.notify.texts import render
from webapp.schedule.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    Location,
)
from webapp.timeutil import local_to_utc, now_utc, today_local

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PIN = "480153"
SHOWN = """navigator.serviceWorker.ready
  .then((registration) => registration.getNotifications())
  .then((shown) => shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, lang: n.lang,
                                      dir: n.dir, data: n.data, timestamp: n.timestamp})))"""

# Counts, inside the service worker, the showNotification() calls that have settled (observation
# only: the worker's own code runs unchanged).
COUNT_SHOWN = """() => {
  if (self.__shownByTest !== undefined) return;
  self.__shownByTest = 0;
  self.__notShownByTest = [];
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (...args) {
    return show.apply(this, args).then(
      (value) => { self.__shownByTest += 1; return value; },
      (error) => { self.__notShownByTest.push(String(error)); throw error; });
  };
}"""

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Person:
    id: int
    phone: str
    locale: str


@dataclass(frozen=True)
class PushSite:
    app: object
    origin: str
    amina: Person  # reads Arabic (right to left)
    daan: Person  # reads Dutch


def _participant(name: str, phone: str, locale: str) -> Person:
    user = User(role=Role.PARTICIPANT, display_name=name, phone=normalise_phone(phone), locale=locale,
                secret_hash=hash_secret(PIN), activated_at=now_utc())
    db.session.add(user)
    db.session.flush()
    return Person(user.id, phone, locale)


@pytest.fixture(scope="module")
def push_site(tmp_path_factory):
    """The app on its own migrated SQLite file, served on 127.0.0.1:<free port>, with two participants."""
    directory = tmp_path_factory.mktemp("push-sw")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "push-sw-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'push.db'}",
        "RATELIMIT_ENABLED": False,
        "REMINDER_WORKER": "off",
        "PUSH_SEND_TEST_AT_ONCE": False,
        "VAPID_PRIVATE_KEY": None,
        "VAPID_SUBJECT": "mailto:test@mijnweek.example",
    })
    app.instance_path = str(directory / "instance")  # the VAPID key is generated here, not in ./instance
    with app.app_context():
        upgrade()
        public_key()  # the VAPID key pair is made on first use, in the tmp instance folder
        assert (Path(app.instance_path) / PRIVATE_FILE).exists()
        amina = _participant("Amina Haddad", "0612345101", "ar")
        daan = _participant("Daan Bakker", "0612345102", "nl")
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="push-sw-live-server", daemon=True)
    thread.start()
    try:
        yield PushSite(app, f"http://127.0.0.1:{server.server_port}", amina, daan)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def chromium(request):
    """Headless Chromium. Playwright's sync API runs once per process, so the session's `browser`
    fixture (tests/browser/conftest.py) is shared when it exists; otherwise this module launches its own."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install it with "
                    "`apt-get install -y chromium fonts-noto-core` (never `playwright install`).", pytrace=False)
    try:
        shared = request.getfixturevalue("browser")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        yield shared
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Phone:
    """One browser context signed in as one participant, with the service worker registered."""

    def __init__(self, chromium, site: PushSite, person: Person):
        self.origin = site.origin
        self.context = chromium.new_context(base_url=site.origin, locale=person.locale,
                                            viewport={"width": 360, "height": 740},
                                            timezone_id="Europe/Amsterdam")
        self.context.grant_permissions(["notifications"], origin=site.origin)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.cdp = self.context.new_cdp_session(self.page)
        self.registrations: dict[str, dict] = {}
        self.versions: dict[str, dict] = {}
        self.worker_errors: list[str] = []
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._registrations_updated)
        self.cdp.on("ServiceWorker.workerVersionUpdated",
                    lambda event: self.versions.update({v["versionId"]: v for v in event["versions"]}))
        self.cdp.on("ServiceWorker.workerErrorReported", lambda event: self.worker_errors.append(event["errorMessage"]))
        self.cdp.send("ServiceWorker.enable")

    def _registrations_updated(self, event: dict) -> None:
        for registration in event["registrations"]:
            self.registrations[registration["registrationId"]] = registration

    def sign_in(self, person: Person) -> None:
        self.page.goto("/login")
        self.page.locator("input[name=phone]").fill(person.phone)
        self.page.locator("input[name=pin]").fill(PIN)
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").click()
        assert urlsplit(self.page.url).path.startswith("/week"), f"could not sign in: still on {self.page.url}"

    def register_service_worker(self) -> str:
        """Register /sw.js, wait until it is active; returns the DevTools registrationId."""
        assert self.page.evaluate("Notification.permission") == "granted"
        scope = self.page.evaluate(
            "navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)"
            ".then((registration) => registration.active && registration.scope)")
        assert scope == self.origin + "/"
        deadline = time.monotonic() + 10
        while True:
            self.page.wait_for_timeout(100)  # sync Playwright dispatches CDP events only inside API calls
            ids = [r["registrationId"] for r in self.registrations.values()
                   if r["scopeURL"] == scope and not r["isDeleted"]]
            if ids:
                break
            assert time.monotonic() < deadline, f"no ServiceWorker.workerRegistrationUpdated for {scope}"
        self.worker = next((w for w in self.context.service_workers if w.url == self.origin + "/sw.js"), None)
        if self.worker is None:
            self.worker = self.context.wait_for_event(
                "serviceworker", predicate=lambda w: w.url == self.origin + "/sw.js", timeout=10_000)
        self.worker.evaluate(COUNT_SHOWN)
        return ids[-1]

    def _settled(self) -> tuple[int, list[str]] | None:
        state = self.worker.evaluate("[self.__shownByTest, self.__notShownByTest]")
        return None if state[0] is None else (state[0], state[1])

    def push(self, registration_id: str, data: str) -> None:
        """Deliver a push and wait until the service worker's showNotification() has settled.

        Reading getNotifications() while a showNotification() is still in flight can make
        Chromium drop the new notification from its database ("no longer displayed"), so
        nothing is read before the worker says its notification is on screen.
        """
        before = self._settled()
        self.cdp.send("ServiceWorker.deliverPushMessage",
                      {"origin": self.origin, "registrationId": registration_id, "data": data})
        if before is None:  # the worker was restarted and lost its counter: fall back to polling
            return
        deadline = time.monotonic() + 10
        while True:
            now = self._settled()
            if now is None or now[0] > before[0] or len(now[1]) > len(before[1]):
                break
            assert time.monotonic() < deadline, (
                "the service worker did not show a notification within 10 s; versions "
                f"{[(v['status'], v['runningStatus']) for v in self.versions.values()]}, errors {self.worker_errors}")
            self.page.wait_for_timeout(25)
        assert now is None or now[1] == before[1], f"showNotification() failed: {now[1]}"

    def shown(self) -> list[dict]:
        return self.page.evaluate(SHOWN)

    def wait_until(self, condition, what: str, timeout: float = 10) -> list[dict]:
        """Read getNotifications() until `condition(shown)` holds."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.shown()
            if condition(shown):
                return shown
            assert time.monotonic() < deadline, f"timed out waiting for {what}; shown: {shown}"
            self.page.wait_for_timeout(200)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_phone(chromium, push_site):
    opened: list[Phone] = []

    def open_(person: Person) -> tuple[Phone, str]:
        phone = Phone(chromium, push_site, person)
        opened.append(phone)
        phone.sign_in(person)
        return phone, phone.register_service_worker()

    yield open_
    for phone in opened:
        phone.close()


def _appointment_reminder(site: PushSite, person: Person) -> dict:
    """A coach appointment the day after tomorrow and its 'hour before' row; returns the app's payload."""
    with site.app.app_context():
        wall_clock = datetime.combine(today_local() + timedelta(days=2), datetime.min.time().replace(hour=14))
        event = Event(kind=EventKind.COACH_APPOINTMENT, starts_at=local_to_utc(wall_clock),
                      ends_at=local_to_utc(wall_clock + timedelta(minutes=45)),
                      location=Location(name="Stadhuis", address="Stadhuisplein 100", city="Zaandam"))
        event.attendances = [Attendance(user_id=person.id, status=AttendanceStatus.CONFIRMED)]
        db.session.add(event)
        db.session.flush()
        notification = Notification(user_id=person.id, reason="hour_before", ref=str(event.id), event_id=event.id,
                                    due_at=now_utc(), status=NotificationStatus.PENDING)
        db.session.add(notification)
        db.session.commit()
        payload = render(notification)
        db.session.remove()
    return payload


def _test_reminder(site: PushSite, person: Person) -> dict:
    """The settings page's test reminder, planned by the real planner; returns the app's payload."""
    with site.app.app_context():
        user = db.session.get(User, person.id)
        plan_test(user)
        db.session.commit()
        notification = db.session.scalars(db.select(Notification).filter_by(user_id=person.id, reason="test")).one()
        payload = render(notification)
        db.session.remove()
    return payload


def _fallback_words(phone: Phone) -> dict[str, dict]:
    """The words /sw.js shows when a push carries no readable payload, per language, as served."""
    script = phone.page.request.get("/sw.js").text()
    match = re.search(r"^const FALLBACK = (\{.*\});$", script, re.MULTILINE)
    assert match, "no `const FALLBACK = {...};` line in /sw.js"
    return json.loads(match.group(1))


def _with_tag(shown: list[dict], tag: str) -> list[dict]:
    return [notification for notification in shown if notification["tag"] == tag]


def test_arabic_reminder_is_shown_as_rendered_once_and_unreadable_pushes_still_show(open_phone, push_site):
    payload = _appointment_reminder(push_site, push_site.amina)
    assert payload["lang"] == "ar" and payload["dir"] == "rtl" and payload["url"].startswith("/week/")
    phone, registration_id = open_phone(push_site.amina)
    assert phone.shown() == []

    # 1. The payload the worker would encrypt, delivered to the real service worker.
    phone.push(registration_id, json.dumps(payload))
    shown = phone.wait_until(lambda shown: _with_tag(shown, payload["tag"]), "the reminder")
    assert len(shown) == 1
    first = shown[0]
    assert (first["title"], first["body"], first["tag"]) == (payload["title"], payload["body"], payload["tag"])
    assert first["lang"] == "ar" and first["dir"] == "rtl"
    assert first["data"] == {"url": payload["url"]}  # where the notificationclick handler goes

    # 2. The same push again (a worker that died mid-batch may send it twice): it replaces, never doubles.
    phone.page.wait_for_timeout(20)  # so the replacement's timestamp differs
    phone.push(registration_id, json.dumps(payload))
    shown = phone.wait_until(
        lambda shown: any(n["timestamp"] != first["timestamp"] for n in _with_tag(shown, payload["tag"])),
        "the duplicate push to be shown")
    assert len(_with_tag(shown, payload["tag"])) == 1 and len(shown) == 1
    again = shown[0]
    assert (again["title"], again["body"], again["lang"], again["dir"]) == (
        payload["title"], payload["body"], "ar", "rtl")

    # 3. A push whose data is not JSON still shows a notification: the service worker's fallback.
    phone.push(registration_id, "this is not JSON {")
    shown = phone.wait_until(lambda shown: _with_tag(shown, "mijn-week"), "the fallback notification")
    fallback = _with_tag(shown, "mijn-week")
    assert len(fallback) == 1 and len(shown) == 2
    # Without a payload the phone's own language (navigator.language, "ar" here) chooses the words.
    assert (fallback[0]["title"], fallback[0]["lang"], fallback[0]["dir"]) == ("Mijn Week", "ar", "rtl")
    words = _fallback_words(phone)
    assert fallback[0]["body"] == words["ar"]["body"]
    assert words["ar"]["body"].strip() and words["ar"]["body"] != words["en"]["body"]  # translated, not English
    assert fallback[0]["data"] == {"url": "/week"}

    assert phone.errors == []


def test_dutch_test_reminder_reads_left_to_right(open_phone, push_site):
    payload = _test_reminder(push_site, push_site.daan)
    assert payload["lang"] == "nl" and payload["dir"] == "ltr"
    phone, registration_id = open_phone(push_site.daan)

    phone.push(registration_id, json.dumps(payload))
    shown = phone.wait_until(lambda shown: _with_tag(shown, payload["tag"]), "the test reminder")
    assert len(shown) == 1
    assert (shown[0]["title"], shown[0]["body"], shown[0]["tag"]) == (payload["title"], payload["body"], payload["tag"])
    assert shown[0]["lang"] == "nl" and shown[0]["dir"] == "ltr"
    assert shown[0]["data"] == {"url": payload["url"]} and payload["url"] == "/settings"

    # An empty push (no data at all) also shows something, in the phone's language.
    phone.push(registration_id, "")
    shown = phone.wait_until(lambda shown: _with_tag(shown, "mijn-week"), "the fallback notification")
    fallback = _with_tag(shown, "mijn-week")[0]
    assert (fallback["title"], fallback["lang"], fallback["dir"]) == ("Mijn Week", "nl", "ltr")
    words = _fallback_words(phone)
    assert fallback["body"] == words["nl"]["body"]
    assert words["nl"]["body"].strip() and words["nl"]["body"] != words["en"]["body"]
    assert phone.errors == []
