"""`flask notify keys | send-due | worker`."""
from __future__ import annotations

import gc
import logging
import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError, OperationalError

from ..extensions import db
from .keys import public_key
from .planner import plan_window
from .retention import forget_old_notifications
from .sender import send_due

log = logging.getLogger(__name__)
PAUSE_SECONDS = 5.0
BATCH_SIZE = 200
# A batch allocates about a hundred objects per push (rows, HTTP responses, crypto contexts),
# nearly all freed by reference counting; at the default threshold of 700 the cyclic collector
# runs every few pushes and took about 15 % of the worker's time in bench/push_fanout.py.
WORKER_GC_THRESHOLD = 50_000


@click.group()
def notify():
    """Reminders."""


@notify.command("keys")
@with_appcontext
def keys():
    """Show the VAPID public key (the private one stays in instance/ or the environment)."""
    click.echo(public_key())


def one_pass() -> dict:
    """Forget what is older than 90 days, plan the coming reminders, then send one batch of what is due."""
    forget_old_notifications()
    plan_window()
    db.session.commit()
    tally = send_due(limit=BATCH_SIZE)
    return {"sent": tally.sent, "retry": tally.retry, "unreachable": tally.unreachable, "dropped": tally.dropped}


def drain() -> dict:
    """Passes until one comes back less than full: everything due now has been tried once."""
    total = {"sent": 0, "retry": 0, "unreachable": 0, "dropped": 0}
    while True:
        tally = one_pass()
        for outcome, count in tally.items():
            total[outcome] += count
        if sum(tally.values()) < BATCH_SIZE:
            return total


@notify.command("send-due")
@with_appcontext
def send_due_command():
    """Send everything that is due, then stop (for cron)."""
    click.echo(drain())


def prepare_worker_process() -> None:
    """Settings for a process that does nothing but send reminders."""
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


def run_forever(app: Flask, stop: threading.Event) -> None:
    """Keep the outbox moving until `stop` is set; survives a database that goes away for a while.

    It goes straight on while passes come back full, and rests `PAUSE_SECONDS` once the outbox is empty.
    """
    while not stop.is_set():
        busy = False
        with app.app_context():
            try:
                busy = sum(one_pass().values()) >= BATCH_SIZE
            except (OperationalError, DBAPIError):
                log.warning("database unavailable; the reminder worker tries again", exc_info=True)
                db.session.rollback()
                db.engine.dispose()
            except Exception:  # one bad row must not stop every reminder
                log.exception("reminder pass failed; trying again")
                db.session.rollback()
            finally:
                db.session.remove()
        if not busy:
            stop.wait(PAUSE_SECONDS)


@notify.command("worker")
@with_appcontext
def worker():
    """Send reminders until stopped (Ctrl-C or SIGTERM)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    prepare_worker_process()
    click.echo("Reminder worker started")
    try:
        run_forever(current_app._get_current_object(), stop)
    except KeyboardInterrupt:
        stop.set()


def start_in_process(app: Flask) -> threading.Thread:
    """The embedded set-up: the worker as a thread of the web process."""
    thread = threading.Thread(target=run_forever, args=(app, threading.Event()), name="reminder-worker", daemon=True)
    thread.start()
    return thread
