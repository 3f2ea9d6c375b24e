"""A person's own data as a page and a download; an admin erasing a participant with everything of theirs."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import JSON, Enum, String, Text, cast, func, select

from webapp.accounts.models import BuddyMatch, Role, User
from webapp.accounts.services import issue_activation_token
from webapp.audit.services import record
from webapp.calendar_feed.services import make_feed
from webapp.extensions import db
from webapp.messages.models import Message, MessageRecipient
from webapp.messages.services import send
from webapp.notify.models import Notification, PushSubscription
from webapp.notify.planner import plan_window
from webapp.phrases.wording import EMPTY, Wording
from webapp.schedule.models import (
    Attendance,
    AttendanceStatus,
    DeclineReason,
    Event,
    EventKind,
)
from webapp.schedule.planning import Plan, plan_event
from webapp.schedule.services import answer_invitation
from webapp.timeutil import local_to_utc

MONDAY = date(2026, 11, 30)
SECRETS = ("secret_hash", "session_nonce", "p256dh", '"auth"', "token_hash")


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(local_to_utc(datetime.combine(MONDAY, time(9))), tick=False):
        yield


@pytest.fixture
def world(make_user, make_event, assign):
    """Zerihun with something of every kind, and Hana, another participant who shares a class and a message."""
    coach = make_user(Role.COACH, display_name="Sanne de Vries")
    buddy = make_user(Role.BUDDY, display_name="Joost Taalmaatje")
    zerihun = make_user(Role.PARTICIPANT, display_name="Zerihun Tesfaye", phone="+31611122233", locale="ti")
    hana = make_user(Role.PARTICIPANT, display_name="Hana Berhe")
    assign(coach, zerihun)
    assign(coach, hana)
    db.session.add(BuddyMatch(buddy_id=buddy.id, participant_id=zerihun.id))
    at = lambda day, hour: datetime.combine(MONDAY + timedelta(days=day), time(hour))
    appointment = make_event(EventKind.COACH_APPOINTMENT, start=at(1, 10), attendees=[zerihun], organiser=coach,
                             title="Zerihun CV gesprek")
    answer_invitation(appointment.attendances[0], AttendanceStatus.DECLINED, DeclineReason.OTHER, "Zerihun-reden")
    meeting = make_event(EventKind.BUDDY_MEETING, start=at(2, 14), attendees=[zerihun, buddy], organiser=buddy)
    group = make_event(EventKind.LANGUAGE_CLASS, start=at(3, 9), attendees=[zerihun, hana], title="Taalles A2")
    series = plan_event(coach, Plan(kind=EventKind.WORK, title="Zerihun werkplek", note=EMPTY, location_id=None,
                                    day=MONDAY, start=time(13), end=time(17), weekdays=[0],
                                    until=MONDAY + timedelta(weeks=6)), [zerihun])
    send(coach, [zerihun], Wording.own("Zerihun-alleen bericht", "nl"))
    shared = send(coach, [zerihun, hana], Wording.own("Bericht voor iedereen", "nl"))
    send(zerihun, [coach], Wording.own("Zerihun-antwoord", "nl"))
    db.session.add(PushSubscription(user_id=zerihun.id, endpoint="https://push.example/zerihun",
                                    p256dh="BZerihunKey", auth="ZerihunAuth", user_agent="Mozilla/5.0 Chrome/130"))
    issue_activation_token(zerihun, coach)
    make_feed(zerihun)
    record(coach, zerihun, "account.created")
    db.session.commit()
    plan_window()
    db.session.commit()
    return {"coach": coach, "buddy": buddy, "zerihun": zerihun, "hana": hana, "appointment": appointment.id,
            "meeting": meeting.id, "group": group.id, "series": series.id, "shared": shared.id}


def test_the_download_holds_everything_about_me_and_no_secrets(world, login_as):
    response = login_as(world["zerihun"]).get("/settings/my-data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["name"] == "Zerihun Tesfaye" and data["account"]["phone"] == "+31611122233"
    assert [coach["name"] for coach in data["coaches"]] == ["Sanne de Vries"]
    assert [buddy["name"] for buddy in data["language_buddies"]] == ["Joost Taalmaatje"]
    titles = {item["title"] for item in data["activities"]}
    assert {"Zerihun CV gesprek", "Taalles A2", "Zerihun werkplek"} <= titles
    declined = next(item for item in data["activities"] if item["title"] == "Zerihun CV gesprek")
    assert declined["reason_text"] == "Zerihun-reden" and declined["with"] == "Sanne de Vries"
    assert {message["own_text"] for message in data["messages_received"]} == {"Zerihun-alleen bericht",
                                                                              "Bericht voor iedereen"}
    assert [message["own_text"] for message in data["messages_sent"]] == ["Zerihun-antwoord"]
    assert data["phones_with_reminders"][0]["browser"] == "Chrome"
    assert data["reminders"] and data["calendar_feed"] is not None
    assert any(change["by"] == "Sanne de Vries" for change in data["changes"])
    raw = response.get_data(as_text=True)
    assert not any(secret in raw for secret in SECRETS)
    assert "BZerihunKey" not in raw and "ZerihunAuth" not in raw and "push.example" not in raw


def test_the_page_shows_it_in_my_language_with_who_changed_it(world, login_as):
    page = login_as(world["zerihun"]).get("/settings/my-data").get_data(as_text=True)
    assert 'lang="ti"' in page
    assert "Zerihun CV gesprek" in page and "Zerihun-alleen bericht" in page and "Sanne de Vries" in page
    assert "My data" not in page  # the heading is in Tigrinya
    assert "/settings/my-data.json" in page


def test_everyone_sees_only_their_own(world, login_as):
    hana_data = json.loads(login_as(world["hana"]).get("/settings/my-data.json").get_data(as_text=True))
    assert "Zerihun" not in json.dumps(hana_data["messages_received"] + hana_data["activities"]).replace(
        "Zerihun werkplek", "")  # only what they share: the class and the message to both
    assert "Zerihun-alleen" not in json.dumps(hana_data, ensure_ascii=False)
    coach_data = json.loads(login_as(world["coach"]).get("/settings/my-data.json").get_data(as_text=True))
    assert coach_data["account"]["name"] == "Sanne de Vries" and coach_data["account"]["phone"] is None


def _rows_about(user_id: int) -> dict[str, int]:
    """Rows in any table with a column pointing at users.id that hold this id."""
    found = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(key.column.table.name == "users" for key in column.foreign_keys) or (
                    table.name == "users" and column.name == "id"):
                count = db.session.scalar(select(func.count()).select_from(table).where(column == user_id))
                if count:
                    found[f"{table.name}.{column.name}"] = count
    return found


def _texts_mentioning(*markers: str) -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Enum) or not isinstance(column.type, (String, Text, JSON)):
                continue
            text = cast(column, Text) if isinstance(column.type, JSON) else column
            for marker in markers:
                if db.session.scalar(select(func.count()).select_from(table).where(text.contains(marker))):
                    found.append(f"{table.name}.{column.name} ~ {marker}")
    return found


def test_an_admin_erases_a_participant_with_everything(world, make_user, login_as):
    admin = make_user(Role.ADMIN)
    zerihun_id = world["zerihun"].id
    assert _rows_about(zerihun_id) and _texts_mentioning("Zerihun")
    hana_before = _rows_about(world["hana"].id)
    client = login_as(admin)
    listing = client.get("/admin/participants").get_data(as_text=True)
    assert "Zerihun Tesfaye" in listing and f"/admin/participants/{zerihun_id}/erase" in listing
    assert "This cannot be undone." in client.get(f"/admin/participants/{zerihun_id}/erase").get_data(as_text=True)

    response = client.post(f"/admin/participants/{zerihun_id}/erase", data={"confirm": "yes"})
    assert response.status_code == 303
    assert "Zerihun Tesfaye and all their data are deleted." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert _rows_about(zerihun_id) == {}
    assert _texts_mentioning("Zerihun", "+31611122233") == []
    for gone in ("appointment", "meeting"):
        assert db.session.get(Event, world[gone]) is None
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.series_id == world["series"])) == 0
    group = db.session.get(Event, world["group"])
    assert [attendance.user_id for attendance in group.attendances] == [world["hana"].id]
    shared = db.session.get(Message, world["shared"])
    assert [recipient.recipient_id for recipient in shared.recipients] == [world["hana"].id]
    assert _rows_about(world["hana"].id) == {key: value for key, value in hana_before.items()}
    assert db.session.scalar(select(func.count()).select_from(User).where(User.id == world["coach"].id)) == 1


def test_erasing_needs_the_tick_and_an_admin(world, make_user, login_as):
    zerihun_id = world["zerihun"].id
    admin = make_user(Role.ADMIN)
    refused = login_as(admin).post(f"/admin/participants/{zerihun_id}/erase", data={})
    assert refused.status_code == 400 and "Tick the box" in refused.get_data(as_text=True)
    for other in (world["coach"], world["buddy"], world["hana"]):
        assert login_as(other).post(f"/admin/participants/{zerihun_id}/erase",
                                    data={"confirm": "yes"}).status_code in (403, 404)
    assert login_as(admin).get(f"/admin/participants/{world['coach'].id}/erase").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, zerihun_id) is not None
    assert db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.user_id == zerihun_id)) > 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == zerihun_id)) > 0
    assert db.session.scalar(select(func.count()).select_from(MessageRecipient)
                             .where(MessageRecipient.recipient_id == zerihun_id)) == 2
