"""Faults (issue #8, item 6): the push service down, the worker killed mid-batch, the database gone.

Each fault has its own test below, on SQLite and (with TEST_DATABASE_URL) PostgreSQL:

- push service down (refused, time-out, 500, 429/503 with Retry-After): nothing is lost, it
  goes out later, once;
- worker killed mid-batch (SIGKILL of a real `flask notify worker`): nothing is lost and a
  notification reaches the push service at most twice, both copies with the same Topic and tag;
- database restarted (PostgreSQL: this worker's connections cut) or locked past the busy
  timeout (SQLite) while the worker runs: it logs, lives on and delivers what is due.
"""
from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock_time
from email.utils import format_datetime
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.notify import sender
from webapp.notify.commands import one_pass
from webapp.notify.models import (
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    PushSubscription,
)
from webapp.notify.planner import plan_test
from webapp.schedule.models import EventKind
from webapp.timeutil import local_to_utc, now_utc, to_local, today_local

from .push_service import PushService, Subscriber

ROOT = Path(__file__).resolve().parents[1]
VAPID_KEY = base64.urlsafe_b64encode(
    ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")).rstrip(b"=").decode()
FIRST_BACKOFF = timedelta(seconds=60)  # the sender's wait after a first failed attempt without Retry-After
WORKER_PAUSE_SECONDS = "0.3"  # the worker rests 5 s when idle; these tests have no time for that
# `flask notify worker`, as run in production, with its idle pause shortened. It loads the app
# first and starts only when the test opens its gate (a file), so loading takes no test time.
WORKER_SCRIPT = """
import os, sys, time
import webapp.notify.commands
from flask.cli import main
from webapp import create_app
create_app()
webapp.notify.commands.PAUSE_SECONDS = float(os.environ["FAULTS_WORKER_PAUSE_SECONDS"])
while not os.path.exists(os.environ["FAULTS_WORKER_GATE"]):
    time.sleep(0.02)
sys.argv = ["flask", "--app", "webapp", "notify", "worker"]
main()
"""


@pytest.fixture
def app(make_app, tmp_path):
    """Accepts the local push service's http:// endpoints; shares its VAPID key with worker processes."""
    app = make_app(PUSH_ALLOW_HTTP_LOCALHOST=True, VAPID_SUBJECT="mailto:test@mijnweek.example",
                   VAPID_PRIVATE_KEY=VAPID_KEY)
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture(autouse=True)
def own_http_client(monkeypatch):
    """A fresh connection pool per test: no kept-alive connection to an earlier test's push service."""
    monkeypatch.setattr(sender, "_client", None)
    yield
    if sender._client is not None:
        sender._client.clear()


def subscribe(app, person, endpoint: str) -> Subscriber:
    subscriber = Subscriber()
    response = app.test_client(user=person).post("/push/subscriptions", json=subscriber.subscription(endpoint))
    assert response.status_code == 201, response.get_data(as_text=True)
    return subscriber


def outbox() -> list[Notification]:
    """The outbox as the database has it now; the read is ended so no transaction stays open."""
    db.session.expire_all()
    rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
    db.session.commit()
    return rows


def attempt_codes() -> list[int | None]:
    """What the push service answered to each recorded attempt (None: no answer), oldest first."""
    return list(db.session.scalars(select(DeliveryAttempt.status_code).order_by(DeliveryAttempt.id)))


def copies_per_notification(service: PushService, subscribers: dict[str, Subscriber]) -> Counter:
    """How often each notification reached the push service, checking that every copy would fold
    into the first on the phone: it decrypts, its `tag` is its Topic, and all copies say the same."""
    payloads = defaultdict(list)
    for request in service.received:
        payload = subscribers[request.path].decrypt(request.body)
        assert payload["tag"] == request.headers["topic"], (payload, request.headers)
        payloads[request.headers["topic"]].append(payload)
    for topic, copies in payloads.items():
        assert all(copy == copies[0] for copy in copies), (topic, copies)
    return Counter({topic: len(copies) for topic, copies in payloads.items()})


def eventually(check, what: str, worker: Worker | None = None, timeout: float = 20.0):
    """Poll `check` until it holds; fail after `timeout` seconds, or at once if the worker died."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline or (worker is not None and not worker.alive):
            said = f"; the worker said:\n{worker.output()}" if worker else ""
            raise AssertionError(f"{what} did not happen{said}")
        time.sleep(0.05)
    return result


def sent(*ids: int):
    """A check for `eventually`: these notifications are marked sent."""
    def check() -> bool:
        statuses = [n.status for n in outbox() if n.id in ids]
        return len(statuses) == len(ids) and set(statuses) == {NotificationStatus.SENT}
    return check


def take_back_after_the_lease() -> list[int]:
    """Make five minutes pass for the rows a worker claimed and never settled: they look abandoned now."""
    stuck = [n for n in outbox() if n.status == NotificationStatus.SENDING]
    for notification in stuck:
        notification.claimed_at -= sender.STUCK_AFTER + timedelta(minutes=1)
    db.session.commit()
    return [n.id for n in stuck]


class Worker:
    """`flask notify worker` in a process of its own, its output in a file; `start()` lets it begin."""

    def __init__(self, database_url: str, log: Path):
        self.log = log
        self.gate = log.with_suffix(".go")
        env = {key: value for key, value in os.environ.items() if key not in ("MIJNWEEK_ENV", "REMINDER_WORKER")}
        env |= {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "VAPID_PRIVATE_KEY": VAPID_KEY,
                "VAPID_SUBJECT": "mailto:test@mijnweek.example", "FAULTS_WORKER_PAUSE_SECONDS": WORKER_PAUSE_SECONDS,
                "FAULTS_WORKER_GATE": str(self.gate),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        with log.open("wb") as output:
            self.process = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], cwd=ROOT, env=env,
                                            stdout=output, stderr=subprocess.STDOUT)

    def start(self) -> Worker:
        self.gate.touch()
        return self

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it: the pass under way ends, then the process."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)


@contextmanager
def worker_process(database_url: str, log: Path):
    """A worker loaded and waiting for `start()`; killed at the end if it still runs."""
    worker = Worker(database_url, log)
    try:
        yield worker
    finally:
        if worker.alive:
            worker.kill()


def people_with_phones(app, make_user, service: PushService, count: int, locales=("nl", "ar", "ti", "en")):
    """Participants with one subscribed phone each; returns them and the phones by endpoint path."""
    people = [make_user(Role.PARTICIPANT, locale=locales[index % len(locales)]) for index in range(count)]
    phones = {f"/push/p{person.id}": subscribe(app, person, service.endpoint(f"p{person.id}")) for person in people}
    return people, phones


# --- the push service down -------------------------------------------------------------------

@pytest.fixture
def noon():
    """Tomorrow at 12:00 in Amsterdam, clock stopped: outside the quiet hours, and retry times are exact."""
    moment = local_to_utc(datetime.combine(today_local() + timedelta(days=1), clock_time(12)))
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller


# What the push service does while it is down: how long the sender then waits, and the status it records.
OUTAGES = {
    "connection refused": (FIRST_BACKOFF, None),
    "no answer within the time-out": (FIRST_BACKOFF, None),
    "500": (FIRST_BACKOFF, 500),
    "429 Retry-After: 600": (timedelta(seconds=600), 429),
    "503 Retry-After: <date>": (timedelta(minutes=15), 503),
}


@pytest.mark.parametrize("fault", OUTAGES)
def test_push_service_down_nothing_is_lost_and_it_goes_out_once_later(app, make_user, make_event, noon, monkeypatch,
                                                                     fault):
    wait, recorded_status = OUTAGES[fault]
    service = PushService()
    if fault == "connection refused":
        service.stop()  # the port is free: connecting is refused
    else:
        service.__enter__()
    try:
        people, phones = people_with_phones(app, make_user, service, 3, locales=("ar", "ti", "nl"))
        for person in people:  # its hour-before reminder is due now
            start = to_local(now_utc() + timedelta(minutes=45)).replace(tzinfo=None)
            make_event(EventKind.COACH_APPOINTMENT, start=start, attendees=[person])
        if fault == "no answer within the time-out":
            monkeypatch.setattr(sender, "TIMEOUT_SECONDS", 0.5)
            service.hold_after(0)
        for path in phones:
            if fault == "500":
                service.answer_for(path, 500)
            elif fault.startswith("429"):
                service.answer_for(path, 429, Retry_After="600")
            elif fault.startswith("503"):
                service.answer_for(path, 503, Retry_After=format_datetime(now_utc() + wait, usegmt=True))

        start = now_utc()
        assert one_pass() == {"sent": 0, "retry": 3, "unreachable": 0, "dropped": 0}
        rows = outbox()
        assert [(n.reason, n.status, n.attempts, n.due_at) for n in rows] == [
            ("hour_before", NotificationStatus.PENDING, 1, start + wait)] * 3
        assert all("try again" in n.last_error for n in rows)
        assert attempt_codes() == [recorded_status] * 3
        assert [d.failures for d in db.session.scalars(select(PushSubscription))] == [1, 1, 1]  # kept, not removed
        during_outage = len(service.received)

        noon.move_to(start + wait - timedelta(seconds=1))
        assert sum(one_pass().values()) == 0 and len(service.received) == during_outage

        if fault == "connection refused":
            service = PushService(port=service.port).__enter__()  # back, where the phones expect it
        service.answers_by_path.clear()
        service.release()
        noon.move_to(start + wait)
        assert one_pass() == {"sent": 3, "retry": 0, "unreachable": 0, "dropped": 0}
        noon.shift(timedelta(minutes=10))
        assert sum(one_pass().values()) == 0

        copies = copies_per_notification(service, phones)
        after_outage = Counter(request.headers["topic"] for request in service.received[during_outage:])
        assert after_outage == Counter({f"n{n.id}": 1 for n in rows})  # delivered once each
        assert copies == after_outage + Counter({f"n{n.id}": 1 for n in rows if during_outage})
        languages = {request.path: phones[request.path].decrypt(request.body)["lang"] for request in service.received}
        assert sorted(languages.values()) == ["ar", "nl", "ti"]
        assert {n.status for n in outbox()} == {NotificationStatus.SENT}
        assert attempt_codes() == [recorded_status] * 3 + [201] * 3
    finally:
        service.stop()


# --- the worker killed mid-batch -------------------------------------------------------------

def test_worker_killed_mid_batch_loses_nothing_and_duplicates_fold_on_the_phone(app, make_user, migrated, tmp_path):
    with (PushService() as service, worker_process(migrated, tmp_path / "first.log") as first,
          worker_process(migrated, tmp_path / "second.log") as second):
        people, phones = people_with_phones(app, make_user, service, 16)
        for person in people:
            plan_test(person)
        db.session.commit()
        ids = [n.id for n in outbox()]
        # Four pushes are accepted (the phone has them), then the push service hangs: the worker
        # waits on its answer to every push still in flight when it is killed.
        service.hold_after(4)
        first.start()
        service.wait_for(4 + 1)
        service.wait_until_quiet()
        first.kill()
        service.wait_until_quiet(0.2)  # a request already on its way is counted as the killed worker's
        service.release()
        pushed_by_the_killed_worker = {request.headers["topic"] for request in service.received}
        assert 4 + 1 <= len(service.received) == len(pushed_by_the_killed_worker) < len(ids)
        assert {n.status for n in outbox()} == {NotificationStatus.SENDING}  # claimed, never settled
        assert attempt_codes() == []

        # A pass of the new worker: it leaves the claimed rows alone while their lease runs.
        late, late_phone = people_with_phones(app, make_user, service, 1)
        phones |= late_phone
        plan_test(late[0])
        db.session.commit()
        late_id = max(n.id for n in outbox())
        second.start()
        eventually(sent(late_id), "the new worker sending what is due", second)
        assert {n.status for n in outbox() if n.id in ids} == {NotificationStatus.SENDING}
        assert take_back_after_the_lease() == ids
        eventually(sent(*ids), "the rows of the killed worker being sent", second)
        assert second.stop() == 0, second.output()

    copies = copies_per_notification(service, phones)
    assert copies == Counter({f"n{i}": 2 if f"n{i}" in pushed_by_the_killed_worker else 1 for i in [*ids, late_id]})
    assert attempt_codes() == [201] * 17
    assert {n.attempts for n in outbox()} == {1}


# --- the database gone while the worker runs -------------------------------------------------

class PostgresCut:
    """PostgreSQL restarted, as this worker sees it: its own connections (by application_name) ended."""

    def __init__(self, database_url: str):
        self.name = f"mijnweek-faults-{secrets.token_hex(4)}"
        self.worker_url = f"{database_url}{'&' if '?' in database_url else '?'}application_name={self.name}"

    @contextmanager
    def during(self, worker: Worker):
        # With a timeout (PostgreSQL 14+) it returns once the backends are gone, not merely signalled.
        ended = db.session.execute(text(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE application_name = :name AND datname = current_database() AND pid <> pg_backend_pid()"),
            {"name": self.name}).scalar_one()
        db.session.commit()
        assert ended >= 1, "the worker had no connection to cut"
        yield


class SqliteLock:
    """SQLite busy for longer than its busy timeout: another connection keeps the write lock."""

    def __init__(self, database_url: str):
        self.worker_url = database_url

    @contextmanager
    def during(self, worker: Worker):
        """The lock is an open write of this test's session, kept until the worker gave up waiting for it."""
        before = worker.output().count("database is locked")
        db.session.execute(text("UPDATE users SET locale = locale"))
        yield
        eventually(lambda: worker.output().count("database is locked") > before,
                   "the worker running into the lock", worker, timeout=15)
        db.session.commit()


def _drop_pooled_connection() -> None:
    """Have PostgreSQL end the backend of the connection this app's pool holds (as a restart would)."""
    from sqlalchemy import create_engine, text

    db.session.remove()
    with db.engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(db.engine.url)
    with admin.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    admin.dispose()


def test_an_idle_pooled_connection_the_database_dropped_is_replaced_before_use(app, monkeypatch):
    import webapp

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server that drops connections")
    from sqlalchemy import text

    _drop_pooled_connection()
    monkeypatch.setattr(webapp, "IDLE_BEFORE_PING", 0.0)  # the connection counts as idle: pinged
    assert db.session.execute(text("SELECT 1")).scalar() == 1
    db.session.remove()


def test_a_signed_in_request_after_a_database_restart_succeeds(app, make_user, monkeypatch):
    import webapp

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server that drops connections")
    person = make_user(Role.PARTICIPANT)
    client = app.test_client(user=person)
    assert client.get("/week").status_code == 200
    _drop_pooled_connection()
    monkeypatch.setattr(webapp, "IDLE_BEFORE_PING", 3600.0)  # in steady use: not pinged, the first read fails
    db.session.remove()  # a new request's session, as in production
    assert client.get("/week").status_code == 200


def test_database_outage_while_the_worker_runs_it_recovers_by_itself(app, make_user, migrated, tmp_path):
    outage = (PostgresCut if db.engine.dialect.name == "postgresql" else SqliteLock)(migrated)
    with PushService() as service, worker_process(outage.worker_url, tmp_path / "worker.log") as worker:
        people, phones = people_with_phones(app, make_user, service, 5)
        plan_test(people[0])
        db.session.commit()
        worker.start()
        eventually(sent(outbox()[0].id), "the first notification", worker)

        if db.engine.dialect.name == "postgresql":
            # Between passes: the worker's pooled connection is dead; the next pass must get a new one.
            with outage.during(worker):
                pass
        plan_test(people[1])
        db.session.commit()
        eventually(sent(*[n.id for n in outbox()]), "the next notification", worker)

        # In the middle of a batch: pushed, then the outcome cannot be written.
        service.hold_after(0)
        plan_test(people[2])
        plan_test(people[3])
        db.session.commit()
        service.wait_for(4)
        warnings = worker.output().count("database unavailable")
        with outage.during(worker):
            service.release()
        if isinstance(outage, SqliteLock):
            # The outcome cannot be written: the worker says so, lives on, and the batch waits for its lease.
            eventually(lambda: worker.output().count("database unavailable") > warnings, "the worker logging",
                       worker)
        plan_test(people[4])
        db.session.commit()
        last_id = max(n.id for n in outbox())
        eventually(sent(last_id), "sending after the outage mid-batch", worker)

        # On PostgreSQL the worker holds no connection while the pushes are out (sender.py ends its
        # transaction first), so the cut costs nothing: the outcome goes in over a new connection.
        stuck = take_back_after_the_lease()
        assert len(stuck) == (2 if isinstance(outage, SqliteLock) else 0)
        if stuck:
            eventually(sent(*stuck), "the batch the outage interrupted, sent again", worker)
        assert worker.alive
        assert worker.stop() == 0, worker.output()

    copies = copies_per_notification(service, phones)
    expected = [1, 1, 1, 2, 2] if stuck else [1, 1, 1, 1, 1]
    assert sorted(copies.values()) == expected and {f"n{i}" for i in stuck} == {
        topic for topic, count in copies.items() if count == 2}
    assert {n.status for n in outbox()} == {NotificationStatus.SENT}
