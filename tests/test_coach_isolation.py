"""Coach A reaches nothing of coach B's caseload through any coach route: generated from the URL map.

Every rule under /coach is asked for with the ids of B's participant, B's events, B's
attendances, B's messages and B's buddy match, by GET and by POST; each answer must be a
404 and nothing may change. A new coach route is covered without touching this file; a
route argument this file cannot fill makes it fail.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from webapp.accounts.models import BuddyMatch, Role
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.messages.models import Message
from webapp.messages.services import send
from webapp.phrases.wording import Wording
from webapp.schedule.models import Attendance, Event, EventKind
from webapp.timeutil import today_local

STATE = (Event, Attendance, Message, BuddyMatch, AuditEntry)


def snapshot() -> dict:
    db.session.expire_all()
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in STATE}
    counts["cancelled"] = db.session.scalar(select(func.count()).select_from(Event).where(Event.cancelled_at.is_not(None)))
    counts["marked"] = db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.presence.is_not(None)))
    return counts


def test_no_coach_route_reaches_another_caseload(app, make_user, assign, make_event, login_as):
    coach_a, coach_b = make_user(Role.COACH), make_user(Role.COACH)
    theirs = make_user(Role.PARTICIPANT)
    assign(coach_b, theirs)
    buddy = make_user(Role.BUDDY)
    match = BuddyMatch(buddy_id=buddy.id, participant_id=theirs.id)
    db.session.add(match)
    past = make_event(EventKind.COACH_APPOINTMENT, attendees=[theirs], organiser=coach_b,
                      start=datetime.combine(today_local() - timedelta(days=1), time(10)))
    coming = make_event(EventKind.COACH_APPOINTMENT, attendees=[theirs], organiser=coach_b,
                        start=datetime.combine(today_local() + timedelta(days=2), time(10)))
    message = send(coach_b, [theirs], Wording.of("please_call_me"))
    db.session.commit()
    ids = {"participant_id": theirs.id, "event_id": coming.id, "attendance_id": past.attendances[0].id,
           "message_id": message.id, "match_id": match.id, "week_id": "2026-W48"}
    before = snapshot()
    client = login_as(coach_a)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/coach/") or not rule.arguments:
            continue
        unknown = rule.arguments - ids.keys()
        assert not unknown, f"{rule.rule}: add ids for {unknown} to this test"
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(path, method=method, data={"presence": "attended", "scope": "following",
                                                                "buddy_id": buddy.id, "reason": "x"})
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked >= 10
    assert snapshot() == before
