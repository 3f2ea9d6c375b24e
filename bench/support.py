"""What the page benchmarks share: a throw-away database, the app on it, a progress bar,
counting SQL statements, the machine's load, a small HTTP client, and gunicorn with its CPU time.

Only for bench/: nothing in webapp/ imports this.
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text

DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Database:
    url: str  # a SQLAlchemy URL that selects the schema by itself (usable in another process)
    described: str
    directory: Path  # a temporary folder for the instance path and the like
    schema: str | None = None


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def temporary_database(database_url: str | None, prefix: str = "bench"):
    """A fresh, empty database that is removed afterwards: a temporary SQLite file, or with a
    PostgreSQL URL a temporary schema (`bench_xxxxxxxx`) in that database; `public` is never touched."""
    from webapp.config import normalise_database_url

    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as directory:
        if not database_url or database_url.startswith("sqlite"):
            path = Path(directory) / "bench.db"
            yield Database(f"sqlite:///{path}", "SQLite (temporary file)", Path(directory))
            return
        url = normalise_database_url(database_url)
        if not url.startswith("postgresql"):
            raise SystemExit("--database-url must be a PostgreSQL URL (or leave it out for SQLite)")
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(url)
        try:
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as error:  # noqa: BLE001 - say what to do instead of a traceback
            admin.dispose()
            raise SystemExit(f"cannot create a schema in {database_url}: {error}") from None
        try:
            yield Database(with_search_path(url, schema), f"PostgreSQL (temporary schema {schema})",
                           Path(directory), schema)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def bench_settings(url: str, **overrides) -> dict:
    return {
        "SECRET_KEY": "mijnweek-bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_ENABLED": False,
        "REMINDER_WORKER": "off",
        "VAPID_PRIVATE_KEY": None,
    } | overrides


def build_app(database: Database, migrate: bool = True, **overrides):
    """The real app on `database`, its schema built through the real migrations."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db

    app = create_app(bench_settings(database.url, **overrides))
    app.instance_path = str(database.directory / "instance")  # VAPID key and the like go here
    if migrate:
        with app.app_context():
            logging.disable(logging.INFO)  # alembic's "Running upgrade ..." lines
            try:
                upgrade()
            finally:
                logging.disable(logging.NOTSET)
            db.session.remove()
    return app


class ProgressBar:
    """A bar on stderr that redraws itself on a terminal (a plain line every few seconds otherwise).

        with ProgressBar("events", total) as bar:
            bar.advance(n)
    """

    WIDTH = 28

    def __init__(self, label: str, total: int, unit: str = "", enabled: bool = True):
        self.label, self.total, self.unit, self.enabled = label, max(total, 1), unit, enabled
        self.done = 0
        self.extra = ""
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last_line = 0.0
        self.lock = threading.Lock()

    def __enter__(self):
        self.started = time.perf_counter()
        self._draw()
        return self

    def __exit__(self, *exc):
        self._draw(final=True)

    def advance(self, amount: int = 1, extra: str | None = None) -> None:
        with self.lock:
            self.done += amount
            if extra is not None:
                self.extra = extra
        self._draw()

    def _draw(self, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not final and now - self.last_line < (0.2 if self.tty else 5.0):
            return
        self.last_line = now
        done = min(self.done, self.total)
        share = done / self.total
        filled = int(self.WIDTH * share)
        elapsed = now - self.started
        remaining = elapsed / share - elapsed if 0 < share < 1 else 0.0
        eta = f" ~{remaining:4.0f} s left" if remaining and not final else ""
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = (f"  {self.label} [{bar}] {done:,}/{self.total:,}{self.unit} {100 * share:5.1f}%"
                f" {elapsed:6.1f} s{eta}{'  ' + self.extra if self.extra else ''}")
        if self.tty:
            sys.stderr.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


class StatementCounter:
    """Every SQL statement an engine runs while `recording` is on (executemany counts once)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []
        self.recording = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        if self.recording:
            self.statements.append(" ".join(statement.split()))

    @contextmanager
    def record(self):
        self.statements = []
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min), {os.cpu_count()} CPUs"


def kib(size: float) -> str:
    return f"{size / 1024:.1f} KB"


# -- a tiny HTTP client that keeps the bytes as they came over the wire -------------------------------

BROWSER_ENCODINGS = "br, gzip"


@dataclass
class Reply:
    status: int
    headers: object  # http.client.HTTPMessage
    body: bytes  # as sent: still compressed when the server compressed it (chunked framing removed)
    header_bytes: int

    @property
    def encoding(self) -> str:
        return self.headers.get("Content-Encoding", "") or "identity"

    def text(self) -> str:
        """The body decompressed and decoded (for parsing)."""
        data = self.body
        if self.encoding == "br":
            import brotli

            data = brotli.decompress(data)
        elif self.encoding == "gzip":
            import gzip

            data = gzip.decompress(data)
        return data.decode("utf-8", errors="replace")


class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar: enough of a browser for a benchmark."""

    def __init__(self, host: str, port: int, headers: dict | None = None, timeout: float = 60):
        import http.client

        self.host, self.port, self.timeout = host, port, timeout
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}
        self._http = http.client
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None) -> Reply:
        sent = dict(self.headers) | (headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (self._http.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # the server closed a kept-alive connection: open a new one once
                self.connection = self._http.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = value.partition(";")
            name, _, cookie = pair.strip().partition("=")
            lowered = attributes.lower()
            if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie
        status_line = f"HTTP/1.1 {response.status} {response.reason}\r\n"
        return Reply(response.status, response.headers, data, len(status_line) + len(bytes(response.headers)) + 2)

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def close(self) -> None:
        self.connection.close()


def csrf_token_in(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise RuntimeError("no csrf_token in the sign-in form")
    return match.group(1)


def sign_in_participant(client: Client, phone: str, pin: str) -> Reply:
    """Sign in through the real form (GET /login for the CSRF token, POST phone and PIN), as a phone does."""
    from urllib.parse import urlencode

    form = client.get("/login", headers={"Accept-Encoding": "identity"})
    token = csrf_token_in(form.text())
    body = urlencode({"csrf_token": token, "phone": phone, "pin": pin, "remember": "y"})
    reply = client.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept-Encoding": "identity"})
    if reply.status not in (302, 303):
        raise RuntimeError(f"signing in {phone} answered {reply.status}, not a redirect to the week")
    return reply


# -- gunicorn with the bench WSGI module, and the CPU its processes use ----------------------------------

ROOT = Path(__file__).resolve().parent.parent
PING = "/bench/ping"  # the route bench/wsgi_bench.py adds: answers "ok"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, threads: int, environment: dict | None = None, log=None):
    """gunicorn (gthread) with `bench.wsgi_bench:app` on a free port; yields (port, master pid), stopped
    afterwards. `environment` adds variables; `log` (an open file) takes gunicorn's and the app's stderr."""
    import subprocess

    port = free_port()
    binary = Path(sys.executable).parent / "gunicorn"
    command = [str(binary), "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--keep-alive", "5",
               "bench.wsgi_bench:app"]
    settings = os.environ | {"DATABASE_URL": url, "SECRET_KEY": "mijnweek-bench-server-cost",
                             "REMINDER_WORKER": "off", "MIJNWEEK_ENV": "development"} | (environment or {})
    process = subprocess.Popen(command, cwd=ROOT, env=settings, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start (exit {process.returncode})")
            try:
                probe = Client("127.0.0.1", port, timeout=5)
                ready = probe.get(PING).status == 200
                probe.close()
                if ready and len(worker_pids(process.pid)) >= workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 90 s")
            time.sleep(0.3)
        yield port, process.pid
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL when it has not stopped within 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_pids(master: int) -> list[int]:
    """The processes whose parent is `master` (gunicorn's workers)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(entry))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (all their threads), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks
