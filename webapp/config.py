"""Configuration from the environment, with safe defaults for one machine."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def read_or_create_secret(instance_path: Path, name: str) -> str:
    """Return the secret stored in instance/NAME, creating it (mode 0600) on first run."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def build_config(instance_path: Path, overrides: dict) -> dict:
    """Settings from the environment, then `overrides` (tests pass theirs here)."""
    env = os.environ
    default_db = f"sqlite:///{instance_path / 'mijnweek.db'}"
    production = env.get("MIJNWEEK_ENV", "development") == "production"
    secret_key = (
        overrides.get("SECRET_KEY")
        or env.get("SECRET_KEY")
        or read_or_create_secret(instance_path, "secret_key")
    )
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL", default_db)),
        # No ping on every checkout: idle connections are checked instead (webapp.ping_idle_connections).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # Participants stay signed in on their own phone for months.
        "REMEMBER_COOKIE_DURATION": timedelta(days=180),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PRODUCTION": production,
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Rendered week pages (schedule.week_cache): in the process by default, shared in Redis
        # when CACHE_REDIS_URL is set (several web processes).
        "CACHE_TYPE": "RedisCache" if env.get("CACHE_REDIS_URL") else "SimpleCache",
        "CACHE_REDIS_URL": env.get("CACHE_REDIS_URL"),
        "CACHE_THRESHOLD": 5000,
        "CACHE_KEY_PREFIX": "mijnweek:",
        "WEEK_PAGE_CACHE": env.get("WEEK_PAGE_CACHE", "on") != "off",
        # Brotli where the phone takes it, else gzip; zstd is left out (few phones' browsers had it).
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "application/manifest+json", "image/svg+xml", "text/calendar"],
        "COMPRESS_MIN_SIZE": 256,
        "COMPRESS_BR_LEVEL": 5,
        "RATELIMIT_HEADERS_ENABLED": True,
        "ACTIVATION_VALID_DAYS": 7,
        "LOGIN_LOCK_AFTER": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "SERIES_HORIZON_DAYS": 56,
        # "in-process" runs the reminder worker as a thread of the web process (make run);
        # several web processes should leave it off and run `flask notify worker` instead.
        "REMINDER_WORKER": env.get("REMINDER_WORKER", "off"),
        "VAPID_PRIVATE_KEY": env.get("VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT", "mailto:beheer@mijnweek.invalid"),
    } | overrides
