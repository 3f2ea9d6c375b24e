"""`flask notify keys | send-due | worker`."""
from __future__ import annotations

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
from .sender import send_due

log = logging.getLogger(__name__)
PAUSE_SECONDS = 5.0


@click.group()
def notify():
    """Reminders."""


@notify.command("keys")
@with_appcontext
def keys():
    """Show the VAPID public key (the private one stays in instance/ or the environment)."""
    click.echo(public_key())


def one_pass() -> dict:
    """Plan the coming reminders, then send what is due."""
    plan_window()
    db.session.commit()
    tally = send_due()
    return {"sent": tally.sent, "retry": tally.retry, "unreachable": tally.unreachable, "dropped": tally.dropped}


@notify.command("send-due")
@with_appcontext
def send_due_command():
    """One pass (for cron)."""
    click.echo(one_pass())


def run_forever(app: Flask, stop: threading.Event) -> None:
    """Keep the outbox moving until `stop` is set; survives a database that goes away for a while."""
    while not stop.is_set():
        with app.app_context():
            try:
                one_pass()
            except (OperationalError, DBAPIError):
                log.warning("database unavailable; the reminder worker tries again", exc_info=True)
                db.session.rollback()
                db.engine.dispose()
            except Exception:  # noqa: BLE001 - one bad row must not stop every reminder
                log.exception("reminder pass failed; trying again")
                db.session.rollback()
            finally:
                db.session.remove()
        stop.wait(PAUSE_SECONDS)


@notify.command("worker")
@with_appcontext
def worker():
    """Send reminders until stopped (Ctrl-C or SIGTERM)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
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
