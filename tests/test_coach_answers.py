"""The coach's first page: the answers of their own participants, who can't come on top."""
from __future__ import annotations

from datetime import timedelta

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.schedule.models import AttendanceStatus, DeclineReason, EventKind
from webapp.timeutil import now_utc, to_local


def local_in(days: float):
    return to_local(now_utc() + timedelta(days=days)).replace(tzinfo=None, second=0, microsecond=0)


def test_answers_of_own_caseload_only_declines_first(login_as, make_user, assign, make_event):
    coach = make_user(Role.COACH)
    amina = make_user(Role.PARTICIPANT, display_name="Amina Haddad")
    yonas = make_user(Role.PARTICIPANT, display_name="Yonas Tesfay")
    stranger = make_user(Role.PARTICIPANT, display_name="Someone Else")
    assign(coach, amina)
    assign(coach, yonas)
    make_event(EventKind.COACH_APPOINTMENT, start=local_in(1), attendees=[amina], organiser=coach)
    later = make_event(EventKind.CONNECTION_CAFE, start=local_in(5), attendees=[yonas, stranger])
    make_event(EventKind.LANGUAGE_CLASS, start=local_in(2), attendees=[amina])
    declined = later.attendances[0]
    declined.status, declined.reason, declined.reason_text = AttendanceStatus.DECLINED, DeclineReason.SICK, "fever"
    db.session.commit()

    page = login_as(coach).get("/coach/answers").get_data(as_text=True)
    assert "Someone Else" not in page
    assert page.index("Yonas Tesfay") < page.index("Amina Haddad")
    assert "Can&#39;t come" in page or "Can't come" in page
    assert "I am sick" in page and "fever" in page and "No answer yet" in page
    assert "Dutch class" not in page


def test_answer_shows_up_for_the_coach_at_once(login_as, make_user, assign, make_event):
    coach = make_user(Role.COACH)
    amina = make_user(Role.PARTICIPANT, display_name="Amina Haddad")
    assign(coach, amina)
    event = make_event(EventKind.COACH_APPOINTMENT, start=local_in(1), attendees=[amina], organiser=coach)
    login_as(amina).post(f"/events/{event.id}/answer", data={"answer": "declined", "reason": "work"})
    page = login_as(coach).get("/coach/answers").get_data(as_text=True)
    assert "I have to work" in page


def test_admin_lands_on_the_overview_and_sees_no_events(app, make_user, login_as):
    from webapp.demo.seed import seed_demo

    seed_demo()
    db.session.commit()
    admin = make_user(Role.ADMIN)
    response = app.test_client().post("/login/staff", data={"email": admin.email, "password": "a long test password"})
    assert response.headers["Location"] == "/admin"
    page = login_as(admin).get("/admin").get_data(as_text=True)
    assert "Taalschool De Brug" in page and "6 participants" in page
    assert login_as(admin).get("/week").status_code == 404
    assert login_as(admin).get("/coach").status_code == 404
    assert login_as(make_user(Role.COACH)).get("/admin").status_code == 404
