"""The factory, configuration and schema."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.config import build_config, normalise_database_url, read_or_create_secret
from webapp.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = read_or_create_secret(tmp_path / "instance", "secret_key")
    second = read_or_create_secret(tmp_path / "instance", "secret_key")
    assert first == second and len(first) >= 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_environment_secret_wins_over_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert build_config(tmp_path, {})["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    assert build_config(tmp_path, {})["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'mijnweek.db'}"


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_migrations_go_down_and_up_and_keep_who_came(tmp_path):
    """The presence migration moves 'attended' out of the answer and back again."""
    import sqlite3

    from flask_migrate import downgrade, upgrade

    from webapp import create_app

    path = tmp_path / "roundtrip.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(revision="5432188d8e9b")
        with sqlite3.connect(path) as connection:
            connection.execute("INSERT INTO users (id, role, display_name, is_enabled, failed_logins, session_nonce,"
                               " created_at) VALUES (1, 'participant', 'A', 1, 0, 'n', '2026-01-01')")
            connection.execute("INSERT INTO events (id, kind, title, note, starts_at, ends_at, created_at, updated_at)"
                               " VALUES (1, 'work', '', '', '2026-01-01', '2026-01-01', '2026-01-01', '2026-01-01')")
            connection.execute("INSERT INTO attendances (event_id, user_id, status, reason_text)"
                               " VALUES (1, 1, 'attended', '')")
        upgrade()
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT status, presence FROM attendances").fetchall() == [("confirmed", "attended")]
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
