"""Taalmaatjes: propose, answer, another time, move, cancel, held; matches; what a buddy may see."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from webapp.accounts.models import BuddyMatch, Role
from webapp.extensions import db
from webapp.phrases.wording import Wording, read
from webapp.schedule.models import AttendanceStatus, Event, EventKind, Presence
from webapp.timeutil import to_local, today_local


@pytest.fixture
def pair(make_user, assign):
    coach = make_user(Role.COACH, locale="en")
    buddy = make_user(Role.BUDDY, display_name="Joost Bakker", locale="en")
    amina = make_user(Role.PARTICIPANT, display_name="Amina Haddad", locale="ar", phone="+31612345001")
    other = make_user(Role.PARTICIPANT, display_name="Yonas Tesfay", locale="ti")
    assign(coach, amina)
    db.session.add(BuddyMatch(buddy_id=buddy.id, participant_id=amina.id))
    db.session.commit()
    return coach, buddy, amina, other


def day_in(days: int) -> date:
    return today_local() + timedelta(days=days)


def propose(client, participant, days=3, start="14:00", end="15:30", **extra):
    return client.post(f"/buddy/participants/{participant.id}/meetings/new", data={
        "day": day_in(days).isoformat(), "start": start, "end": end, "location_id": "0",
        "note_phrases": "meet_entrance", **extra})


def meeting() -> Event:
    db.session.expire_all()
    return db.session.scalars(select(Event).filter_by(kind=EventKind.BUDDY_MEETING)).one()


def statuses(event) -> dict:
    return {a.user.role.value: a.status for a in event.attendances}


def test_buddy_home_shows_first_name_and_language_only(pair, login_as):
    _, buddy, amina, _ = pair
    page = login_as(buddy).get("/buddy").get_data(as_text=True)
    assert "Amina" in page and "Haddad" not in page and "العربية" in page
    assert "+31612345001" not in page
    amina.shares_phone_with_buddy = True
    db.session.commit()
    assert "+31612345001" in login_as(buddy).get("/buddy").get_data(as_text=True)


def test_propose_then_participant_says_yes(pair, login_as):
    _, buddy, amina, _ = pair
    assert propose(login_as(buddy), amina).status_code == 303
    event = meeting()
    assert statuses(event) == {"participant": AttendanceStatus.INVITED, "buddy": AttendanceStatus.CONFIRMED}
    week = login_as(amina).get(f"/week/{_week(event)}").get_data(as_text=True)
    assert f"/meetings/{event.id}/move" in week
    assert " ".join(read(event.note, amina.locale).sentences) in week  # the buddy's note, in Amina's language
    login_as(amina).post(f"/events/{event.id}/answer", data={"answer": "confirmed"})
    assert statuses(meeting()) == {"participant": AttendanceStatus.CONFIRMED, "buddy": AttendanceStatus.CONFIRMED}
    assert "Confirmed by both of you" in _english(login_as(buddy), buddy).get("/buddy").get_data(as_text=True)


def _english(client, person):
    person.locale = "en"
    db.session.commit()
    return client


def _week(event) -> str:
    from webapp.timeutil import IsoWeek

    return str(IsoWeek.containing(to_local(event.starts_at).date()))


def test_participant_picks_an_offered_time(pair, login_as):
    _, buddy, amina, _ = pair
    propose(login_as(buddy), amina, other_day_1=day_in(4).isoformat(), other_start_1="10:00")
    event = meeting()
    option = event.options[0]
    assert to_local(option.ends_at).time() == time(11, 30)  # as long as the main proposal
    response = login_as(amina).post(f"/meetings/{event.id}/move", data={"option": option.id})
    assert response.status_code == 303
    event = meeting()
    assert to_local(event.starts_at) == to_local(option.starts_at) and event.is_moved
    assert statuses(event) == {"participant": AttendanceStatus.CONFIRMED, "buddy": AttendanceStatus.CONFIRMED}
    assert event.options == []


def test_participant_suggests_a_time_and_buddy_confirms(pair, login_as):
    _, buddy, amina, _ = pair
    propose(login_as(buddy), amina)
    event = meeting()
    response = login_as(amina).post(f"/meetings/{event.id}/move", data={
        "day": day_in(5).isoformat(), "start": "16:00", "end": "17:00", "reason": "Ik werk dan"})
    assert response.status_code == 303
    event = meeting()
    assert statuses(event) == {"participant": AttendanceStatus.CONFIRMED, "buddy": AttendanceStatus.INVITED}
    assert event.change_reason == Wording(text="Ik werk dan", lang="ar", by="participant")
    login_as(buddy).post(f"/events/{event.id}/answer", data={"answer": "confirmed"})
    assert statuses(meeting())["buddy"] == AttendanceStatus.CONFIRMED


def test_either_side_cancels_with_a_reason(pair, login_as):
    _, buddy, amina, _ = pair
    propose(login_as(buddy), amina)
    event = meeting()
    assert login_as(amina).post(f"/meetings/{event.id}/cancel", data={"reason": "Ziek"}).status_code == 303
    event = meeting()
    assert event.is_cancelled and event.change_reason.text == "Ziek"
    assert "Ziek" in login_as(buddy).get("/buddy").get_data(as_text=True)


def test_buddy_marks_held_after_the_time(pair, login_as, make_event):
    _, buddy, amina, _ = pair
    past = make_event(EventKind.BUDDY_MEETING, start=datetime.combine(day_in(-2), time(14)), attendees=[amina, buddy],
                      organiser=buddy)
    client = login_as(buddy)
    assert client.post(f"/buddy/meetings/{past.id}/held", data={"held": "yes"}).status_code == 303
    assert {a.presence for a in meeting().attendances} == {Presence.ATTENDED}
    propose(client, amina)
    future = db.session.scalars(select(Event).where(Event.id != past.id)).one()
    assert client.post(f"/buddy/meetings/{future.id}/held", data={"held": "yes"}).status_code == 400


def test_busy_blocks_show_times_without_details(pair, login_as, make_event):
    _, buddy, amina, _ = pair
    make_event(EventKind.COACH_APPOINTMENT, start=datetime.combine(day_in(3), time(9)), minutes=60,
               attendees=[amina], title="Gesprek over schulden", note=Wording.own("geheim", "nl"))
    page = login_as(buddy).get(f"/buddy/participants/{amina.id}/busy?day={day_in(3).isoformat()}").get_data(as_text=True)
    assert "09:00–10:00" in page
    for secret in ("Gesprek", "schulden", "geheim", "Stadhuis", "coach"):
        assert secret not in page
    warning = propose(login_as(buddy), amina, start="09:30", end="10:30")
    assert warning.status_code == 400 and "is busy at that time" in warning.get_data(as_text=True).replace("&#39;", "'")
    assert propose(login_as(buddy), amina, start="09:30", end="10:30", save_anyway="y").status_code == 303


def test_coach_matches_and_sees_how_often_they_met(pair, login_as, make_user, make_event):
    coach, buddy, amina, _ = pair
    past = make_event(EventKind.BUDDY_MEETING, start=datetime.combine(day_in(-7), time(14)), attendees=[amina, buddy],
                      organiser=buddy)
    for attendance in past.attendances:
        attendance.presence = Presence.ATTENDED
    db.session.commit()
    page = login_as(coach).get(f"/coach/participants/{amina.id}").get_data(as_text=True)
    assert "1 meeting held in the last 8 weeks" in page
    second = make_user(Role.BUDDY, display_name="Second Buddy")
    assert login_as(coach).post(f"/coach/participants/{amina.id}/matches", data={"buddy_id": second.id}).status_code == 303
    match_id = db.session.scalars(select(BuddyMatch.id).filter_by(buddy_id=buddy.id)).one()
    assert login_as(coach).post(f"/coach/matches/{match_id}/end").status_code == 303
    assert login_as(buddy).get(f"/buddy/participants/{amina.id}/meetings/new").status_code == 404


def test_every_buddy_route_hides_what_is_not_theirs(pair, login_as, make_user, make_event):
    coach, buddy, amina, other = pair
    stranger_buddy = make_user(Role.BUDDY)
    foreign = make_event(EventKind.BUDDY_MEETING, start=datetime.combine(day_in(3), time(14)),
                         attendees=[other, stranger_buddy], organiser=stranger_buddy)
    lesson = make_event(EventKind.LANGUAGE_CLASS, start=datetime.combine(day_in(3), time(9)), attendees=[amina])
    client = login_as(buddy)
    assert client.get(f"/buddy/participants/{other.id}/meetings/new").status_code == 404
    assert client.get(f"/buddy/participants/{other.id}/busy").status_code == 404
    for event in (foreign, lesson):
        assert client.get(f"/meetings/{event.id}/move").status_code == 404
        assert client.post(f"/meetings/{event.id}/cancel", data={"reason": "x"}).status_code == 404
        assert client.post(f"/buddy/meetings/{event.id}/held", data={"held": "yes"}).status_code == 404
        assert client.post(f"/events/{event.id}/answer", data={"answer": "confirmed"}).status_code == 404
    for path in (f"/coach/participants/{amina.id}", "/coach", "/messages/1", "/coach/messages", "/admin"):
        assert client.get(path).status_code == 404, path
    assert foreign.cancelled_at is None and lesson.cancelled_at is None
    other_coach = make_user(Role.COACH)
    assert login_as(other_coach).post(f"/coach/participants/{amina.id}/matches",
                                      data={"buddy_id": buddy.id}).status_code == 404
