"""Time zones, ISO weeks and recurring series, including the daylight-saving weeks."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.schedule.models import Event, EventKind
from webapp.schedule.series import create_series, expand_series, extend_horizons
from webapp.schedule.services import build_week
from webapp.timeutil import IsoWeek, local_to_utc, to_local


def test_iso_week_parsing_and_bounds():
    week = IsoWeek.parse("2026-W48")
    assert week.monday == date(2026, 11, 23)
    assert week.days[-1] == date(2026, 11, 29)
    assert str(week.shifted(1)) == "2026-W49"
    assert str(IsoWeek.parse("2026-W53").shifted(1)) == "2027-W01"
    for bad in ["2026-48", "2026-W4", "2025-W53", "2026-W00", "abcd", "1999-W10", "2026-W48x"]:
        with pytest.raises(ValueError):
            IsoWeek.parse(bad)


def test_week_bounds_follow_the_clock_change():
    # The week of 29 March 2026 loses an hour, the week of 25 October gains one.
    march = IsoWeek.parse("2026-W13")
    october = IsoWeek.parse("2026-W43")
    assert march.end_utc - march.start_utc == timedelta(hours=167)
    assert october.end_utc - october.start_utc == timedelta(hours=169)
    assert march.start_utc == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)


def test_local_time_in_the_spring_gap_moves_forward():
    assert to_local(local_to_utc(datetime(2026, 3, 29, 2, 30))).hour == 3


@pytest.fixture
def taalles(app, make_user):
    participant = make_user(Role.PARTICIPANT)
    series = create_series(
        members=[participant], rule="FREQ=WEEKLY;BYDAY=MO,WE,TH",
        first_start_local=datetime(2026, 2, 2, 9, 0), duration=timedelta(hours=3),
        kind=EventKind.LANGUAGE_CLASS, title="Nederlands A2",
    )
    db.session.commit()
    return participant, series


@pytest.mark.parametrize("week_id", ["2026-W13", "2026-W14", "2026-W43", "2026-W44"])
def test_class_stays_at_nine_local_across_daylight_saving(taalles, week_id):
    participant, _series = taalles
    view = build_week(participant, IsoWeek.parse(week_id))
    classes = [item.event for day in view.days for item in day.items]
    assert [to_local(event.starts_at).weekday() for event in classes] == [0, 2, 3]
    assert {(to_local(e.starts_at).time(), to_local(e.ends_at).time()) for e in classes} == {(time(9), time(12))}


def test_utc_offsets_differ_on_both_sides_of_the_change(taalles):
    participant, _ = taalles
    before = build_week(participant, IsoWeek.parse("2026-W43")).days[0].items[0].event
    after = build_week(participant, IsoWeek.parse("2026-W44")).days[0].items[0].event
    assert before.starts_at.hour == 7 and after.starts_at.hour == 8  # 09:00 CEST vs 09:00 CET


def test_expansion_is_idempotent_and_unique(taalles):
    _, series = taalles
    count = db.session.scalar(select(func.count()).select_from(Event).where(Event.series_id == series.id))
    assert expand_series(series, series.expanded_until) == 0
    assert extend_horizons(series.expanded_until - timedelta(days=1)) == 0
    again = db.session.scalar(select(func.count()).select_from(Event).where(Event.series_id == series.id))
    assert count == again > 0


def test_rolling_horizon_fills_in_later_weeks(taalles):
    participant, series = taalles
    far = series.expanded_until + timedelta(weeks=10)
    added = extend_horizons(far)
    assert added == 30  # ten more weeks of three classes
    assert series.expanded_until == far
    assert all(a.user_id == participant.id for e in db.session.scalars(select(Event)) for a in e.attendances)


def test_rule_with_until_and_interval(app, make_user):
    person = make_user(Role.PARTICIPANT)
    series = create_series(
        members=[person], rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20260430T235959",
        first_start_local=datetime(2026, 3, 5, 19, 0), duration=timedelta(hours=2),
        kind=EventKind.CONNECTION_CAFE,
    )
    starts = [to_local(e.starts_at).date() for e in db.session.scalars(
        select(Event).where(Event.series_id == series.id).order_by(Event.starts_at))]
    assert starts == [date(2026, 3, 5), date(2026, 3, 19), date(2026, 4, 2), date(2026, 4, 16), date(2026, 4, 30)]


def test_invalid_rule_is_refused(app, make_user):
    with pytest.raises(ValueError):
        create_series(members=[], rule="FREQ=SOMETIMES", first_start_local=datetime(2026, 3, 5, 19),
                      duration=timedelta(hours=1), kind=EventKind.OTHER)
