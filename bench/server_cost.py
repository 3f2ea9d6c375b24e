"""Server cost: requests per second of the week page under gunicorn, against a minimal Flask
endpoint on the same server in the same run, at 1,000 and at 10,000 participants.

    .venv/bin/python -m bench.server_cost [--sizes 1000,10000] [--seconds 10] [--rounds 10]
                                          [--database-url postgresql://postgres@127.0.0.1:5432/test]
                                          [--schema NAME] [--workers 2] [--threads 4] [--connections 8]

Needs PostgreSQL (default: $BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else the local test
database). Each size gets a temporary schema there, built through the real migrations and filled
by `bench.generate_data` (about 100 events a year per participant: 100,000 events at 1,000
participants, 1,000,000 at 10,000); they are dropped at the end. With `--schema NAME` the
schemas NAME_1000 and NAME_10000 are used instead and kept, and only the participants they lack
are generated, so a second run starts at once.

Each size gets its own gunicorn (`bench.wsgi_bench:app`: the real app plus `/bench/ping`, which
answers "ok"; 2 workers x 4 threads, gthread, keep-alive), and 100 random participants sign in
through the sign-in form (CSRF token from the form, phone and PIN). The load generator keeps
`--connections` keep-alive connections busy from two client processes, each request with the
cookies of a random signed-in participant and `Accept-Encoding: br, gzip`. The week page (GET
/week) and the ping are measured the same way, after a warm-up, in ten alternating rounds of
one-second slices (1,000 ping, 1,000 week, 10,000 ping, 10,000 week, and again), so that whatever
else the machine does falls on every figure alike. The figure is the ratio of the two rates:
what the week page costs above the framework's floor. Server CPU per request (utime+stime of
the gunicorn workers, from /proc) is printed beside it, a check that does not depend on how
much CPU the client took.
At the end the week page is profiled in this process (cProfile, 200 requests) to show where
its time goes: served from the week-page cache (as in the measured rounds, where each signed-in
participant asks for their week again and again) and rendered afresh (the cache switched off:
what a first view, or the first view after a change, costs).

Budget (DESIGN.md): the ratio is at most 3 at each size, and the ratio at the larger size is
at most 1.5 times the ratio at the smaller one ("flat"). Exits 1 otherwise. See bench/README.md.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .support import (
    BROWSER_ENCODINGS,
    DEFAULT_POSTGRESQL,
    PING,
    Client,
    Database,
    build_app,
    cpu_seconds,
    gunicorn,
    load_average,
    sign_in_participant,
    temporary_database,
    with_search_path,
    worker_pids,
)

MAX_RATIO = 3.0
MAX_GROWTH = 1.5
WEEK = "/week"


# -- signing in ------------------------------------------------------------------------------------------

def sign_in_many(port: int, phones: list[str], pin: str, parallel: int = 8) -> list[str]:
    """Cookie headers of these participants, each signed in through the form."""
    cookies: list[str] = []
    problems: list[str] = []
    lock = threading.Lock()
    queue = list(phones)

    def work():
        while True:
            with lock:
                if not queue:
                    return
                phone = queue.pop()
            client = Client("127.0.0.1", port)
            try:
                sign_in_participant(client, phone, pin)
                header = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
                with lock:
                    cookies.append(header)
            except Exception as error:  # noqa: BLE001 - reported below
                with lock:
                    problems.append(f"{phone}: {error}")
            finally:
                client.close()

    threads = [threading.Thread(target=work) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise SystemExit(f"signing in failed for {len(problems)} participants, e.g. {problems[0]}")
    return cookies


# -- the load --------------------------------------------------------------------------------------------

def _client_main(pipe, port: int, cookies: list[str], connections: int) -> None:
    """A client process: `connections` threads, each with one keep-alive connection, that run a
    slice of load whenever the parent says ("run", path, seconds) and report what they got."""
    import http.client

    state = {"path": None, "stop_at": 0.0}
    start = threading.Barrier(connections + 1)
    done = threading.Barrier(connections + 1)
    counts, errors, sizes = [0] * connections, [0] * connections, [0] * connections
    latencies: list[list[float]] = [[] for _ in range(connections)]

    def loop(index: int):
        rng = random.Random(index * 7919 + os.getpid())
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Accept-Encoding": BROWSER_ENCODINGS, "Accept": "text/html"}
        while True:
            start.wait()
            path = state["path"]
            if path is None:
                connection.close()
                return
            while time.perf_counter() < state["stop_at"]:
                headers["Cookie"] = rng.choice(cookies)
                began = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    if response.status == 200:
                        counts[index] += 1
                        sizes[index] += len(body)
                        latencies[index].append(time.perf_counter() - began)
                    else:
                        errors[index] += 1
                    if response.will_close:
                        connection.close()
                except (OSError, http.client.HTTPException):
                    errors[index] += 1
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            done.wait()

    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(connections)]
    for thread in threads:
        thread.start()
    pipe.send("ready")
    while True:
        command = pipe.recv()
        if command[0] == "stop":
            state["path"] = None
            start.wait()
            return
        _, path, seconds = command
        for values in (counts, errors, sizes):
            values[:] = [0] * connections
        for values in latencies:
            values.clear()
        state["path"] = path
        began = time.perf_counter()
        state["stop_at"] = began + seconds
        start.wait()
        done.wait()  # the requests in flight at stop_at are finished and counted, their time too
        pipe.send((sum(counts), sum(errors), [value for values in latencies for value in values], sum(sizes),
                   time.perf_counter() - began))


@dataclass
class Measure:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # gunicorn workers' CPU seconds
    latencies: list[float] = field(default_factory=list)
    body_bytes: int = 0

    def add(self, other: Measure) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.latencies += other.latencies
        self.body_bytes += other.body_bytes

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.requests if self.requests else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class LoadClients:
    """Two client processes (so the client is not held up by one GIL) that keep `connections`
    keep-alive connections to one server, and run slices of load on request."""

    def __init__(self, port: int, master: int, cookies: list[str], connections: int, processes: int = 2):
        self.master = master
        context = multiprocessing.get_context("spawn")
        shares = [connections // processes + (1 if n < connections % processes else 0) for n in range(processes)]
        self.pipes, self.children = [], []
        for share in shares:
            if not share:
                continue
            parent_end, child_end = context.Pipe()
            child = context.Process(target=_client_main, args=(child_end, port, cookies, share), daemon=True,
                                    name="bench-load-client")
            child.start()
            child_end.close()
            self.pipes.append(parent_end)
            self.children.append(child)
        for pipe in self.pipes:
            if not pipe.poll(60) or pipe.recv() != "ready":
                raise SystemExit("a load client process did not start")

    def run(self, path: str, seconds: float) -> Measure:
        pids = worker_pids(self.master)
        cpu_before = cpu_seconds(pids)
        for pipe in self.pipes:
            pipe.send(("run", path, seconds))
        replies = [pipe.recv() for pipe in self.pipes]
        measure = Measure(cpu=cpu_seconds(pids) - cpu_before, seconds=max(reply[4] for reply in replies))
        for requests, errors, latencies, body_bytes, _elapsed in replies:
            measure.requests += requests
            measure.errors += errors
            measure.latencies += latencies
            measure.body_bytes += body_bytes
        return measure

    def close(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("stop",))
            except OSError:
                pass
        for child in self.children:
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()


@dataclass
class SizeResult:
    size: int
    events: int
    attendances: int
    ping: Measure = field(default_factory=Measure)
    week: Measure = field(default_factory=Measure)
    week_bytes: int = 0

    @property
    def ratio(self) -> float:
        return self.ping.rate / self.week.rate if self.week.rate else float("inf")

    @property
    def cpu_ratio(self) -> float:
        return self.week.cpu_ms / self.ping.cpu_ms if self.ping.cpu_ms else float("inf")


@dataclass
class Server:
    size: int
    port: int
    master: int
    cookies: list[str]
    result: SizeResult
    clients: LoadClients | None = None


def start_server(stack, database: Database, size: int, phones: list[str], args, totals: tuple[int, int]) -> Server:
    """gunicorn on this size's schema, with `--sessions` random participants signed in through the form."""
    from .generate_data import BENCH_PIN

    port, master = stack.enter_context(gunicorn(database.url, args.workers, args.threads))
    started = time.perf_counter()
    cookies = sign_in_many(port, random.Random(size).sample(phones, min(args.sessions, len(phones))), BENCH_PIN)
    print(f"  {size:,}: gunicorn on port {port}, {len(cookies)} participants signed in through the form in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    probe = Client("127.0.0.1", port, headers={"Cookie": cookies[0]})
    page = probe.get(WEEK, headers={"Accept-Encoding": BROWSER_ENCODINGS})
    probe.close()
    if page.status != 200 or 'id="week"' not in page.text():
        raise SystemExit(f"GET /week for a signed-in participant answered {page.status} without the week")
    server = Server(size, port, master, cookies, SizeResult(size, totals[0], totals[1], week_bytes=len(page.body)))
    server.clients = LoadClients(port, master, cookies, args.connections)
    stack.callback(server.clients.close)
    return server


def measure(servers: list[Server], args) -> tuple[float, float]:
    """Warm up, then alternate in short slices: each round, each size, ping then week. Returns the load
    averages before and after. Short alternating slices spread whatever else the machine does over
    every figure alike."""
    print("  warming up ...", file=sys.stderr)
    for server in servers:
        for path in (PING, WEEK):
            server.clients.run(path, 2.0)
    load_before = os.getloadavg()[0]
    rounds = max(1, args.rounds)
    for number in range(rounds):
        line = []
        for server in servers:
            for path, total in ((PING, server.result.ping), (WEEK, server.result.week)):
                part = server.clients.run(path, args.seconds / rounds)
                total.add(part)
                line.append(f"{server.size:,} {path} {part.rate:,.0f}/s")
        print(f"  round {number + 1:>2}/{rounds}: " + ", ".join(line) + f"  (load {os.getloadavg()[0]:.1f})",
              file=sys.stderr)
    return load_before, os.getloadavg()[0]


def database_for(args, size: int):
    """This size's schema: a temporary one, or `<--schema>_<size>` (created if needed, kept)."""
    if not args.schema:
        return temporary_database(args.database_url, prefix=f"server-cost-{size}")
    from sqlalchemy import create_engine, text

    from webapp.config import normalise_database_url

    schema = f"{args.schema}_{size}"

    @contextmanager
    def kept():
        import tempfile

        url = normalise_database_url(args.database_url)
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        admin.dispose()
        with tempfile.TemporaryDirectory(prefix="server-cost-") as directory:
            yield Database(with_search_path(url, schema), f"PostgreSQL (schema {schema}, kept)",
                           Path(directory), schema)

    return kept()


def bench_participants(app) -> tuple[list[str], int, int]:
    """Phones of the generated participants, and the events and attendances in the database."""
    from sqlalchemy import func, select

    from webapp.accounts.models import User
    from webapp.extensions import db
    from webapp.schedule.models import Attendance, Event

    from .generate_data import PHONE_PREFIX

    with app.app_context():
        phones = list(db.session.scalars(select(User.phone).where(User.phone.like(f"{PHONE_PREFIX}%"))
                                         .order_by(User.phone)))
        events = db.session.scalar(select(func.count()).select_from(Event))
        attendances = db.session.scalar(select(func.count()).select_from(Attendance))
        db.session.remove()
    return phones, events, attendances


BREAKDOWN = (  # (label, file ending, function): cumulative time per request, nested lines indented
    ("the whole request (Flask test client)", "flask/app.py", "wsgi_app"),
    ("  load the signed-in user (Flask-Login)", "webapp/accounts/auth.py", "load_user"),
    ("  look up the week-page cache", "webapp/schedule/week_cache.py", "cached_week"),
    ("  build_week: the week's rows", "webapp/schedule/services.py", "build_week"),
    ("    extend_horizons (series behind?)", "webapp/schedule/series.py", "extend_horizons"),
    ("    attendances_between (+ eager loads)", "webapp/schedule/queries.py", "attendances_between"),
    ("      selectin loads (attendees, places, people)", "sqlalchemy/orm/strategies.py", "_load_for_path"),
    ("  reach: reminder devices", "webapp/notify/subscriptions.py", "reach"),
    ("  render_template (Jinja, Babel)", "flask/templating.py", "render_template"),
    ("    unread badge", "webapp/messages/services.py", "unread_state"),
    ("  compression (Flask-Compress)", "flask_compress/flask_compress.py", "after_request"),
)


def breakdown(app, phones: list[str], requests: int = 200) -> list[tuple[str, float]]:
    """Where a week request's time goes, measured in this process with cProfile (one request at a
    time, Flask's test client, the same database): milliseconds per request, per part."""
    import cProfile
    import pstats

    from flask_login import FlaskLoginClient
    from sqlalchemy import event, select

    from webapp.accounts.models import User
    from webapp.extensions import db

    with app.app_context():
        people = list(db.session.scalars(select(User).where(User.phone.in_(
            random.Random(1).sample(phones, min(50, len(phones)))))))
        for person in people:
            db.session.expunge(person)
        db.session.remove()
        engine = db.engine
    app.test_client_class = FlaskLoginClient
    clients = [app.test_client(user=person) for person in people]
    headers = {"Accept-Encoding": BROWSER_ENCODINGS}
    sql = {"seconds": 0.0, "started": 0.0}

    def before(*_args):
        sql["started"] = time.perf_counter()

    def after(*_args):
        sql["seconds"] += time.perf_counter() - sql["started"]

    for client in clients:  # warm: templates compiled, statements cached
        client.get(WEEK, headers=headers)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profile = cProfile.Profile()
    try:
        started = time.perf_counter()
        profile.enable()
        for number in range(requests):
            clients[number % len(clients)].get(WEEK, headers=headers)
        profile.disable()
        wall = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    stats = pstats.Stats(profile).stats
    lines = []
    for label, ending, function in BREAKDOWN:
        total = sum(value[3] for (filename, _line, name), value in stats.items()
                    if name == function and filename.endswith(ending))
        lines.append((label, 1000 * total / requests))
    lines.append(("  (of all the above: waiting for SQL statements)", 1000 * sql["seconds"] / requests))
    lines.append(("  (wall clock per request, with the profiler)", 1000 * wall / requests))
    return lines


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.server_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="participants in the database, smallest first")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint and size (10)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating rounds the seconds are split into (10: slices of 1 s)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRESQL,
                        help="PostgreSQL URL (default $BENCH_DATABASE_URL, $TEST_DATABASE_URL or %(default)s)")
    parser.add_argument("--schema", help="use and keep the schemas NAME_<size> (generating only what they lack) "
                        "instead of temporary ones")
    parser.add_argument("--events-per-participant", type=float, default=100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker, gthread (4)")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive client connections (8)")
    parser.add_argument("--sessions", type=int, default=100, help="participants signed in and used at random (100)")
    parser.add_argument("--no-breakdown", dest="breakdown", action="store_false",
                        help="skip the in-process profile of the week page at the largest size")
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted(int(size) for size in args.sizes.split(","))
    except ValueError:
        parser.error("--sizes takes numbers separated by commas")
    if args.schema == "public":
        parser.error("not the public schema")
    if not args.database_url.startswith(("postgres://", "postgresql")):
        parser.error("server_cost needs PostgreSQL (gunicorn's workers share the database)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from contextlib import ExitStack

    from webapp.extensions import db

    from .generate_data import generate

    where: list[tuple[str, float]] = []
    try:
        with ExitStack() as stack:
            print(f"Server cost: one PostgreSQL schema per size, gunicorn {args.workers} workers x {args.threads} "
                  f"threads (gthread) each, {args.connections} client connections, {os.cpu_count()} CPUs",
                  file=sys.stderr)
            servers, apps = [], []
            for size in args.sizes:
                database = stack.enter_context(database_for(args, size))
                app = build_app(database)
                apps.append(app)
                phones, events, attendances = bench_participants(app)
                if len(phones) < size:
                    print(f"  {size:,}: {database.described}", file=sys.stderr)
                    generated = generate(app, size - len(phones), args.events_per_participant, progress=True)
                    print(f"  {size:,}: generated {generated.summary()}", file=sys.stderr)
                    phones, events, attendances = bench_participants(app)
                print(f"  {size:,}: {len(phones):,} participants, {events:,} events, {attendances:,} attendances in "
                      f"{database.described}", file=sys.stderr)
                with app.app_context():
                    db.engine.dispose()  # gunicorn's workers use their own connections
                servers.append(start_server(stack, database, size, phones, args, (events, attendances)))
            load_before, load_after = measure(servers, args)
            if args.breakdown:
                print("  where a week request's time goes (in this process, cProfile) ...", file=sys.stderr)
                phones = bench_participants(apps[-1])[0]
                where = breakdown(apps[-1], phones)
                apps[-1].config["WEEK_PAGE_CACHE"] = False  # what a first view (or a changed week) costs
                where = [(f"{label}", cached, fresh) for (label, cached), (_, fresh)
                         in zip(where, breakdown(apps[-1], phones))]
            for app in apps:
                with app.app_context():
                    db.engine.dispose()
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return report([server.result for server in servers], args, where, (load_before, load_after))


def report(results: list[SizeResult], args, where=(), loads=(0.0, 0.0)) -> int:
    print()
    print(f"  {'participants':>12} {'events':>10} {'endpoint':12} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'CPU ms/req':>10} {'errors':>6}   {'ping/week':>9} {'CPU week/ping':>13}")
    for result in results:
        for name, measure in (("/bench/ping", result.ping), ("/week", result.week)):
            tail = (f"   {result.ratio:>9.2f} {result.cpu_ratio:>13.2f}" if measure is result.week else "")
            print(f"  {result.size:>12,} {result.events:>10,} {name:12} {measure.rate:>8,.0f} {measure.percentile(0.5):>7.1f} "
                  f"{measure.percentile(0.95):>7.1f} {measure.cpu_ms:>10.2f} {measure.errors:>6}{tail}")
    print(f"  ({args.seconds:g} s per endpoint and size in {args.rounds} alternating rounds; load average "
          f"{loads[0]:.1f} before, {loads[1]:.1f} after; /week body "
          + ", ".join(f"{result.week_bytes:,} B" for result in results) + " compressed)")
    print(f"  ({load_average()}; the client processes and PostgreSQL share these CPUs with gunicorn)")
    if where:
        print()
        print(f"  {'where a week request goes, ms (' + format(results[-1].size, ',') + ' participants)':52} "
              f"{'cached':>7} {'afresh':>7}")
        for label, cached, fresh in where:
            print(f"  {label:52} {cached:>7.1f} {fresh:>7.1f}")
    missed = []
    problems = []
    for result in results:
        if result.ping.errors or result.week.errors:
            problems.append(f"{result.size:,}: {result.ping.errors} ping and {result.week.errors} week requests failed")
        if result.ratio > MAX_RATIO:
            missed.append(f"{result.size:,} participants: the week page is {result.ratio:.1f} times slower than "
                          f"/bench/ping (budget {MAX_RATIO:g})")
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last.ratio / first.ratio if first.ratio else float("inf")
        print(f"  ratio at {last.size:,} / ratio at {first.size:,}: {growth:.2f} (budget {MAX_GROWTH:g}); "
              f"/week req/s {last.week.rate / first.week.rate if first.week.rate else 0:.2f}x")
        if growth > MAX_GROWTH:
            missed.append(f"the ratio grows {growth:.2f} times from {first.size:,} to {last.size:,} participants "
                          f"(budget {MAX_GROWTH:g})")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    for line in missed:
        print(f"BUDGET MISSED: {line}")
    if not missed and not problems:
        print(f"OK: within budget (week page <= {MAX_RATIO:g} x ping, flat within {MAX_GROWTH:g} x)")
    return 1 if missed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
