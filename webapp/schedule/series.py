"""Recurring series: RRULEs in local wall-clock time, expanded into events for a rolling horizon."""
from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.rrule import rrulestr
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..timeutil import local_to_utc, now_utc, to_local
from .models import Attendance, AttendanceStatus, Event, Series, SeriesMember


def parse_rule(rule: str, first_start_local: datetime):
    """Parse an RFC 5545 RRULE anchored at a naive local start; raises ValueError when invalid."""
    if first_start_local.tzinfo is not None:
        raise ValueError("a series starts at a naive local wall-clock time")
    return rrulestr(rule, dtstart=first_start_local)


def horizon(at: datetime | None = None) -> datetime:
    return (at or now_utc()) + timedelta(days=current_app.config["SERIES_HORIZON_DAYS"])


def create_series(*, members, rule: str, first_start_local: datetime, duration: timedelta, **fields) -> Series:
    """Create a series with its members and expand it up to the rolling horizon."""
    parse_rule(rule, first_start_local)
    series = Series(
        rrule=rule,
        first_start_local=first_start_local,
        duration_minutes=int(duration.total_seconds() // 60),
        expanded_until=local_to_utc(first_start_local) - timedelta(seconds=1),
        **fields,
    )
    series.members = [SeriesMember(user_id=member.id) for member in members]
    db.session.add(series)
    db.session.flush()
    expand_series(series, horizon())
    return series


def expand_series(series: Series, until: datetime) -> int:
    """Create the occurrences after `expanded_until` up to `until`; returns how many were added."""
    if until <= series.expanded_until:
        return 0
    rule = parse_rule(series.rrule, series.first_start_local)
    window_start = to_local(series.expanded_until).replace(tzinfo=None)
    window_end = to_local(until).replace(tzinfo=None)
    duration = timedelta(minutes=series.duration_minutes)
    member_ids = [member.user_id for member in series.members]
    added = 0
    for local_start in rule.between(window_start, window_end, inc=True):
        starts_at = local_to_utc(local_start)
        if not series.expanded_until < starts_at <= until:
            continue
        event = Event(
            kind=series.kind,
            title=series.title,
            note=series.note,
            interpreter_language=series.interpreter_language,
            location_id=series.location_id,
            organiser_id=series.organiser_id,
            starts_at=starts_at,
            # The duration is wall-clock: a 09:00-12:00 class ends at 12:00 on a DST day too.
            ends_at=local_to_utc(local_start + duration),
            series_id=series.id,
            recurrence_at=starts_at,
        )
        event.attendances = [
            Attendance(user_id=user_id, status=AttendanceStatus.INVITED) for user_id in member_ids
        ]
        db.session.add(event)
        added += 1
    series.expanded_until = until
    db.session.flush()
    return added


def extend_horizons(until: datetime) -> int:
    """Expand every series that does not yet reach `until`.

    Requests that extend at once take turns: each locks the series before reading how far they
    reach, so none adds an occurrence twice, and in id order, so none waits in a circle.
    """
    if db.session.scalar(select(Series.id).where(Series.expanded_until < until).limit(1)) is None:
        return 0  # nearly always: nothing is written, nothing is locked
    _start_writing()
    behind = db.session.scalars(
        select(Series).where(Series.expanded_until < until).order_by(Series.id).with_for_update()
        .options(selectinload(Series.members)).execution_options(populate_existing=True)).all()
    return sum(expand_series(series, until) for series in behind)


def _start_writing() -> None:
    """On SQLite, take the write lock before reading (BEGIN IMMEDIATE). A transaction that reads and
    then writes fails at once with "database is locked" when another connection wrote in between,
    whatever the busy timeout; one that starts by writing waits its turn. PostgreSQL locks the
    series rows instead (FOR UPDATE)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:  # a request that already wrote holds the lock
        raw.execute("BEGIN IMMEDIATE")
