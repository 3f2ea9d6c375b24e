"""Planning by coaches: one-off events, weekly series, edits of one or following, overlaps."""
from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from webapp.accounts.models import Role
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.phrases.wording import EMPTY
from webapp.schedule.models import AttendanceStatus, Event, EventKind
from webapp.schedule.planning import (
    Plan,
    cancel_event,
    change_event,
    find_overlaps,
    plan_event,
)
from webapp.timeutil import to_local


@pytest.fixture
def people(make_user, assign):
    coach = make_user(Role.COACH)
    amina = make_user(Role.PARTICIPANT, display_name="Amina")
    yonas = make_user(Role.PARTICIPANT, display_name="Yonas")
    assign(coach, amina)
    assign(coach, yonas)
    return coach, amina, yonas


def weekly(day=date(2026, 10, 5), until=date(2026, 11, 30), start=time(9), end=time(12)):
    return Plan(kind=EventKind.LANGUAGE_CLASS, title="Taalles", note=EMPTY, location_id=None, day=day, start=start,
                end=end, weekdays=[0, 2], until=until)


def events_of(series_id) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.series_id == series_id).order_by(Event.starts_at)))


def test_one_off_event_for_a_group_is_audited(people):
    coach, amina, yonas = people
    plan = Plan(kind=EventKind.CONNECTION_CAFE, title="", note=EMPTY, location_id=None, day=date(2026, 12, 3),
                start=time(19), end=time(21))
    event = plan_event(coach, plan, [amina, yonas])
    db.session.commit()
    assert {a.user_id for a in event.attendances} == {amina.id, yonas.id}
    assert to_local(event.starts_at).time() == time(19)
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == 2


def test_weekly_series_until_a_date_keeps_local_time_across_dst(people):
    coach, amina, _ = people
    series = plan_event(coach, weekly(), [amina])
    db.session.commit()
    occurrences = events_of(series.id)
    assert len(occurrences) == 17  # Mondays and Wednesdays from 5 Oct to 30 Nov 2026
    assert {to_local(e.starts_at).time() for e in occurrences} == {time(9)}
    assert {to_local(e.starts_at).weekday() for e in occurrences} == {0, 2}


def test_change_this_one_only(people):
    coach, amina, _ = people
    series = plan_event(coach, weekly(), [amina])
    target = events_of(series.id)[3]
    target.attendances[0].status = AttendanceStatus.CONFIRMED
    change_event(coach, target, weekly(day=to_local(target.starts_at).date(), start=time(13), end=time(16)))
    db.session.commit()
    times = [to_local(e.starts_at).time() for e in events_of(series.id)]
    assert times.count(time(13)) == 1 and times.count(time(9)) == 16
    assert target.attendances[0].status == AttendanceStatus.INVITED  # moved: asked again


def test_change_this_and_following(people):
    coach, amina, _ = people
    series = plan_event(coach, weekly(), [amina])
    target = events_of(series.id)[6]
    split_day = to_local(target.starts_at).date()
    change_event(coach, target, weekly(day=split_day, start=time(13), end=time(15)), following=True)
    db.session.commit()
    before = events_of(series.id)
    after = events_of(target.series_id)
    assert target.series_id != series.id
    assert len(before) == 6 and {to_local(e.starts_at).time() for e in before} == {time(9)}
    assert len(after) == 11 and {to_local(e.starts_at).time() for e in after} == {time(13)}
    assert {to_local(e.ends_at).time() for e in after} == {time(15)}
    assert all(a.user_id == amina.id for e in after for a in e.attendances)


def test_moving_one_to_another_weekday_with_the_following_keeps_one_class_per_day(people):
    coach, amina, _ = people
    series = plan_event(coach, weekly(until=date(2027, 3, 31)), [amina])  # Mondays and Wednesdays
    target = events_of(series.id)[4]  # a Monday
    monday = to_local(target.starts_at).date()
    wednesday = date.fromordinal(monday.toordinal() + 2)
    change_event(coach, target, weekly(day=wednesday, start=time(13), end=time(15)), following=True)
    db.session.commit()
    after = events_of(target.series_id)
    assert to_local(target.starts_at).date() == wednesday and to_local(target.starts_at).time() == time(13)
    assert [to_local(e.starts_at).date() for e in after].count(wednesday) == 2  # the moved one and Wednesday's own
    assert {to_local(e.starts_at).time() for e in after} == {time(13)}
    from datetime import UTC, datetime

    from webapp.schedule.series import extend_horizons

    extend_horizons(datetime(2027, 3, 31, tzinfo=UTC))
    db.session.commit()
    later = events_of(target.series_id)
    days = [to_local(e.starts_at).date() for e in later if e.id != target.id]
    assert len(days) == len(set(days)) and monday not in days  # the Monday is not made again
    assert {to_local(e.starts_at).weekday() for e in later if e.id != target.id} == {0, 2}


def test_cancel_this_and_following_stops_the_series(people):
    coach, amina, _ = people
    series = plan_event(coach, weekly(until=date(2027, 6, 30)), [amina])
    target = events_of(series.id)[2]
    cancel_event(coach, target, following=True)
    db.session.commit()
    from datetime import UTC, datetime

    from webapp.schedule.series import extend_horizons

    extend_horizons(datetime(2027, 6, 30, tzinfo=UTC))
    all_events = events_of(series.id)
    assert [e.is_cancelled for e in all_events[:2]] == [False, False]
    assert all(e.is_cancelled for e in all_events[2:])


def test_overlap_with_a_shift_is_found(people, make_event):
    from datetime import datetime

    coach, amina, yonas = people
    make_event(EventKind.WORK, start=datetime(2026, 12, 7, 10), minutes=300, attendees=[amina])
    plan = Plan(kind=EventKind.COACH_APPOINTMENT, title="", note=EMPTY, location_id=None, day=date(2026, 12, 7),
                start=time(14), end=time(14, 30))
    overlaps = find_overlaps(plan, [amina, yonas])
    assert [(o.person.id, o.attendance.event.kind) for o in overlaps] == [(amina.id, EventKind.WORK)]
    later = Plan(kind=EventKind.COACH_APPOINTMENT, title="", note=EMPTY, location_id=None, day=date(2026, 12, 7),
                 start=time(15), end=time(16))
    assert find_overlaps(later, [amina]) == []
    assert len(find_overlaps(weekly(day=date(2026, 11, 30), until=date(2026, 12, 31), start=time(14), end=time(15)), [amina])) == 1
