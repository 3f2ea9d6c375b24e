"""`flask backup` and `flask restore`: online copies on SQLite, restores that bring back exactly what was
backed up, pruning, refusals that change nothing; pg_dump files on PostgreSQL."""
from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
import time_machine
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from webapp import create_app
from webapp.accounts.models import Role, User
from webapp.backup import pg_restore_command
from webapp.extensions import db
from webapp.messages.models import Message, MessageRecipient
from webapp.notify.keys import public_key
from webapp.notify.models import PushSubscription
from webapp.phrases.wording import Wording
from webapp.schedule.models import EventKind
from webapp.timeutil import today_local

from . import conftest as fixtures
from .conftest import base_config
from .push_service import Subscriber

PHONE_ENDPOINT = "https://push.example/amina-phone"


@pytest.fixture
def app(tmp_path):
    """A SQLite database and instance folder of this test's own: a restore replaces the whole database."""
    (tmp_path / "live").mkdir()
    app = create_app(base_config(f"sqlite:///{tmp_path / 'live' / 'mijnweek.db'}"))
    app.instance_path = str(tmp_path / "instance")
    app.test_client_class = fixtures.TestClient
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def team(app, make_user, assign, make_event, login_as):
    """A coach and a participant, with an answered appointment, a message and a phone for reminders,
    all made through the app's own pages."""
    coach = make_user(Role.COACH, display_name="Sanne", locale="en")
    amina = make_user(Role.PARTICIPANT, display_name="Amina", locale="ar")
    assign(coach, amina)
    event = make_event(EventKind.COACH_APPOINTMENT, organiser=coach, attendees=[amina],
                       start=datetime.combine(today_local() + timedelta(days=3), clock(14, 30)))
    assert login_as(amina).post(f"/events/{event.id}/answer", data={"answer": "confirmed"}).status_code == 303
    assert login_as(coach).post("/coach/messages/new", data={
        "recipients": [amina.id], "event_id": 0, "body": "Tot donderdag!", "send_as_written": "y"}).status_code == 303
    response = login_as(amina).post("/push/subscriptions", json=Subscriber().subscription(PHONE_ENDPOINT))
    assert response.status_code == 201
    return coach, amina, event


@pytest.fixture
def instance_keys(app):
    """instance/secret_key and instance/vapid_private.pem as a running server has them."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "secret_key").write_text(secrets.token_hex(32))
    public_key()  # generates instance/vapid_private.pem
    return {name: (instance / name).read_bytes() for name in ("secret_key", "vapid_private.pem")}


def live_file() -> Path:
    return Path(db.engine.url.database)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every committed row of every table, in an order that does not depend on how they are stored."""
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}
    finally:
        connection.close()


def integrity(path: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def head_revision() -> str:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_current_head()


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def backups_in(directory: Path) -> list[Path]:
    return sorted(directory.glob("mijnweek-*.sqlite3"))


# --- SQLite: online backup and a restore that brings everything back -----------------------------------

def test_backup_during_an_open_write_then_restore_brings_back_exactly_that(app, team, instance_keys, login_as,
                                                                           tmp_path):
    coach, amina, event = team
    live = live_file()
    at_backup = snapshot(live)
    assert at_backup["push_subscriptions"] and at_backup["messages"] and at_backup["attendances"]
    # The recent commits are still in the WAL file, where a copy of mijnweek.db alone would miss them.
    assert Path(f"{live}-wal").stat().st_size > 0

    someone_writing = sqlite3.connect(live, isolation_level=None)
    someone_writing.execute("BEGIN IMMEDIATE")
    someone_writing.execute("UPDATE users SET display_name = 'not committed'")
    someone_writing.execute("DELETE FROM push_subscriptions")
    try:
        made = run(app, "backup", "--to", tmp_path / "backups")
    finally:
        someone_writing.execute("ROLLBACK")
        someone_writing.close()
    assert made.exit_code == 0, made.output
    [backup_file] = backups_in(tmp_path / "backups")
    assert f"{backup_file} (" in made.output and "integrity ok" in made.output
    assert snapshot(backup_file) == at_backup  # the committed state, without the open transaction
    assert integrity(backup_file) == ["ok"]
    for name, content in instance_keys.items():
        saved = backup_file.with_name(backup_file.name.replace(".sqlite3", f".{name}"))
        assert saved.read_bytes() == content and saved.stat().st_mode & 0o777 == 0o600
    assert backup_file.stat().st_mode & 0o777 == 0o600

    # Afterwards things change: another answer, a removed phone, a new message, a switched-off account, new keys.
    login_as(amina).post(f"/events/{event.id}/answer", data={"answer": "declined", "reason": "sick"})
    assert login_as(amina).delete("/push/subscriptions", json={"endpoint": PHONE_ENDPOINT}).status_code == 204
    login_as(coach).post("/coach/messages/new", data={"recipients": [amina.id], "event_id": 0,
                                                      "body": "Beterschap"})
    assert login_as(coach).post(f"/coach/participants/{amina.id}/deactivate").status_code == 303
    for name in instance_keys:
        (Path(app.instance_path) / name).write_text("a newer key")
    db.session.remove()
    changed = snapshot(live)
    assert changed != at_backup

    refused = run(app, "restore", backup_file)
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert snapshot(live) == changed

    restored = run(app, "restore", backup_file, "--yes", "--with-keys")
    assert restored.exit_code == 0, restored.output
    assert snapshot(live) == at_backup
    assert integrity(live) == ["ok"]
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
    [aside] = live.parent.glob("mijnweek.db.*.before-restore")
    assert snapshot(aside) == changed
    for name, content in instance_keys.items():
        key_file = Path(app.instance_path) / name
        assert key_file.read_bytes() == content and key_file.stat().st_mode & 0o777 == 0o600
        [old_key] = Path(app.instance_path).glob(f"{name}.*.before-restore")
        assert old_key.read_text() == "a newer key"
    # The app works on the restored database: Amina is signed in again with her phone and her answer.
    db.session.remove()
    assert db.session.scalar(select(PushSubscription.endpoint)) == PHONE_ENDPOINT
    assert login_as(db.session.get(User, amina.id)).get("/week").status_code == 200


def test_backup_while_the_app_keeps_committing(app, team, tmp_path):
    """Messages are committed one after another in a thread during the backup: the copy holds a whole
    prefix of them, each with its recipient, and the writes went on without an error."""
    coach, amina, _event = team
    committed: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_committing():
        with app.app_context():
            try:
                while not stop.is_set():
                    message = Message(sender_id=coach.id, wording=Wording.own(f"busy {len(committed)}", "nl"))
                    message.recipients = [MessageRecipient(recipient_id=amina.id)]
                    db.session.add(message)
                    db.session.commit()
                    committed.append(message.id)
            except BaseException as failure:  # noqa: BLE001  (reported by the test below)
                failures.append(failure)
            finally:
                db.session.remove()

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(committed) < count and not failures and time.monotonic() < deadline:
            time.sleep(0.005)

    writer = threading.Thread(target=keep_committing)
    writer.start()
    try:
        wait_for(5)
        made = run(app, "backup", "--to", tmp_path / "backups")
        after_backup = len(committed)
        wait_for(after_backup + 5)
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert made.exit_code == 0, made.output
    [backup_file] = backups_in(tmp_path / "backups")
    with sqlite3.connect(backup_file) as copy:
        busy = [row[0] for row in copy.execute("SELECT id FROM messages WHERE wording LIKE '%busy %' ORDER BY id")]
        without_recipient = copy.execute("SELECT count(*) FROM messages WHERE NOT EXISTS (SELECT 1 FROM "
                                         "message_recipients WHERE message_id = messages.id)").fetchone()[0]
    copy.close()
    assert 5 <= len(busy) <= after_backup < len(committed)
    assert busy == committed[:len(busy)]
    assert without_recipient == 0
    assert integrity(backup_file) == ["ok"]


def test_an_older_backup_is_migrated_on_restore(app, team, tmp_path):
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision
    older = tmp_path / "mijnweek-20260101-000000.sqlite3"
    older_app = create_app(base_config(f"sqlite:///{older}"))
    with older_app.app_context():
        upgrade(revision=previous)
        db.engine.dispose()

    restored = run(app, "restore", older, "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"revision {previous}" in restored.output and f"migrated to {head}" in restored.output
    db.session.remove()
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
    assert snapshot(live_file())["users"] == []  # the older database had nobody yet
    assert integrity(live_file()) == ["ok"]


def test_keep_deletes_the_oldest_backups_with_their_keys_and_nothing_else(app, instance_keys, tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir()
    unrelated = [directory / "notes.txt", directory / "mijnweek-by-hand.sqlite3"]
    for path in unrelated:
        path.write_text("mine")
    first = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    outputs = []
    for hours in range(4):
        with time_machine.travel(first + timedelta(hours=hours), tick=False):
            made = run(app, "backup", "--to", directory, "--keep", 2)
        assert made.exit_code == 0, made.output
        outputs.append(made.output)

    stamps = ["20260328-230000", "20260329-000000", "20260329-010000", "20260329-020000"]
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        [path.name for path in unrelated]
        + [f"mijnweek-{stamp}.{suffix}" for stamp in stamps[2:]
           for suffix in ("sqlite3", "secret_key", "vapid_private.pem")])
    assert f"deleted {directory / f'mijnweek-{stamps[0]}.sqlite3'}" in outputs[2]
    assert f"deleted {directory / f'mijnweek-{stamps[0]}.vapid_private.pem'}" in outputs[2]
    assert f"deleted {directory / f'mijnweek-{stamps[1]}.sqlite3'}" in outputs[3]
    assert "deleted" not in outputs[0] + outputs[1]


def test_backup_goes_to_instance_backups_by_default(app):
    made = run(app, "backup")
    assert made.exit_code == 0, made.output
    [backup_file] = backups_in(Path(app.instance_path) / "backups")
    assert integrity(backup_file) == ["ok"]


def _truncated_backup(app, tmp_path) -> Path:
    assert run(app, "backup", "--to", tmp_path / "made").exit_code == 0
    [whole] = backups_in(tmp_path / "made")
    half = tmp_path / "mijnweek-20260101-000000.sqlite3"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return half


def _other_database(_app, tmp_path) -> Path:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE things (name TEXT)")
    connection.close()
    return path


def _from_a_newer_version(app, tmp_path) -> Path:
    assert run(app, "backup", "--to", tmp_path / "made").exit_code == 0
    [path] = backups_in(tmp_path / "made")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dcafe0000'")
    connection.close()
    return path


def _text_file(_app, tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database\n" * 100)
    return path


def _empty_file(_app, tmp_path) -> Path:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    return path


@pytest.mark.parametrize(("make_file", "reason"), [
    (_text_file, "is damaged or not a SQLite database (file is not a database)"),
    (_empty_file, "is not a Mijn Week backup"),
    (_other_database, "is not a Mijn Week backup"),
    (_truncated_backup, "is damaged"),
    (_from_a_newer_version, "made by another version of Mijn Week"),
])
def test_restoring_something_else_fails_clearly_and_changes_nothing(app, team, tmp_path, make_file, reason):
    bad = make_file(app, tmp_path)
    db.session.remove()
    before = snapshot(live_file())

    result = run(app, "restore", bad, "--yes")

    assert result.exit_code != 0
    assert f"{bad} " in result.output and reason in result.output and "nothing was changed" in result.output
    assert snapshot(live_file()) == before
    assert integrity(live_file()) == ["ok"]
    assert not list(live_file().parent.glob("*.before-restore"))


def test_with_keys_needs_keys_next_to_the_backup(app, team, tmp_path):
    assert run(app, "backup", "--to", tmp_path / "backups", "--no-keys").exit_code == 0
    [backup_file] = backups_in(tmp_path / "backups")
    db.session.remove()
    before = snapshot(live_file())
    result = run(app, "restore", backup_file, "--yes", "--with-keys")
    assert result.exit_code != 0 and "no mijnweek-…secret_key" in result.output
    assert snapshot(live_file()) == before


# --- PostgreSQL ----------------------------------------------------------------------------------------

PG_URL = "postgresql+psycopg://mijnweek:s3cret-pw@db.invalid:5432/mijnweek?options=-csearch_path%3Dmw"


@pytest.fixture
def pg_settings_app(tmp_path):
    """An app configured for PostgreSQL with a password; these commands never connect to it."""
    app = create_app(base_config(PG_URL))
    app.instance_path = str(tmp_path / "instance")
    return app


def test_backup_without_pg_dump_shows_the_command_and_no_password(pg_settings_app, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    result = run(pg_settings_app, "backup", "--to", tmp_path / "backups")
    assert result.exit_code != 0
    assert "pg_dump is not on PATH" in result.output
    assert "pg_dump --format=custom --file=" in result.output and "--schema=mw" in result.output
    assert "host=db.invalid port=5432 user=mijnweek dbname=mijnweek" in result.output
    assert "s3cret-pw" not in result.output
    assert not list((tmp_path / "backups").iterdir())


def test_restore_on_postgresql_explains_pg_restore_and_changes_nothing(pg_settings_app, tmp_path):
    dump = tmp_path / "mijnweek-20260101-000000.pgdump"
    dump.write_bytes(b"PGDMP")
    result = run(pg_settings_app, "restore", dump, "--yes")
    assert result.exit_code != 0
    assert "createdb" in result.output and "mijnweek_restored" in result.output
    assert f"pg_restore --single-transaction --exit-on-error --dbname 'host=db.invalid port=5432 user=mijnweek " \
           f"dbname=mijnweek_restored options=-csearch_path=mw' {dump}" in result.output
    assert "flask --app webapp db upgrade" in result.output
    assert "s3cret-pw" not in result.output


@pytest.fixture
def pg_app(database_url, request, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    app = request.getfixturevalue("make_app")()
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()


def test_pg_dump_of_the_app_schema_restores_by_the_documented_commands(pg_app, tmp_path):
    amina = User(role=Role.PARTICIPANT, display_name="Amina", locale="ar", phone="+31611112222", secret_hash="x")
    db.session.add(amina)
    db.session.flush()
    db.session.add(PushSubscription(user_id=amina.id, endpoint=PHONE_ENDPOINT, p256dh="p", auth="a"))
    db.session.commit()
    url = db.engine.url
    schema = db.session.scalar(text("SELECT current_schema()"))
    # Another application's schema in the same database, which the dump must leave out.
    neighbour = f"neighbour_{secrets.token_hex(4)}"
    admin = create_engine(url.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{neighbour}"'))
        connection.execute(text(f'CREATE TABLE "{neighbour}".users (name text)'))
    try:
        made = run(pg_app, "backup", "--to", tmp_path / "backups")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{neighbour}" CASCADE'))
    assert made.exit_code == 0, made.output
    [dump] = (tmp_path / "backups").glob("mijnweek-*.pgdump")
    assert dump.stat().st_mode & 0o777 == 0o600
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    tables = [line.split() for line in listing.splitlines() if " TABLE " in line and not line.startswith(";")]
    assert {"users", "push_subscriptions", "alembic_version"} <= {parts[-2] for parts in tables}
    assert {parts[-3] for parts in tables} == {schema}  # only this run's schema, not the others in the database

    # Steps 2 and 3 of what `flask restore` prints: a new database, then pg_restore into it.
    own = url.set(database=f"test_restore_{secrets.token_hex(4)}")
    target = own.database + "_restored"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{target}"'))
    try:
        command = pg_restore_command(own, dump)
        subprocess.run(command, check=True, capture_output=True, env=os.environ | (
            {"PGPASSWORD": url.password} if url.password else {}))
        restored = create_engine(url.set(database=target))
        with restored.connect() as connection:
            assert connection.execute(text("SELECT display_name, phone FROM users")).all() == [("Amina", "+31611112222")]
            assert connection.execute(text("SELECT endpoint FROM push_subscriptions")).scalar() == PHONE_ENDPOINT
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        restored.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        admin.dispose()


def test_restore_on_a_new_machine_creates_the_database_and_the_keys(app, team, instance_keys, tmp_path):
    assert run(app, "backup", "--to", tmp_path / "backups").exit_code == 0
    [backup_file] = backups_in(tmp_path / "backups")
    at_backup = snapshot(backup_file)
    new_database = tmp_path / "new-machine" / "data" / "mijnweek.db"
    new_machine = create_app(base_config(f"sqlite:///{new_database}"))
    new_machine.instance_path = str(tmp_path / "new-machine" / "instance")
    with new_machine.app_context():
        restored = run(new_machine, "restore", backup_file, "--yes", "--with-keys")
        db.engine.dispose()
    assert restored.exit_code == 0, restored.output
    assert "before-restore" not in restored.output  # there was nothing to keep
    assert snapshot(new_database) == at_backup
    for name, content in instance_keys.items():
        key_file = Path(new_machine.instance_path) / name
        assert key_file.read_bytes() == content and key_file.stat().st_mode & 0o777 == 0o600
