"""Answering an invitation: I'll come / I can't come, changing it, and bad input."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.schedule.models import (
    Attendance,
    AttendanceStatus,
    DeclineReason,
    EventKind,
)
from webapp.timeutil import now_utc, to_local


def local_in(days: float) -> datetime:
    return to_local(now_utc() + timedelta(days=days)).replace(tzinfo=None, second=0, microsecond=0)


@pytest.fixture
def participant(make_user):
    return make_user(Role.PARTICIPANT, locale="en")


@pytest.fixture
def appointment(participant, make_event, make_user):
    return make_event(EventKind.COACH_APPOINTMENT, start=local_in(2), attendees=[participant],
                      organiser=make_user(Role.COACH))


def attendance_of(event, person) -> Attendance:
    db.session.expire_all()
    return db.session.scalars(db.select(Attendance).filter_by(event_id=event.id, user_id=person.id)).one()


def test_confirm_then_change_to_decline(participant, appointment, login_as):
    client = login_as(participant)
    response = client.post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"})
    assert response.status_code == 303
    assert attendance_of(appointment, participant).status == AttendanceStatus.CONFIRMED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your answer: I'll come" in page
    client.post(f"/events/{appointment.id}/answer",
                data={"answer": "declined", "reason": "work", "reason_text": "Extra shift"})
    answer = attendance_of(appointment, participant)
    assert (answer.status, answer.reason, answer.reason_text) == (
        AttendanceStatus.DECLINED, DeclineReason.WORK, "Extra shift")
    assert answer.responded_at is not None


def test_htmx_answer_swaps_just_the_card(participant, appointment, login_as):
    response = login_as(participant).post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"},
                                          headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<article class="card kind-coach_appointment" id="event-{appointment.id}"')
    assert 'aria-pressed="true"' in body and "Your answer is saved." in body


def test_double_answer_changes_nothing(participant, appointment, login_as):
    client = login_as(participant)
    client.post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"})
    first = attendance_of(appointment, participant).responded_at
    response = client.post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"})
    assert response.status_code == 303
    assert attendance_of(appointment, participant).responded_at == first


def test_decline_needs_a_reason_and_keeps_the_text(participant, appointment, login_as):
    response = login_as(participant).post(f"/events/{appointment.id}/answer",
                                          data={"answer": "declined", "reason_text": "my bus is late"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose why you can" in page and "my bus is late" in page
    assert attendance_of(appointment, participant).status == AttendanceStatus.INVITED


def test_over_long_reason_is_refused_and_kept(participant, appointment, login_as):
    long_text = "because " * 40
    for headers in ({}, {"HX-Request": "true"}):
        response = login_as(participant).post(
            f"/events/{appointment.id}/answer",
            data={"answer": "declined", "reason": "other", "reason_text": long_text}, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "at most 200 characters" in page
        assert long_text.strip() in page
        assert 'value="other" required checked' in page
    assert attendance_of(appointment, participant).status == AttendanceStatus.INVITED


def test_unknown_answer_is_a_400(participant, appointment, login_as):
    response = login_as(participant).post(f"/events/{appointment.id}/answer", data={"answer": "maybe"})
    assert response.status_code == 400
    assert "Choose an answer." in response.get_data(as_text=True)


def test_cancelled_or_past_or_class_cannot_be_answered(participant, make_event, login_as):
    client = login_as(participant)
    cancelled = make_event(EventKind.CONNECTION_CAFE, start=local_in(3), attendees=[participant])
    cancelled.cancelled_at = now_utc()
    past = make_event(EventKind.COACH_APPOINTMENT, start=local_in(-3), attendees=[participant])
    lesson = make_event(EventKind.LANGUAGE_CLASS, start=local_in(1), attendees=[participant])
    db.session.commit()
    expected = {cancelled.id: "is cancelled", past.id: "is over", lesson.id: "does not need an answer"}
    for event_id, words in expected.items():
        response = client.post(f"/events/{event_id}/answer", data={"answer": "confirmed"})
        assert response.status_code == 400
        assert words in response.get_data(as_text=True)


def test_someone_elses_event_is_a_404(participant, appointment, make_user, login_as):
    stranger = make_user(Role.PARTICIPANT)
    response = login_as(stranger).post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"})
    assert response.status_code == 404
    assert login_as(stranger).post("/events/999999/answer", data={"answer": "confirmed"}).status_code == 404
    assert attendance_of(appointment, participant).status == AttendanceStatus.INVITED


def test_coach_cannot_answer_for_a_participant(participant, appointment, make_user, login_as):
    coach = make_user(Role.COACH)
    assert login_as(coach).post(f"/events/{appointment.id}/answer", data={"answer": "confirmed"}).status_code == 404


def test_answers_need_a_csrf_token(make_app, make_user, make_event):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        person = make_user(Role.PARTICIPANT)
        event = make_event(EventKind.COACH_APPOINTMENT, start=local_in(2), attendees=[person])
        response = app.test_client(user=person).post(f"/events/{event.id}/answer", data={"answer": "confirmed"})
        assert response.status_code == 400
        assert "Please try again" in response.get_data(as_text=True)
        assert attendance_of(event, person).status == AttendanceStatus.INVITED
