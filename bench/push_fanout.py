"""Reminder fan-out: how fast the real worker empties an outbox of N due notifications.

    .venv/bin/python -m bench.push_fanout [--count 10000] [--workers 1|2] [--limit 200]
                                          [--database-url postgresql://...] [--max-seconds 90]
                                          [--latency-ms 0] [--in-process]

Builds an app on a fresh database (a temporary SQLite file, or a temporary schema in the
PostgreSQL database given with --database-url, dropped afterwards), starts the local push
service of tests/push_service.py, creates N participants with one subscription and one due
notification each (bulk inserts), and runs `webapp.notify.sender.send_due` in a loop until
the outbox is empty (or --max-seconds have passed: the rate is then taken over what was sent). Then it measures two ceilings on the same machine: how many payloads
the crypto library encrypts per second, and how many plain (unencrypted) POSTs of the same
size the same push service takes per second. Exits 1 when the worker is below 500 pushes/s
or below half the plain-POST rate. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import threading
import time

from pywebpush import WebPusher
from sqlalchemy import func, insert, select

from bench.support import build_app, temporary_database
from tests.push_service import PushService, Subscriber
from webapp.accounts.models import Role, User
from webapp.extensions import db
from webapp.notify.commands import prepare_worker_process
from webapp.notify.keys import subject, vapid
from webapp.notify.models import Notification, NotificationStatus, PushSubscription
from webapp.notify.sender import PARALLEL_SENDS, Tally, client, send_due
from webapp.notify.texts import render
from webapp.timeutil import now_utc

MIN_PUSHES_PER_SECOND = 500
MIN_SHARE_OF_PLAIN = 0.5
LOCALES = ("nl", "ar", "en", "ti")
BASELINE_SECONDS = 3.0


class LocalPushService:
    """tests.push_service.PushService in this process (shares the worker's GIL: --in-process)."""

    def __init__(self, latency: float = 0.0):
        self.service = PushService()
        _add_latency(self.service, latency)
        self.service.__enter__()

    def endpoint(self, name: str) -> str:
        return self.service.endpoint(name)

    def count(self) -> int:
        return len(self.service.received)

    def summary(self, sample: int) -> dict:
        return _summary(self.service, sample)

    def clear(self) -> None:
        with self.service.lock:
            self.service.received = []

    def close(self) -> None:
        self.service.__exit__(None, None, None)


def _summary(service: PushService, sample: int) -> dict:
    """What the push service got: every Topic, the median body size, and a sample to decrypt."""
    with service.lock:
        received = list(service.received)
    sizes = sorted(len(request.body) for request in received) or [0]
    chosen = random.Random(1).sample(received, min(sample, len(received)))
    return {"topics": [request.headers.get("topic") for request in received], "median_size": sizes[len(sizes) // 2],
            "sample": [(request.path, request.headers, request.body) for request in chosen]}


def _add_latency(service: PushService, seconds: float) -> None:
    """Make every answer take `seconds` longer, like a push service across the internet."""
    if seconds <= 0:
        return
    handler = service.server.RequestHandlerClass

    class Distant(handler):
        def do_POST(self):
            time.sleep(seconds)
            super().do_POST()

    service.server.RequestHandlerClass = Distant


def _serve(connection, counter, latency: float) -> None:
    """The child process: run the push service and answer the parent's questions."""
    with PushService() as service:
        _add_latency(service, latency)
        connection.send(service.server.server_address[1])
        stop = threading.Event()

        def keep_count():
            while not stop.wait(0.05):
                counter.value = len(service.received)

        threading.Thread(target=keep_count, daemon=True).start()
        while True:
            command, argument = connection.recv()
            if command == "stop":
                break
            if command == "clear":
                with service.lock:
                    service.received = []
                counter.value = 0
                connection.send(None)
            elif command == "summary":
                connection.send(_summary(service, argument))
        stop.set()


class ChildPushService:
    """tests.push_service.PushService in a child process (the default): the push service's
    Python threads do not compete with the worker for the GIL, as a real push service would not."""

    def __init__(self, latency: float = 0.0):
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.counter = context.Value("q", 0, lock=False)
        self.process = context.Process(target=_serve, args=(child_end, self.counter, latency), daemon=True,
                                       name="bench-push-service")
        self.process.start()
        child_end.close()  # so a child that dies shows up here as EOFError, not as a hang
        if not self.connection.poll(60):
            self.process.terminate()
            raise SystemExit("the push service process did not start within 60 s")
        self.port = self.connection.recv()

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"

    def count(self) -> int:
        return self.counter.value

    def summary(self, sample: int) -> dict:
        self.connection.send(("summary", sample))
        return self.connection.recv()

    def clear(self) -> None:
        self.connection.send(("clear", None))
        self.connection.recv()

    def close(self) -> None:
        self.connection.send(("stop", None))
        self.process.join(timeout=10)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.push_fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="participants = due notifications (10000)")
    parser.add_argument("--workers", type=int, choices=(1, 2), default=1,
                        help="worker threads running send_due (2 only on PostgreSQL)")
    parser.add_argument("--limit", type=int, default=200, help="rows claimed per send_due pass (200, its default)")
    parser.add_argument("--database-url", help="PostgreSQL URL; a temporary schema is created in it and dropped")
    parser.add_argument("--max-seconds", type=float, default=90.0,
                        help="stop the worker after this long and rate what it sent (90; 0 = no limit)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the push service in this process (it then shares the GIL with the worker)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="the push service answers this much later, like one across the internet (0)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.workers > 1 and not args.database_url:
        parser.error("SQLite runs one worker (claims are not row-locked there); use --database-url for 2")
    return args


class Progress:
    """One line that rewrites itself on a terminal (a line every few seconds otherwise)."""

    def __init__(self, label: str, total: int, done):
        self.label, self.total, self.done = label, total, done
        self.final: int | None = None  # the exact count at the end (the running count may lag a little)
        self.tty = sys.stderr.isatty()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.perf_counter()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self._show(final=True)

    def _show(self, final: bool = False) -> None:
        done = self.final if final and self.final is not None else self.done()
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        line = f"  {self.label}: {done:>7,}/{self.total:,}  {100 * done / self.total:5.1f}%  {rate:8,.0f}/s  {elapsed:6.1f} s"
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if final else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def _run(self) -> None:
        interval = 0.25 if self.tty else 5.0
        while not self.stop.wait(interval):
            self._show()


def build_push_app(database):
    """The real app on `database` (support.build_app), taking the local push service's http:// endpoints."""
    app = build_app(database, TESTING=True, PUSH_ALLOW_HTTP_LOCALHOST=True,
                    VAPID_SUBJECT="mailto:bench@mijnweek.example")
    with app.app_context():
        vapid()  # generated into the temporary instance folder before the clock starts
        db.session.remove()
    return app


def seed(app, service, count: int) -> dict[str, Subscriber]:
    """N participants, each with one subscription and one notification due now; bulk inserts."""
    subscribers: dict[str, Subscriber] = {}
    at = now_utc()
    with app.app_context():
        db.session.execute(insert(User), [
            {"role": Role.PARTICIPANT, "display_name": f"Bench {i}", "locale": LOCALES[i % len(LOCALES)],
             "created_at": at} for i in range(count)])
        user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        rows = []
        for i, user_id in enumerate(user_ids):
            name = f"s{i}"
            subscriber = Subscriber()
            subscribers[f"/push/{name}"] = subscriber
            info = subscriber.subscription(service.endpoint(name))
            rows.append({"user_id": user_id, "endpoint": info["endpoint"], "p256dh": info["keys"]["p256dh"],
                         "auth": info["keys"]["auth"], "user_agent": "bench", "created_at": at, "failures": 0})
        db.session.execute(insert(PushSubscription), rows)
        db.session.execute(insert(Notification), [
            {"user_id": user_id, "reason": "test", "ref": f"bench-{i}", "due_at": at,
             "status": NotificationStatus.PENDING, "attempts": 0, "last_error": "", "created_at": at}
            for i, user_id in enumerate(user_ids)])
        db.session.commit()
        db.session.remove()
    return subscribers


def run_worker(app, workers: int, limit: int, total: int, service,
               max_seconds: float) -> tuple[float, Tally, list[str]]:
    """The real worker until the outbox is empty or time is up; returns (seconds, summed tallies, problems)."""
    summed, lock, stop, problems = Tally(), threading.Lock(), threading.Event(), []

    def loop():
        prepare_worker_process()
        with app.app_context():
            try:
                while not stop.is_set():
                    tally = send_due(limit=limit)
                    with lock:
                        for outcome in ("sent", "retry", "unreachable", "dropped"):
                            setattr(summed, outcome, getattr(summed, outcome) + getattr(tally, outcome))
                        summed.ids.extend(tally.ids)
                    if not tally.ids:
                        break
            except Exception as error:  # noqa: BLE001 - reported, and the figures are then void
                problems.append(f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=loop, name=f"bench-worker-{n}") for n in range(workers)]
    with Progress("worker", total, service.count) as progress:
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join(timeout=max(0.0, started + max_seconds - time.perf_counter()) if max_seconds else None)
        finally:  # time is up (or Ctrl-C): each worker finishes the batch it holds
            stop.set()
            for thread in threads:
                thread.join()
        seconds = time.perf_counter() - started
        progress.final = len(summed.ids)
    return seconds, summed, problems


def verify(app, received: dict, subscribers: dict[str, Subscriber], count: int) -> list[str]:
    """Each of the `count` sent notifications went out exactly once, and a sample decrypts to its own tag."""
    problems = []
    topics = received["topics"]
    if len(topics) != count or len(set(topics)) != count:
        problems.append(f"push service got {len(topics)} pushes ({len(set(topics))} distinct), expected {count}")
    with app.app_context():
        statuses = dict(db.session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)).all())
        db.session.remove()
    if statuses.get(NotificationStatus.SENT, 0) != count:
        problems.append(f"outbox statuses {({str(k): v for k, v in statuses.items()})}, expected {count} sent")
    for path, headers, body in received["sample"]:
        payload = subscribers[path].decrypt(body)
        if payload.get("tag") != headers.get("topic"):
            problems.append(f"{path}: decrypted tag {payload.get('tag')} != topic {headers.get('topic')}")
            break
    return problems


def sample_payload(app) -> str:
    """The JSON the worker encrypts for the first notification (a test reminder in Dutch)."""
    with app.app_context():
        notification = db.session.scalars(select(Notification).order_by(Notification.id)).first()
        payload = json.dumps(render(notification))
        db.session.remove()
    return payload


def timed(seconds: float, step) -> float:
    """Call `step` repeatedly for about `seconds`; returns calls per second."""
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(20):
            step()
        calls += 20
    return calls / elapsed


def encryption_rate(subscription: dict, payload: bytes) -> float:
    return timed(BASELINE_SECONDS, lambda: WebPusher(subscription).encode(payload, "aes128gcm"))


def vapid_rate(app, audience: str) -> float:
    with app.app_context():
        key, sub = vapid(), subject()
        return timed(BASELINE_SECONDS, lambda: key.sign(
            {"sub": sub, "aud": audience, "exp": int(time.time()) + 12 * 3600}))


def plain_post_rate(service, size: int, threads: int, headers: dict) -> float:
    """Unencrypted POSTs of `size` bytes to the same push service, through the worker's own HTTP
    client with as many requests in flight as the worker keeps (`threads` per worker)."""
    body = os.urandom(size)
    counts = [0] * threads
    stop = threading.Event()
    http = client()

    def loop(index: int):
        endpoint = service.endpoint(f"plain{index}")
        while not stop.is_set():
            response = http.request("POST", endpoint, body=body, headers=headers, redirect=False)
            if response.status != 201:
                raise RuntimeError(f"push service answered {response.status}")
            counts[index] += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    stop.wait(BASELINE_SECONDS)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


def main(argv=None) -> int:
    args = parse_args(argv)
    latency = args.latency_ms / 1000
    service = LocalPushService(latency) if args.in_process else ChildPushService(latency)
    try:
        with temporary_database(args.database_url, prefix="push-fanout") as database:
            print(f"Push fan-out: {args.count:,} due notifications, {args.workers} worker thread(s), "
                  f"send_due(limit={args.limit}), {database.described}, push service "
                  f"{'in this process' if args.in_process else 'in a child process'}"
                  f"{f' answering after {args.latency_ms:g} ms' if latency else ''}, {os.cpu_count()} CPUs",
                  file=sys.stderr)
            app = build_push_app(database)
            started = time.perf_counter()
            subscribers = seed(app, service, args.count)
            print(f"  seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            payload = sample_payload(app)

            load_before = os.getloadavg()[0]
            seconds, tally, problems = run_worker(app, args.workers, args.limit, args.count, service,
                                                  args.max_seconds)
            load_after = os.getloadavg()[0]
            if tally.retry or tally.unreachable or tally.dropped:
                problems.append(f"not every push was accepted: {tally.retry} retry, {tally.unreachable} unreachable, "
                                f"{tally.dropped} dropped")
            received = service.summary(50)
            problems += verify(app, received, subscribers, tally.sent)
            worker_rate = tally.sent / seconds
            size = received["median_size"]
            service.clear()

            print("  measuring the ceilings ...", file=sys.stderr)
            first = next(iter(subscribers.values()))
            encryptions = encryption_rate(first.subscription(service.endpoint("enc")), payload.encode())
            signatures = vapid_rate(app, service.endpoint("x").rsplit("/push/", 1)[0])
            headers = {"TTL": "604800", "Content-Encoding": "aes128gcm", "Urgency": "normal", "Topic": "n1"}
            if received["sample"]:  # the worker's own headers, so only the encryption differs
                headers["Authorization"] = received["sample"][0][1].get("authorization", "")
            plain = plain_post_rate(service, size, args.workers * PARALLEL_SENDS, headers)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        service.close()

    ratio = worker_rate / plain if plain else 0.0
    print()
    print(f"  {'':40} {'per second':>12}")
    stopped = "" if tally.sent == args.count else f", stopped after {args.max_seconds:g} s"
    print(f"  {'pushes through the worker (end to end)':40} {worker_rate:12,.0f}   "
          f"({tally.sent:,} of {args.count:,} in {seconds:.1f} s{stopped})")
    print(f"  {'encryptions (pywebpush aes128gcm)':40} {encryptions:12,.0f}")
    print(f"  {'VAPID signatures (py_vapid ES256)':40} {signatures:12,.0f}")
    print(f"  {'plain POSTs, same size (' + str(size) + ' B)':40} {plain:12,.0f}")
    print(f"  {'worker / plain POSTs':40} {ratio:12.2f}")
    print(f"  (load average {load_before:.1f} before, {load_after:.1f} after the worker; {os.cpu_count()} CPUs)")
    missed = []
    if worker_rate < MIN_PUSHES_PER_SECOND:
        missed.append(f"worker {worker_rate:,.0f} pushes/s is below the budget of {MIN_PUSHES_PER_SECOND} pushes/s")
    if ratio < MIN_SHARE_OF_PLAIN:
        missed.append(f"worker {worker_rate:,.0f} pushes/s is below half the plain-POST rate "
                      f"({MIN_SHARE_OF_PLAIN:.0%} of {plain:,.0f} = {MIN_SHARE_OF_PLAIN * plain:,.0f}/s)")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    for line in missed:
        print(f"BUDGET MISSED: {line}")
    if not missed and not problems:
        print(f"OK: within budget (>= {MIN_PUSHES_PER_SECOND}/s and >= {MIN_SHARE_OF_PLAIN:.0%} of plain POSTs)")
    return 1 if missed or problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
