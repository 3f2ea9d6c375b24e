"""The coach workspace over HTTP: caseload, participant page, planning, presence, isolation."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from webapp.accounts.models import Role
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.schedule.models import (
    AttendanceStatus,
    DeclineReason,
    Event,
    EventKind,
    Presence,
)
from webapp.timeutil import now_utc, to_local, today_local


@pytest.fixture
def team(make_user, assign):
    coach = make_user(Role.COACH, display_name="Sanne de Vries")
    other_coach = make_user(Role.COACH, display_name="Other Coach")
    amina = make_user(Role.PARTICIPANT, display_name="Amina Haddad")
    yonas = make_user(Role.PARTICIPANT, display_name="Yonas Tesfay")
    stranger = make_user(Role.PARTICIPANT, display_name="Not Yours")
    assign(coach, amina)
    assign(coach, yonas)
    assign(other_coach, stranger)
    return coach, other_coach, amina, yonas, stranger


def local(days: int, hour: int) -> datetime:
    return datetime.combine(today_local() + timedelta(days=days), time(hour))


def test_caseload_sorted_by_attention(team, make_event, login_as):
    coach, _, amina, yonas, _ = team
    event = make_event(EventKind.COACH_APPOINTMENT, start=local(2, 10), attendees=[yonas], organiser=coach)
    event.attendances[0].status, event.attendances[0].reason = AttendanceStatus.DECLINED, DeclineReason.SICK
    make_event(EventKind.COACH_APPOINTMENT, start=local(3, 10), attendees=[amina], organiser=coach)
    db.session.commit()
    page = login_as(coach).get("/coach").get_data(as_text=True)
    assert page.index("Yonas Tesfay") < page.index("Amina Haddad")
    assert "can't come" in page.replace("&#39;", "'") and "I am sick" in page
    assert "Not Yours" not in page


def test_participant_page_shows_week_chart_and_history(team, make_event, login_as):
    coach, _, amina, _, _ = team
    past = make_event(EventKind.LANGUAGE_CLASS, start=local(-7, 9), minutes=180, attendees=[amina])
    client = login_as(coach)
    attendance_id = past.attendances[0].id
    response = client.post(f"/coach/attendances/{attendance_id}/presence", data={"presence": "absent"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'aria-pressed="true"' in response.get_data(as_text=True)
    page = client.get(f"/coach/participants/{amina.id}").get_data(as_text=True)
    assert 'id="week"' in page and "chart-bars" in page
    assert "Came: 0 · Excused: 0 · Did not come: 1 · Cancelled: 0" in page
    assert "marked: did not come to" in page and "Sanne de Vries" in page
    assert db.session.scalars(select(AuditEntry).filter_by(subject_id=amina.id)).one().action == "presence.marked"


def test_presence_is_refused_before_the_start(team, make_event, login_as):
    coach, _, amina, _, _ = team
    future = make_event(EventKind.LANGUAGE_CLASS, start=local(2, 9), attendees=[amina])
    response = login_as(coach).post(f"/coach/attendances/{future.attendances[0].id}/presence",
                                    data={"presence": "attended"})
    assert response.status_code == 400
    assert future.attendances[0].presence is None


def test_excused_absent_attended_cancelled_stay_apart(team, make_event):
    _, _, amina, _, _ = team
    kinds = []
    for presence, status, cancelled in ((Presence.ATTENDED, AttendanceStatus.CONFIRMED, False),
                                        (Presence.ABSENT, AttendanceStatus.DECLINED, False),
                                        (Presence.ABSENT, AttendanceStatus.CONFIRMED, False),
                                        (None, AttendanceStatus.CONFIRMED, True)):
        event = make_event(EventKind.COACH_APPOINTMENT, start=local(-3, 10), attendees=[amina])
        event.attendances[0].presence, event.attendances[0].status = presence, status
        event.cancelled_at = now_utc() if cancelled else None
        kinds.append(event.attendances[0].outcome.value)
    assert kinds == ["attended", "excused", "absent", "cancelled"]


def test_plan_a_group_event_with_overlap_warning(team, make_event, login_as):
    coach, _, amina, yonas, _ = team
    make_event(EventKind.WORK, start=local(2, 10), minutes=300, attendees=[amina])
    client = login_as(coach)
    form = {"people": [amina.id, yonas.id], "kind": "connection_cafe", "title": "", "location_id": "0",
            "day": (today_local() + timedelta(days=2)).isoformat(), "start": "13:00", "end": "15:00",
            "repeat": "once", "note": "Bring a snack"}
    warning = client.post("/coach/events/overlaps", data=form).get_data(as_text=True)
    assert "overlaps with something already planned" in warning and "Amina Haddad" in warning
    first = client.post("/coach/events/new", data=form)
    assert first.status_code == 400 and "Save anyway" in first.get_data(as_text=True)
    assert "Bring a snack</textarea>" in first.get_data(as_text=True)
    saved = client.post("/coach/events/new", data=form | {"save_anyway": "y"})
    assert saved.status_code == 303
    event = db.session.scalars(select(Event).filter_by(kind=EventKind.CONNECTION_CAFE)).one()
    assert {a.user_id for a in event.attendances} == {amina.id, yonas.id}
    assert "Connection Café" in login_as(yonas).get("/week" if event.starts_at < _week_end() else
                                                    f"/week/{_week_id(event)}").get_data(as_text=True)


def _week_end():
    from webapp.timeutil import IsoWeek

    return IsoWeek.containing(today_local()).end_utc


def _week_id(event):
    from webapp.timeutil import IsoWeek

    return str(IsoWeek.containing(to_local(event.starts_at).date()))


def test_plan_weekly_series_and_validate(team, login_as):
    coach, _, amina, _, _ = team
    client = login_as(coach)
    start_day = today_local() + timedelta(days=1)
    form = {"people": [amina.id], "kind": "language_class", "title": "Taalboost", "location_id": "0",
            "day": start_day.isoformat(), "start": "09:00", "end": "08:00", "repeat": "weekly", "note": ""}
    bad = client.post("/coach/events/new", data=form)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "end time must be after" in page and "Choose the days" in page
    assert 'value="Taalboost"' in page
    good = client.post("/coach/events/new", data=form | {
        "end": "12:00", "weekdays": ["0", "2"], "until": (start_day + timedelta(weeks=4)).isoformat()})
    assert good.status_code == 303
    events = db.session.scalars(select(Event).filter_by(title="Taalboost")).all()
    assert 7 <= len(events) <= 9 and {to_local(e.starts_at).hour for e in events} == {9}


def test_edit_this_and_following_and_cancel(team, login_as):
    coach, _, amina, _, _ = team
    client = login_as(coach)
    start_day = today_local() + timedelta(days=1)
    client.post("/coach/events/new", data={
        "people": [amina.id], "kind": "work", "title": "Keuken", "location_id": "0", "day": start_day.isoformat(),
        "start": "10:00", "end": "15:00", "repeat": "weekly", "weekdays": [str(start_day.weekday())],
        "until": (start_day + timedelta(weeks=5)).isoformat(), "note": "", "save_anyway": "y"})
    events = db.session.scalars(select(Event).filter_by(title="Keuken").order_by(Event.starts_at)).all()
    assert len(events) == 6
    third = events[2]
    day = to_local(third.starts_at).date().isoformat()
    response = client.post(f"/coach/events/{third.id}/edit", data={
        "kind": "work", "title": "Keuken", "location_id": "0", "day": day, "start": "12:00", "end": "16:00",
        "scope": "following", "note": ""})
    assert response.status_code == 303
    db.session.expire_all()
    hours = [to_local(e.starts_at).hour for e in db.session.scalars(
        select(Event).filter_by(title="Keuken").order_by(Event.starts_at))]
    assert hours == [10, 10, 12, 12, 12, 12]
    refused = client.post(f"/coach/events/{events[1].id}/cancel", data={"cancel-scope": "this"})
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    assert client.post(f"/coach/events/{events[1].id}/cancel", data={
        "cancel-scope": "this", "cancel-reason_phrases": "building_closed"}).status_code == 303
    db.session.expire_all()
    assert [e.is_cancelled for e in db.session.scalars(
        select(Event).filter_by(title="Keuken").order_by(Event.starts_at))] == [False, True, False, False, False, False]


def test_coach_routes_hide_other_caseloads(team, make_event, login_as):
    coach, other_coach, amina, _, stranger = team
    foreign = make_event(EventKind.COACH_APPOINTMENT, start=local(-1, 10), attendees=[stranger], organiser=other_coach)
    client = login_as(coach)
    attendance_id = foreign.attendances[0].id
    assert client.get(f"/coach/participants/{stranger.id}").status_code == 404
    assert client.get(f"/coach/participants/{stranger.id}/week/2026-W10").status_code == 404
    assert client.post(f"/coach/participants/{stranger.id}/deactivate").status_code == 404
    assert client.post(f"/coach/attendances/{attendance_id}/presence", data={"presence": "attended"}).status_code == 404
    assert client.get(f"/coach/events/{foreign.id}/edit").status_code == 404
    assert client.post(f"/coach/events/{foreign.id}/cancel").status_code == 404
    assert client.post("/coach/events/new", data={
        "people": [stranger.id], "kind": "work", "location_id": "0", "day": "2026-12-01", "start": "10:00",
        "end": "11:00", "repeat": "once", "note": ""}).status_code == 400
    assert foreign.cancelled_at is None and foreign.attendances[0].presence is None
    assert db.session.scalars(select(Event).where(Event.id != foreign.id)).all() == []


def test_deactivated_participant_cannot_sign_in(team, login_as, app):
    coach, _, amina, _, _ = team
    login_as(coach).post(f"/coach/participants/{amina.id}/deactivate")
    assert amina.is_enabled is False
    response = app.test_client().post("/login", data={"phone": amina.phone, "pin": "480153"})
    assert response.status_code == 400
    login_as(coach).post(f"/coach/participants/{amina.id}/reactivate")
    assert amina.is_enabled is True
