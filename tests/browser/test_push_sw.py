"""The service worker shows what the server pushes, in real Chromium, through the DevTools protocol.

The app runs live (its own SQLite file through the migrations, its own VAPID key in a tmp
instance folder). A participant signs in through the real /login form; the page registers
/sw.js; a push is delivered to that real service worker with `ServiceWorker.deliverPushMessage`
carrying exactly the JSON the worker would encrypt for a real Notification row
(`webapp.notify.texts.render`). The notification Chromium shows is read back with
`registration.getNotifications()`.

A tap on a notification is real too: Chromium on Linux hands its notifications to the desktop's
notification server over D-Bus, also when headless, and takes a tap back from it. The tap tests
play that server on a private bus (see "A tap on a notification" below), so the worker gets a
trusted notificationclick with the permission to focus or open a window, as on a phone. A
synthetic `new NotificationEvent("notificationclick")` would not do: its waitUntil throws
("Can not call waitUntil on a script constructed ExtendableEvent") and focus()/openWindow()
reject with "Not allowed to focus a window." / "Not allowed to open a window."

`pushManager.subscribe()` does not work here (see /work/shared/BROWSER-TESTS.md); the encrypted
leg is covered by tests/test_push.py.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import struct
import subprocess
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
from webapp.messages.models import MessageRecipient
from webapp.messages.services import send as send_message
from webapp.notify.keys import PRIVATE_FILE, public_key
from webapp.notify.models import Notification, NotificationStatus
from webapp.notify.planner import plan_test
from webapp.notify.texts import render
from webapp.phrases.wording import Wording
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


def phone_settings(person: Person) -> dict:
    return {"locale": person.locale, "viewport": {"width": 360, "height": 740}, "timezone_id": "Europe/Amsterdam"}


class Phone:
    """One browser context signed in as one participant, with the service worker registered."""

    def __init__(self, chromium, site: PushSite, person: Person, context=None):
        self.origin = site.origin
        self.context = context or chromium.new_context(base_url=site.origin, **phone_settings(person))
        self.context.grant_permissions(["notifications"], origin=site.origin)
        # A persistent context (the tap tests) opens with one blank tab: that one is the phone's.
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
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


# --- A tap on a notification ---------------------------------------------------------------
#
# Chromium on Linux shows its notifications through the desktop's notification server
# (org.freedesktop.Notifications on the D-Bus session bus), headless too, whenever that name has
# an owner when the browser starts. A tap comes back as the server's ActionInvoked(id, "default")
# signal, and Chromium then dispatches a trusted notificationclick to the service worker with
# the one-off permission to focus or open a window: the same path as a tap on a phone.
#
# So each tap test starts a private bus (dbus-daemon, with no activatable services), plays the
# notification server on it (`NotificationShade`: just enough of the D-Bus wire protocol, on the
# standard library), and launches a Chromium whose DBUS_SESSION_BUS_ADDRESS points there.
#
# That Chromium is a persistent context (a normal profile), not `browser.new_context()`: with an
# off-the-record Playwright context, Chromium 156 takes the tap and closes the notification, but
# no notificationclick reaches the worker (probably because it looks the profile up as the
# primary incognito one, which a Playwright context is not).

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
NO_REPLY_EXPECTED = 0x1
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION, SENDER, SIGNATURE = range(1, 9)
_FIXED = {"y": "B", "b": "I", "n": "h", "q": "H", "i": "i", "u": "I", "x": "q", "t": "Q", "d": "d", "h": "I"}
_ALIGN = {"y": 1, "g": 1, "v": 1, "n": 2, "q": 2, "b": 4, "i": 4, "u": 4, "h": 4, "s": 4, "o": 4, "a": 4,
          "x": 8, "t": 8, "d": 8, "(": 8, "{": 8}


def _complete_types(signature: str) -> list[str]:
    """'susa{sv}' -> ['s', 'u', 's', 'a{sv}']."""
    def end(at: int) -> int:
        if signature[at] == "a":
            return end(at + 1)
        if signature[at] in "({":
            at += 1
            while signature[at] not in ")}":
                at = end(at)
        return at + 1

    types, at = [], 0
    while at < len(signature):
        types.append(signature[at:end(at)])
        at += len(types[-1])
    return types


class _Writer:
    """D-Bus marshalling, little-endian; offsets count from the start of the body or header."""

    def __init__(self):
        self.data = bytearray()

    def pad(self, alignment: int) -> None:
        self.data += b"\0" * (-len(self.data) % alignment)

    def write(self, kind: str, value) -> None:
        code = kind[0]
        self.pad(_ALIGN[code])
        if code in _FIXED:
            self.data += struct.pack("<" + _FIXED[code], value)
        elif code in "so":
            raw = value.encode()
            self.data += struct.pack("<I", len(raw)) + raw + b"\0"
        elif code == "g":
            self.data += bytes([len(value)]) + value.encode() + b"\0"
        elif code == "v":
            self.write("g", value[0])
            self.write(value[0], value[1])
        elif code == "a":
            length_at = len(self.data)
            self.data += b"\0\0\0\0"
            self.pad(_ALIGN[kind[1]])
            start = len(self.data)
            for item in (value.items() if kind[1] == "{" else value):
                self.write(kind[1:], item)
            struct.pack_into("<I", self.data, length_at, len(self.data) - start)
        else:  # a struct or a dict entry
            for part, item in zip(_complete_types(kind[1:-1]), value, strict=True):
                self.write(part, item)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, kind: str):
        code = kind[0]
        self.at += -self.at % _ALIGN[code]
        if code in _FIXED:
            (value,) = struct.unpack_from("<" + _FIXED[code], self.data, self.at)
            self.at += struct.calcsize("<" + _FIXED[code])
            return value
        if code in "sog":
            length = self.data[self.at] if code == "g" else self.read("u")
            start = self.at + (1 if code == "g" else 0)
            self.at = start + length + 1
            return self.data[start:start + length].decode()
        if code == "v":
            return self.read(self.read("g"))
        if code == "a":
            length = self.read("u")
            self.at += -self.at % _ALIGN[kind[1]]
            end, items = self.at + length, []
            while self.at < end:
                items.append(self.read(kind[1:]))
            return dict(items) if kind[1] == "{" else items
        return tuple(self.read(part) for part in _complete_types(kind[1:-1]))


class NotificationShade:
    """The phone's notification shade, as Chromium sees it: org.freedesktop.Notifications on a bus.

    Keeps what Chromium shows (`shown`, by id) and what it takes away (`closed`); `tap(id)` is a
    finger on one of them.
    """

    def __init__(self, socket_path: str):
        self.shown: dict[int, dict] = {}
        self.closed: list[int] = []
        self._ids = itertools.count(1)
        self._serials = itertools.count(1)
        self._sending = threading.Lock()
        self._buffer = bytearray()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(10)
        self._socket.connect(socket_path)
        self._socket.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
        answer = self._take_line()
        assert answer.startswith(b"OK "), f"the bus refused us: {answer!r}"
        self._socket.sendall(b"BEGIN\r\n")
        self._ask_bus("Hello")
        owner = self._ask_bus("RequestName", "su", NOTIFICATIONS, 4)  # 4: do not queue
        assert owner == [1], f"could not own {NOTIFICATIONS}: {owner}"  # 1: primary owner
        self._socket.settimeout(None)
        self._thread = threading.Thread(target=self._serve, name="notification-shade", daemon=True)
        self._thread.start()

    def tap(self, notification_id: int) -> None:
        self._send(SIGNAL, {PATH: ("o", NOTIFICATIONS_PATH), INTERFACE: ("s", NOTIFICATIONS),
                            MEMBER: ("s", "ActionInvoked")}, "us", notification_id, "default")

    def wait_for(self, title: str, timeout: float = 10) -> int:
        """The id of the notification Chromium showed with this title."""
        deadline = time.monotonic() + timeout
        while True:
            found = [key for key, shown in self.shown.items() if shown["title"] == title]
            if found:
                return found[-1]
            assert time.monotonic() < deadline, f"Chromium showed no {title!r}; it showed {self.shown}"
            time.sleep(0.05)

    def close(self) -> None:
        self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(timeout=10)

    # The server's side: what Chromium asks.

    def _answer(self, member: str, args: list) -> tuple[str, list] | None:
        if member == "GetCapabilities":
            return "as", [["actions", "body"]]
        if member == "GetServerInformation":
            return "ssss", ["mijn-week-tests", "Mijn Week", "1", "1.2"]
        if member == "Notify":
            _app, replaces, _icon, title, body, actions, hints, _timeout = args
            notification_id = replaces or next(self._ids)
            self.shown[notification_id] = {"title": title, "body": body, "actions": actions,
                                           "hints": sorted(hints)}
            return "u", [notification_id]
        if member == "CloseNotification":
            self.closed.append(args[0])
            return "", []
        return None

    def _serve(self) -> None:
        while True:
            try:
                kind, flags, serial, fields, args = self._take_message()
            except (OSError, ConnectionError):
                return
            if kind != METHOD_CALL:
                continue
            answer = self._answer(fields.get(MEMBER), args)
            if flags & NO_REPLY_EXPECTED:
                continue
            to = {REPLY_SERIAL: ("u", serial), DESTINATION: ("s", fields[SENDER])}
            if answer is None:
                self._send(ERROR, to | {ERROR_NAME: ("s", "org.freedesktop.DBus.Error.UnknownMethod")})
            else:
                self._send(METHOD_RETURN, to, answer[0], *answer[1])
            if fields.get(MEMBER) == "CloseNotification":  # as a server does: 3, closed on request
                self._send(SIGNAL, {PATH: ("o", NOTIFICATIONS_PATH), INTERFACE: ("s", NOTIFICATIONS),
                                    MEMBER: ("s", "NotificationClosed")}, "uu", args[0], 3)

    # The wire.

    def _ask_bus(self, member: str, signature: str = "", *args) -> list:
        serial = self._send(METHOD_CALL, {PATH: ("o", "/org/freedesktop/DBus"),
                                          INTERFACE: ("s", "org.freedesktop.DBus"), MEMBER: ("s", member),
                                          DESTINATION: ("s", "org.freedesktop.DBus")}, signature, *args)
        while True:
            kind, _flags, _serial, fields, body = self._take_message()
            if kind in (METHOD_RETURN, ERROR) and fields.get(REPLY_SERIAL) == serial:
                assert kind == METHOD_RETURN, f"{member}: {fields.get(ERROR_NAME)} {body}"
                return body

    def _send(self, kind: int, fields: dict, signature: str = "", *args) -> int:
        body = _Writer()
        for part, value in zip(_complete_types(signature), args, strict=True):
            body.write(part, value)
        if signature:
            fields = fields | {SIGNATURE: ("g", signature)}
        with self._sending:
            serial = next(self._serials)
            header = _Writer()
            header.write("(yyyyuu)", (ord("l"), kind, 0, 1, len(body.data), serial))
            header.write("a(yv)", sorted(fields.items()))
            header.pad(8)
            self._socket.sendall(bytes(header.data + body.data))
        return serial

    def _take(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise ConnectionError("the bus hung up")
            self._buffer += chunk
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken

    def _take_line(self) -> bytes:
        line = b""
        while not line.endswith(b"\r\n"):
            line += self._take(1)
        return line

    def _take_message(self) -> tuple[int, int, int, dict, list]:
        fixed = self._take(16)
        assert fixed[:1] == b"l", "a big-endian D-Bus message"
        body_length, fields_length = struct.unpack_from("<I4xI", fixed, 4)
        rest = self._take(fields_length + -(16 + fields_length) % 8 + body_length)
        header = _Reader(fixed + rest)
        _endian, kind, flags, _version, _length, serial = header.read("(yyyyuu)")
        fields = dict(header.read("a(yv)"))
        body = _Reader((fixed + rest)[len(fixed + rest) - body_length:])
        args = [body.read(part) for part in _complete_types(fields.get(SIGNATURE, ""))]
        return kind, flags, serial, fields, args


@pytest.fixture(scope="module")
def notification_shade(tmp_path_factory):
    """A private D-Bus session bus with `NotificationShade` on it; yields the shade (`.address` set)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.fail("dbus-daemon is missing: install it with `apt-get install -y dbus-daemon`.", pytrace=False)
    directory = tmp_path_factory.mktemp("bus")
    config = directory / "session.conf"
    config.write_text(BUS_CONFIG.format(socket=directory / "socket"))
    bus = subprocess.Popen([daemon, f"--config-file={config}", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = bus.stdout.readline().strip()
        assert address.startswith("unix:"), f"dbus-daemon did not start (exit {bus.poll()})"
        shade = NotificationShade(str(directory / "socket"))
        shade.address = address
        yield shade
        shade.close()
    finally:
        bus.terminate()
        bus.wait(timeout=10)


@pytest.fixture
def tapping_phone(chromium, push_site, notification_shade, tmp_path):
    """`open_phone`, in a Chromium of its own that shows its notifications in `notification_shade`."""
    opened: list[Phone] = []

    def open_(person: Person) -> tuple[Phone, str]:
        context = chromium.browser_type.launch_persistent_context(
            tmp_path / f"profile-{len(opened)}", executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": notification_shade.address},
            base_url=push_site.origin, **phone_settings(person))
        phone = Phone(chromium, push_site, person, context=context)
        opened.append(phone)
        phone.sign_in(person)
        return phone, phone.register_service_worker()

    yield open_
    for phone in opened:
        phone.close()


def _message_from_coach(site: PushSite, person: Person, text: str) -> tuple[dict, int]:
    """A coach writes to this person through the real messages service; returns the payload and the message id."""
    with site.app.app_context():
        coach = db.session.scalars(db.select(User).filter_by(email="coach@mijnweek.example")).first()
        if coach is None:
            coach = User(role=Role.COACH, display_name="Sanne de Vries", email="coach@mijnweek.example",
                         secret_hash=hash_secret("a long coach password"), locale="nl")
            db.session.add(coach)
            db.session.flush()
        message = send_message(coach, [db.session.get(User, person.id)], Wording.own(text, "nl"))
        db.session.commit()
        notification = db.session.scalars(db.select(Notification).filter_by(
            user_id=person.id, message_id=message.id)).one()
        payload, message_id = render(notification), message.id
        db.session.remove()
    return payload, message_id


def _read_at(site: PushSite, message_id: int, person: Person):
    with site.app.app_context():
        read_at = db.session.scalars(db.select(MessageRecipient.read_at).filter_by(
            message_id=message_id, recipient_id=person.id)).one()
        db.session.remove()
    return read_at


def test_a_tap_on_a_reminder_takes_the_open_week_page_to_the_appointment(tapping_phone, push_site,
                                                                          notification_shade):
    payload = _appointment_reminder(push_site, push_site.amina)
    target = push_site.origin + payload["url"]
    assert re.fullmatch(r"/week/[^#]+#event-\d+", payload["url"]), payload["url"]
    phone, registration_id = tapping_phone(push_site.amina)
    assert urlsplit(phone.page.url).path == "/week"

    phone.push(registration_id, json.dumps(payload))
    phone.wait_until(lambda shown: _with_tag(shown, payload["tag"]), "the reminder")
    on_screen = notification_shade.wait_for(payload["title"])
    assert payload["body"] in notification_shade.shown[on_screen]["body"]
    assert "default" in notification_shade.shown[on_screen]["actions"]  # a tap means something

    notification_shade.tap(on_screen)

    # The open window goes to the appointment (focus() and navigate() were allowed: a real tap) ...
    phone.page.wait_for_url(target, timeout=10_000)
    assert phone.page.locator(f"#{urlsplit(target).fragment}").count() == 1
    # ... in that same window: no second one opened.
    assert [page.url for page in phone.context.pages if page.url.startswith(push_site.origin)] == [target]
    # And the reminder is gone, from the shade and from the registration.
    deadline = time.monotonic() + 10
    while on_screen not in notification_shade.closed:
        assert time.monotonic() < deadline, "Chromium did not close the tapped notification"
        phone.page.wait_for_timeout(50)
    phone.wait_until(lambda shown: not _with_tag(shown, payload["tag"]), "the tapped reminder to go")
    assert phone.errors == [] and phone.worker_errors == []


def test_a_tap_with_no_window_open_opens_the_message(tapping_phone, push_site, notification_shade):
    text = "Kun je morgen je paspoort meenemen?"
    payload, message_id = _message_from_coach(push_site, push_site.daan, text)
    target = push_site.origin + payload["url"]
    assert payload["url"] == f"/messages/{message_id}" and _read_at(push_site, message_id, push_site.daan) is None
    phone, registration_id = tapping_phone(push_site.daan)

    phone.push(registration_id, json.dumps(payload))
    phone.wait_until(lambda shown: _with_tag(shown, payload["tag"]), "the message notification")
    on_screen = notification_shade.wait_for(payload["title"])

    # The participant puts the phone away: no window of the app is left (the browser keeps running).
    phone.page.close()
    assert phone.context.pages == []
    deadline = time.monotonic() + 10
    while phone.worker.evaluate("self.clients.matchAll({type: 'window', includeUncontrolled: true})"
                                ".then((windows) => windows.length)"):
        assert time.monotonic() < deadline, "the closed window is still one of the worker's clients"
        time.sleep(0.05)

    with phone.context.expect_page(timeout=10_000) as opened:
        notification_shade.tap(on_screen)
    page = opened.value
    page.wait_for_url(target, timeout=10_000)
    assert text in page.locator("main").inner_text()  # signed in still: the message itself, not /login
    assert _read_at(push_site, message_id, push_site.daan) is not None
    assert [p.url for p in phone.context.pages] == [target]

    deadline = time.monotonic() + 10
    while on_screen not in notification_shade.closed:
        assert time.monotonic() < deadline, "Chromium did not close the tapped notification"
        page.wait_for_timeout(50)
    shown = page.evaluate(SHOWN)
    assert _with_tag(shown, payload["tag"]) == [], shown
    assert phone.worker_errors == []


class NothingShownAfterTheTap(Exception):
    """What the known sw.js bug below fails with; any other failure there is a real one."""


def test_a_tap_with_only_an_uncontrolled_window_open_still_shows_the_message(tapping_phone, push_site,
                                                                            notification_shade):
    payload, _message_id = _message_from_coach(push_site, push_site.daan, "Tot donderdag!")
    target = push_site.origin + payload["url"]
    phone, registration_id = tapping_phone(push_site.daan)
    # A second tab that bypassed the service worker when it loaded (as after a hard reload).
    uncontrolled = phone.context.new_page()
    bypass = phone.context.new_cdp_session(uncontrolled)
    bypass.send("Network.enable")  # setBypassServiceWorker does nothing without it
    bypass.send("Network.setBypassServiceWorker", {"bypass": True})
    uncontrolled.goto("/week")
    assert uncontrolled.evaluate("navigator.serviceWorker.controller") is None

    phone.push(registration_id, json.dumps(payload))
    phone.wait_until(lambda shown: _with_tag(shown, payload["tag"]), "the message notification")
    on_screen = notification_shade.wait_for(payload["title"])
    phone.page.close()  # only the uncontrolled tab is left

    notification_shade.tap(on_screen)
    deadline = time.monotonic() + 5
    while target not in [page.url for page in phone.context.pages]:
        if time.monotonic() > deadline:
            raise NothingShownAfterTheTap(
                f"no window shows {target} after the tap: {[page.url for page in phone.context.pages]}")
        uncontrolled.wait_for_timeout(100)
