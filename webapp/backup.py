"""`flask backup` and `flask restore`: a consistent copy of the database while everything keeps running.

SQLite: the standard library's online backup API (`sqlite3.Connection.backup`), not a file copy. The
database runs in WAL mode, so recent commits live in `mijnweek.db-wal` until a checkpoint: a copy of
`mijnweek.db` alone misses them, and copying both files while the web app or the reminder worker
writes can catch them mid-transaction. The backup API copies every page in one read transaction,
a snapshot that writers do not wait for and that holds exactly the committed transactions.
PostgreSQL: `pg_dump --format=custom` of the configured database (only the app's schema when the
URL sets a search_path). Both also copy the instance secrets (`secret_key`, `vapid_private.pem`):
without the VAPID key, every phone's push subscription stops working after a restore.
File names carry the time in UTC (`mijnweek-YYYYMMDD-HHMMSS.sqlite3`), which sorts and never repeats
an hour when the clocks go back.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.request import pathname2url

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from .extensions import db
from .notify.keys import PRIVATE_FILE as VAPID_FILE
from .timeutil import now_utc

DEFAULT_KEEP = 14
KEY_FILES = ("secret_key", VAPID_FILE)
DATABASE_SUFFIXES = ("sqlite3", "pgdump")
BACKUP_NAME = re.compile(r"^mijnweek-(\d{8}-\d{6})\.(sqlite3|pgdump|secret_key|vapid_private\.pem)$")
# How long a backup or restore waits for a lock before giving up (Python's backup() would retry forever).
LOCK_WAIT_SECONDS = 30.0


class BackupFailed(click.ClickException):
    """A backup or restore that stopped; the message says why and what is left where."""


# -- flask backup ---------------------------------------------------------------------------------------

@click.command("backup")
@click.option("--to", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the backup (default: instance/backups/).")
@click.option("--keep", default=DEFAULT_KEEP, show_default=True, type=click.IntRange(min=1),
              help="How many backups to keep in that directory; older ones are deleted.")
@click.option("--keys/--no-keys", default=True, show_default=True,
              help="Also copy instance/secret_key and instance/vapid_private.pem next to the backup.")
@with_appcontext
def backup(directory: Path | None, keep: int, keys: bool) -> None:
    """Copy the database while the app and the reminder worker keep running."""
    url = db.engine.url
    directory = directory or Path(current_app.instance_path) / "backups"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = now_utc().strftime("%Y%m%d-%H%M%S")
    if url.get_backend_name() == "sqlite":
        made = directory / f"mijnweek-{stamp}.sqlite3"
        backup_sqlite(sqlite_path(url), made)
        click.echo(f"{made} ({_size(made)}, integrity ok)")
    elif url.get_backend_name() == "postgresql":
        made = directory / f"mijnweek-{stamp}.pgdump"
        backup_postgresql(url, made)
        click.echo(f"{made} ({_size(made)}, pg_dump custom format)")
    else:
        raise BackupFailed(f"no backup for a {url.get_backend_name()} database")
    if keys:
        _echo_keys(copy_keys(Path(current_app.instance_path), directory, stamp))
    else:
        click.echo("keys: not copied (--no-keys); keep instance/secret_key and instance/vapid_private.pem safe")
    for old in prune(directory, keep):
        click.echo(f"deleted {old}")


def sqlite_path(url: URL) -> Path:
    """The database file of a SQLite URL; an in-memory database has none."""
    if url.database in (None, "", ":memory:"):
        raise BackupFailed("the database is in memory: there is nothing to back up or restore")
    return Path(url.database).resolve()


def backup_sqlite(source: Path, destination: Path, *, require_sound: bool = True) -> list[str]:
    """An online copy through the backup API, in rollback-journal mode (one self-contained file),
    checked with PRAGMA integrity_check; returns what the check found. With `require_sound` (the
    default) only a sound copy gets its final name."""
    if not source.is_file():
        raise BackupFailed(f"{source} does not exist")
    if destination.exists():
        raise BackupFailed(f"{destination} already exists; try again in a second")
    partial = destination.with_name(f".{destination.name}.partial")
    _create_private(partial)
    try:
        with _closing(_connect_existing(source, "rw")) as live, _closing(sqlite3.connect(partial)) as copy:
            live.backup(copy, progress=_give_up_after(LOCK_WAIT_SECONDS))
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = integrity_problems(copy)
        if problems and require_sound:
            raise BackupFailed(f"the copy of {source} fails its integrity check: {'; '.join(problems[:5])}")
        os.replace(partial, destination)
        return problems
    except (sqlite3.Error, TimeoutError) as problem:
        raise BackupFailed(f"copying {source} failed: {problem}") from problem
    finally:
        partial.unlink(missing_ok=True)


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    """What PRAGMA integrity_check reports; empty when the database is sound."""
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def copy_keys(instance: Path, directory: Path, stamp: str) -> dict[str, str]:
    """Copy the instance secrets next to the backup (mode 0600); says for each key where it is kept."""
    kept = {}
    for name in KEY_FILES:
        source = instance / name
        if source.is_file():
            target = directory / f"mijnweek-{stamp}.{name}"
            _write_private(target, source.read_bytes())
            kept[name] = f"copied to {target.name}"
        else:
            kept[name] = f"no instance/{name}"
    if current_app.config.get("VAPID_PRIVATE_KEY") or os.environ.get("VAPID_PRIVATE_KEY"):
        kept[VAPID_FILE] += "; the app uses VAPID_PRIVATE_KEY from the environment: keep that safe yourself"
    secret_file = instance / "secret_key"
    if not (secret_file.is_file() and secret_file.read_text().strip() == current_app.config["SECRET_KEY"]):
        kept["secret_key"] += "; the app uses SECRET_KEY from the environment: keep that safe yourself"
    return kept


def _echo_keys(kept: dict[str, str]) -> None:
    for name, where in kept.items():
        click.echo(f"{name}: {where}")


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `directory` (with their key files); returns what went.

    Only files named like a backup are touched."""
    by_stamp: dict[str, list[Path]] = {}
    with_database = set()
    for path in directory.iterdir():
        if match := BACKUP_NAME.match(path.name):
            by_stamp.setdefault(match[1], []).append(path)
            if match[2] in DATABASE_SUFFIXES:
                with_database.add(match[1])
    kept = sorted(with_database)[-keep:]
    if not kept:
        return []
    gone = [path for stamp in sorted(by_stamp) if stamp < kept[0] for path in sorted(by_stamp[stamp])]
    for path in gone:
        path.unlink()
    return gone


# -- PostgreSQL -----------------------------------------------------------------------------------------

def libpq_connection(url: URL, database: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the client tools (to `database` instead of the URL's, if given),
    without the password, and the environment that carries the password (PGPASSWORD), so it shows
    neither in the output nor in `ps`."""
    params = {"host": url.host, "port": str(url.port) if url.port else None,
              "user": url.username, "dbname": database or url.database}
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    conninfo = " ".join(f"{key}={_conninfo_quote(value)}" for key, value in params.items() if value)
    return conninfo, ({"PGPASSWORD": url.password} if url.password else {})


def _conninfo_quote(value: str) -> str:
    if re.fullmatch(r"[^\s'\\]+", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def app_schema(url: URL) -> str | None:
    """The schema the app's tables live in when the URL sets a search_path (its first named entry)."""
    options = url.query.get("options", "")
    options = options[-1] if isinstance(options, tuple) else options
    match = re.search(r"-c\s*search_path\s*=\s*(\S+)", options)
    if not match:
        return None
    for name in match[1].split(","):
        name = name.strip().strip('"')
        if name and name != "$user":
            return name
    return None


def pg_dump_command(url: URL, destination: Path) -> list[str]:
    """The pg_dump call for this database: custom format, only the app's schema if the URL names one."""
    conninfo, _ = libpq_connection(url)
    command = ["pg_dump", "--format=custom", f"--file={destination}"]
    if schema := app_schema(url):
        # pg_dump takes a pattern: anything but a plain lower-case name is quoted to mean exactly itself
        plain = re.fullmatch(r"[a-z_][a-z0-9_]*", schema)
        command.append("--schema=" + (schema if plain else '"' + schema.replace('"', '""') + '"'))
    return command + ["--dbname", conninfo]


def restored_name(url: URL) -> str:
    """The new database a dump is restored into before it takes the old one's name."""
    return f"{url.database}_restored"


def pg_restore_command(url: URL, dump: Path) -> list[str]:
    """The documented restore: load the dump into the new, empty database `restored_name(url)`,
    all in one transaction (a dump loaded over a newer schema would leave its newer tables behind)."""
    conninfo, _ = libpq_connection(url, restored_name(url))
    return ["pg_restore", "--single-transaction", "--exit-on-error", "--dbname", conninfo, str(dump)]


def pg_restore_steps(url: URL, dump: Path) -> list[str]:
    """Every step of a PostgreSQL restore, with the commands for this database (no password)."""
    maintenance, _ = libpq_connection(url, "postgres")
    name, new, old = url.database, restored_name(url), f"{url.database}_before_restore"
    create = ["createdb", f"--maintenance-db={maintenance}"] + ([f"--owner={url.username}"] if url.username else [])
    swap = ["psql", "--dbname", maintenance, "--single-transaction", "-v", "ON_ERROR_STOP=1",
            "-c", f'ALTER DATABASE "{name}" RENAME TO "{old}"', "-c", f'ALTER DATABASE "{new}" RENAME TO "{name}"']
    return [
        "stop the web app and the reminder worker",
        shlex.join(create + [new]) + "   (as a user who may create databases: change user= if need be)",
        shlex.join(pg_restore_command(url, dump)),
        shlex.join(swap) + "   (the old database stays as " + old + ")",
        "flask --app webapp db upgrade",
        ("if instance/secret_key or instance/vapid_private.pem changed since the backup, copy back the "
         "mijnweek-….secret_key and mijnweek-….vapid_private.pem saved next to it (mode 0600)"),
        "start the web app and the reminder worker",
    ]


def backup_postgresql(url: URL, destination: Path) -> None:
    """Run pg_dump into a private file and check that pg_restore can read it back."""
    if shutil.which("pg_dump") is None:
        raise BackupFailed(
            "pg_dump is not on PATH. Install the PostgreSQL client tools of the server's major version "
            "(Debian: apt install postgresql-client), or back up by hand "
            "(the password from PGPASSWORD or ~/.pgpass):\n  " + shlex.join(pg_dump_command(url, destination)))
    if destination.exists():
        raise BackupFailed(f"{destination} already exists; try again in a second")
    _, password_env = libpq_connection(url)
    partial = destination.with_name(f".{destination.name}.partial")
    _create_private(partial)  # pg_dump writes into it and keeps the mode
    try:
        _run(pg_dump_command(url, partial), password_env, url.password, "pg_dump")
        if shutil.which("pg_restore"):
            _run(["pg_restore", "--list", str(partial)], {}, url.password, "pg_restore --list (checking the dump)")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def _run(command: list[str], extra_env: dict, password: str | None, what: str) -> None:
    done = subprocess.run(command, env=os.environ | extra_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = done.stderr.strip()
        if password:
            said = said.replace(password, "***")
        raise BackupFailed(f"{what} failed ({done.returncode}): {said}")


# -- flask restore --------------------------------------------------------------------------------------

@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace the database (it is first copied aside).")
@click.option("--with-keys", is_flag=True,
              help="Also put back the secret_key and vapid_private.pem saved next to FILE.")
@with_appcontext
def restore(file: Path, yes: bool, with_keys: bool) -> None:
    """Replace the SQLite database with a backup, then migrate it to this version.

    Stop the web app and the reminder worker first, and start them again afterwards."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        _explain_postgresql_restore(url, file)
    target = sqlite_path(url)
    if file.resolve() == target:
        raise BackupFailed(f"{file} is the database itself")
    revision = check_backup(file)
    keys = backup_keys(file) if with_keys else {}
    if with_keys and not keys:
        raise BackupFailed(f"--with-keys: no mijnweek-…secret_key or …vapid_private.pem next to {file}")
    if not yes:
        raise BackupFailed(f"{file} is a sound backup (revision {revision}). Restoring replaces {target}; "
                           "stop the web app and the reminder worker, then run this again with --yes.")
    stamp = now_utc().strftime("%Y%m%d-%H%M%S")
    db.session.remove()
    db.engine.dispose()
    aside = None
    if target.exists():
        aside = target.with_name(f"{target.name}.{stamp}.before-restore")
        damage = backup_sqlite(target, aside, require_sound=False)  # a damaged database is a reason to restore
        click.echo(f"the database as it was: {aside}" + (" (it fails its integrity check)" if damage else ""))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        restore_sqlite(file, target)
    except (sqlite3.Error, TimeoutError) as problem:
        raise BackupFailed(f"restoring failed, {target} is unchanged: {problem}") from problem
    head = _migrate(aside)
    with _closing(_connect_existing(target, "rw")) as restored:
        problems = integrity_problems(restored)
    if problems:
        raise BackupFailed(f"{target} fails its integrity check after the restore: {'; '.join(problems[:5])}"
                           + (f"; put the old one back with: flask restore {aside} --yes" if aside else ""))
    click.echo(f"restored {file} (revision {revision}) into {target}; migrated to {head}; integrity ok")
    if with_keys:
        _restore_keys(keys, Path(current_app.instance_path), stamp)
    _forget_cached_pages()
    click.echo("start the web app and the reminder worker again")


def check_backup(file: Path) -> str:
    """The migration revision of a backup file, after checking it is a sound Mijn Week database
    this version can migrate; raises BackupFailed with the reason otherwise."""
    try:
        with _closing(_connect_existing(file, "ro")) as backup_db:
            problems = integrity_problems(backup_db)
            if problems:
                raise BackupFailed(f"{file} is damaged (integrity check: {'; '.join(problems[:5])}); nothing was changed")
            tables = {row[0] for row in backup_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise BackupFailed(f"{file} is not a Mijn Week backup (it has no alembic_version table); "
                                   "nothing was changed")
            revision = backup_db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as problem:
        raise BackupFailed(f"{file} is damaged or not a SQLite database ({problem}); nothing was changed") from problem
    if revision is None or revision[0] not in _known_revisions():
        raise BackupFailed(f"{file} was made by another version of Mijn Week (revision "
                           f"{revision[0] if revision else 'none'} is not in migrations/); nothing was changed")
    return revision[0]


def restore_sqlite(backup_file: Path, target: Path) -> None:
    """Copy the backup into the database through the backup API: one write transaction, so the
    database is either wholly the backup or unchanged, and its WAL file stays consistent with it
    (copying a file over a database whose -wal file remains would corrupt it)."""
    with _closing(_connect_existing(backup_file, "ro")) as source, \
            _closing(sqlite3.connect(target, timeout=5)) as live:
        source.backup(live, progress=_give_up_after(LOCK_WAIT_SECONDS))


def backup_keys(file: Path) -> dict[str, Path]:
    """The key files saved next to a backup, by instance file name."""
    match = BACKUP_NAME.match(file.name)
    if not match:
        return {}
    found = {name: file.with_name(f"mijnweek-{match[1]}.{name}") for name in KEY_FILES}
    return {name: path for name, path in found.items() if path.is_file()}


def _restore_keys(keys: dict[str, Path], instance: Path, stamp: str) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    for name, saved in keys.items():
        current = instance / name
        if current.is_file():
            aside = instance / f"{name}.{stamp}.before-restore"
            _write_private(aside, current.read_bytes())
            click.echo(f"{name}: the one in use is kept as {aside}")
        replacement = instance / f".{name}.restoring"
        replacement.unlink(missing_ok=True)
        _write_private(replacement, saved.read_bytes())
        os.replace(replacement, current)
        click.echo(f"{name}: restored from {saved.name}")
    if os.environ.get("SECRET_KEY") and "secret_key" in keys:
        click.echo("note: SECRET_KEY is set in the environment and wins over instance/secret_key")
    if os.environ.get("VAPID_PRIVATE_KEY") and VAPID_FILE in keys:
        click.echo("note: VAPID_PRIVATE_KEY is set in the environment and wins over instance/vapid_private.pem")


def _migrate(aside: Path | None) -> str:
    from flask_migrate import upgrade

    try:
        upgrade()
    except (Exception, SystemExit) as problem:  # noqa: BLE001  (Flask-Migrate turns Alembic's errors into sys.exit(1))
        said = "see the error above" if isinstance(problem, SystemExit) else str(problem)
        back = f"; put the old one back with: flask restore {aside} --yes" if aside else ""
        raise BackupFailed(f"the backup was restored but migrating it failed ({said}){back}") from None
    finally:
        db.engine.dispose()
    return _head()


def _explain_postgresql_restore(url: URL, file: Path) -> None:
    steps = "\n".join(f"  {number}. {step}" for number, step in enumerate(pg_restore_steps(url, file), 1))
    raise BackupFailed("On PostgreSQL, restore by hand into a new database and swap the names "
                       f"(the password from PGPASSWORD or ~/.pgpass):\n{steps}")


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def _known_revisions() -> set[str]:
    return {script.revision for script in _script().walk_revisions()}


def _head() -> str:
    return _script().get_current_head()


def _forget_cached_pages() -> None:
    """Rendered week pages in a shared cache (Redis) may show what the restore undid."""
    from .schedule.week_cache import cache

    try:
        cache.clear()
    except Exception as problem:  # noqa: BLE001  (the restore is done; a stale cache lasts at most 10 minutes)
        click.echo(f"note: could not empty the week page cache ({problem}); it empties itself within 10 minutes")


# -- small helpers --------------------------------------------------------------------------------------

def _connect_existing(path: Path, mode: str) -> sqlite3.Connection:
    """Open a database file that must exist (sqlite3.connect would quietly create an empty one)."""
    return sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode={mode}", uri=True, timeout=5)


class _closing:
    """sqlite3's own context manager commits but does not close."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc) -> None:
        self.connection.close()


def _give_up_after(seconds: float):
    """A backup() progress callback that stops waiting for a lock after `seconds`."""
    deadline = time.monotonic() + seconds

    def progress(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise TimeoutError(f"the database stayed locked for {seconds:.0f} s")

    return progress


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size} bytes" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
