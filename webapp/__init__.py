"""Mijn Week: one week view, in your language, for people in a dual trajectory."""
from __future__ import annotations

import time
from pathlib import Path

from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from werkzeug.routing import IntegerConverter


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides the settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    from .config import build_config

    app.config.from_mapping(build_config(Path(app.instance_path), config or {}))

    _init_extensions(app)
    app.url_map.converters["int"] = DatabaseIdConverter
    _register_blueprints(app)

    from . import errors, formatting, log_privacy, security, static_files

    errors.register(app)
    formatting.register(app)
    static_files.register(app)
    security.register(app)
    log_privacy.register(app)
    from .schedule import week_cache

    week_cache.register(app)

    from . import backup as backup_commands
    from . import translate_commands
    from .demo import commands as demo_commands
    from .notify import commands as notify_commands
    from .schedule import commands as schedule_commands

    app.cli.add_command(demo_commands.demo)
    app.cli.add_command(schedule_commands.schedule)
    app.cli.add_command(translate_commands.translate)
    app.cli.add_command(notify_commands.notify)
    app.cli.add_command(backup_commands.backup)
    app.cli.add_command(backup_commands.restore)
    if app.config.get("REMINDER_WORKER") == "in-process":
        notify_commands.start_in_process(app)
    return app


MAX_ID = 2**31 - 1  # PostgreSQL's integer; a larger number overflows the query (a 500)


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` up to the largest id a database holds: a longer number is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def database_id(text: str) -> int:
    """An id sent in a form, for `request.form.get(name, type=database_id)`: None unless it could exist."""
    number = int(text)
    if not 0 < number <= MAX_ID:
        raise ValueError(text)
    return number


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (all tables known before anything queries)
    from .extensions import (
        babel,
        compress,
        csrf,
        db,
        htmx,
        limiter,
        login_manager,
        migrate,
    )
    from .i18n import select_locale

    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from .accounts import auth  # registers the user loader and messages

    auth.configure(login_manager)


# A pooled connection unused for longer than this is checked with a round trip before it is
# handed out; one in steady use is not (see ping_idle_connections).
IDLE_BEFORE_PING = 30.0


def ping_idle_connections(engine: Engine) -> None:
    """Replace a pooled connection the database dropped (a restart, a firewall's idle timeout)
    before a request gets it, but only when it sat unused for IDLE_BEFORE_PING seconds.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip on every request, a third
    of what a week page served from its cache costs. A connection in steady use that the
    database dropped fails its next statement instead; SQLAlchemy then renews the whole pool,
    the signed-in person's loader tries once more (accounts.auth), and the reminder worker
    goes on at its next pass."""

    @sa_event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @sa_event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError() from error  # the pool retries with a new connection


@sa_event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Foreign keys on, WAL and a busy timeout, so web and worker share SQLite calmly."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from .accounts.routes import bp as accounts_bp
    from .buddies.routes import bp as buddies_bp
    from .calendar_feed.routes import bp as calendar_feed_bp
    from .caseload.routes import bp as caseload_bp
    from .messages.routes import bp as messages_bp
    from .notify.routes import bp as notify_bp
    from .organisations.routes import bp as organisations_bp
    from .phrases.routes import bp as phrases_bp
    from .privacy.routes import bp as privacy_bp
    from .pwa.routes import bp as pwa_bp
    from .schedule.routes import bp as schedule_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(buddies_bp)
    app.register_blueprint(calendar_feed_bp)
    app.register_blueprint(caseload_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(phrases_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(schedule_bp)
