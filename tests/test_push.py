"""Reminders end to end with real parts: the planner, the outbox, and a push service that decrypts."""
from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.messages.models import MessageRecipient
from webapp.messages.services import send
from webapp.notify.keys import public_key
from webapp.notify.models import (
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    PushSubscription,
)
from webapp.notify.planner import plan_window, replan_event
from webapp.notify.sender import send_due
from webapp.phrases.wording import Wording
from webapp.schedule.models import AttendanceStatus, EventKind
from webapp.timeutil import local_to_utc, now_utc, to_local, today_local

from .conftest import TEST_PIN
from .push_service import PushService, Subscriber, verify_vapid


@pytest.fixture
def app(make_app, tmp_path):
    """This module's app accepts the local push service's http:// endpoints and keeps its VAPID key in tmp."""
    app = make_app(PUSH_ALLOW_HTTP_LOCALHOST=True, VAPID_SUBJECT="mailto:test@mijnweek.example")
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def push_app(app):
    return app


@pytest.fixture(autouse=True)
def daytime():
    """Tomorrow at 12:00 in Amsterdam, with the clock running: the planner holds reminders and
    messages in the quiet hours (21:30-07:30), so these tests must not depend on when they run."""
    noon = local_to_utc(datetime.combine(today_local() + timedelta(days=1), time(12)))
    with time_machine.travel(noon, tick=True):
        yield noon


@pytest.fixture
def service():
    with PushService() as running:
        yield running


@pytest.fixture
def amina(push_app, make_user):
    """Amina chose to see what and where on her lock screen (the discreet default is tested below)."""
    return make_user(Role.PARTICIPANT, display_name="Amina", locale="ar", notification_details=True)


def subscribe(app, person, service, name="phone") -> Subscriber:
    subscriber = Subscriber()
    response = app.test_client(user=person).post("/push/subscriptions", json=subscriber.subscription(service.endpoint(name)))
    assert response.status_code == 201, response.get_data(as_text=True)
    return subscriber


def appointment(make_event, person, hours_ahead: float, **fields):
    start = to_local(now_utc() + timedelta(hours=hours_ahead)).replace(tzinfo=None, second=0, microsecond=0)
    return make_event(EventKind.COACH_APPOINTMENT, start=start, attendees=[person], **fields)


def outbox(person=None) -> list[Notification]:
    db.session.expire_all()
    statement = select(Notification).order_by(Notification.id)
    if person is not None:
        statement = statement.where(Notification.user_id == person.id)
    return list(db.session.scalars(statement))


# --- devices ---------------------------------------------------------------------------

A_POINT = Subscriber().subscription("https://push.example/x")["keys"]["p256dh"]


@pytest.mark.parametrize("body, words", [
    ({"endpoint": "ftp://x/y", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}}, "must start with https"),
    ({"endpoint": "https://push.example/x", "keys": {"p256dh": "BAAA", "auth": "A" * 22}}, "wrong length"),
    ({"endpoint": "https://push.example/x", "keys": {"p256dh": A_POINT, "auth": "AAAA"}}, "wrong length"),
    ({"endpoint": "https://push.example/x", "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}, "not readable"),
    ({"endpoint": "https://push.example/x"}, "keys are missing"),
    ({"keys": {}}, "missing or too long"),
    ({"endpoint": "https://push.example/x", "expirationTime": "soon",
      "keys": {"p256dh": A_POINT, "auth": "A" * 22}}, "not a number"),
    ([1, 2, 3], "not a push subscription"),
])
def test_bad_subscriptions_are_a_clear_400(push_app, amina, body, words):
    response = push_app.test_client(user=amina).post("/push/subscriptions", json=body, headers={"Accept-Language": "en"})
    amina.locale = "en"
    db.session.commit()
    response = push_app.test_client(user=amina).post("/push/subscriptions", json=body)
    assert response.status_code == 400 and words in response.get_json()["error"]
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_too_large_body_is_refused(push_app, amina):
    response = push_app.test_client(user=amina).post("/push/subscriptions", data="x" * 5000,
                                                      content_type="application/json")
    assert response.status_code == 413


def test_several_devices_and_removal(push_app, amina, service):
    subscribe(push_app, amina, service, "phone")
    tablet = subscribe(push_app, amina, service, "tablet")
    assert len(db.session.scalars(select(PushSubscription)).all()) == 2
    again = push_app.test_client(user=amina).post("/push/subscriptions", json=tablet.subscription(service.endpoint("tablet")))
    assert again.status_code == 201 and len(db.session.scalars(select(PushSubscription)).all()) == 2
    client = push_app.test_client(user=amina)
    assert client.delete("/push/subscriptions", json={"endpoint": service.endpoint("tablet")}).status_code == 204
    assert client.delete("/push/subscriptions", json={"endpoint": service.endpoint("tablet")}).status_code == 404
    assert [s.endpoint for s in db.session.scalars(select(PushSubscription))] == [service.endpoint("phone")]


# --- planning --------------------------------------------------------------------------

def test_day_before_at_six_and_an_hour_before(push_app, amina, make_event):
    start = datetime.combine(today_local() + timedelta(days=2), time(14))
    event = make_event(EventKind.COACH_APPOINTMENT, start=start, attendees=[amina])
    at = local_to_utc(datetime.combine(today_local() + timedelta(days=1), time(12)))
    plan_window(at)
    plan_window(at)  # twice: nothing doubles
    db.session.commit()
    rows = {n.reason: n for n in outbox(amina)}
    assert len(outbox(amina)) == 2
    assert to_local(rows["day_before"].due_at).replace(tzinfo=None) == datetime.combine(start.date() - timedelta(days=1), time(18))
    assert rows["hour_before"].due_at == event.starts_at - timedelta(hours=1)


def test_classes_only_when_chosen(push_app, amina, make_event):
    start = datetime.combine(today_local() + timedelta(days=2), time(9))
    make_event(EventKind.LANGUAGE_CLASS, start=start, attendees=[amina])
    at = local_to_utc(datetime.combine(today_local() + timedelta(days=1), time(12)))
    plan_window(at)
    assert outbox(amina) == []
    push_app.test_client(user=amina).post("/settings/reminders", data={"kind_language_class": "y"})
    plan_window(at)
    assert {n.reason for n in outbox(amina)} == {"day_before", "hour_before"}


def test_reminder_after_the_clock_change_comes_sunday_at_six(push_app, amina, make_event):
    from webapp.notify.planner import reminder_due

    event = make_event(EventKind.COACH_APPOINTMENT, start=datetime(2026, 10, 26, 9, 0), attendees=[amina])
    assert reminder_due(event, "day_before") == datetime(2026, 10, 25, 17, 0, tzinfo=UTC)  # 18:00 CET
    assert to_local(reminder_due(event, "day_before")).hour == 18
    assert to_local(reminder_due(event, "hour_before")).hour == 8


def test_quiet_hours_hold_reminders_but_not_a_same_day_change(push_app, amina, make_event):
    from webapp.notify.planner import after_quiet_hours

    night = local_to_utc(datetime(2026, 12, 1, 23, 15))
    assert to_local(after_quiet_hours(night)) .replace(tzinfo=None) == datetime(2026, 12, 2, 7, 30)
    early = make_event(EventKind.COACH_APPOINTMENT, start=datetime(2026, 12, 2, 8, 0), attendees=[amina])
    from webapp.notify.planner import reminder_due

    assert to_local(reminder_due(early, "hour_before")).time() == time(7, 30)


def test_decline_cancel_and_move_replan(push_app, amina, make_event):
    event = appointment(make_event, amina, hours_ahead=20)
    plan_window()
    db.session.commit()
    event.attendances[0].status = AttendanceStatus.DECLINED
    replan_event(event, changed=False)
    db.session.commit()
    assert {n.status for n in outbox(amina)} == {NotificationStatus.CANCELLED}
    event.attendances[0].status = AttendanceStatus.CONFIRMED
    event.starts_at += timedelta(hours=2)
    event.ends_at += timedelta(hours=2)
    replan_event(event)
    db.session.commit()
    reasons = sorted(n.reason for n in outbox(amina) if n.status == NotificationStatus.PENDING)
    assert "changed" in reasons
    event.cancelled_at = now_utc()
    replan_event(event)
    db.session.commit()
    pending = [n for n in outbox(amina) if n.status == NotificationStatus.PENDING]
    assert [n.reason for n in pending if n.ref.endswith("x")] == ["changed"]
    assert all(n.reason == "changed" for n in pending)


# --- sending ---------------------------------------------------------------------------

def test_sent_encrypted_in_the_recipients_language_with_vapid_ttl_urgency_topic(push_app, amina, service, make_event):
    subscriber = subscribe(push_app, amina, service)
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    tally = send_due()
    assert tally.sent == 1
    request = service.received[-1]
    payload = subscriber.decrypt(request.body)
    assert payload["lang"] == "ar" and payload["dir"] == "rtl"
    assert payload["tag"] == f"n{tally.ids[0]}" and payload["url"].startswith("/week/")
    assert "Appointment" not in payload["title"] and payload["title"]
    assert len(request.body) < 3070
    claims = verify_vapid(request.headers["authorization"], public_key())
    assert claims["aud"] == f"http://127.0.0.1:{service.server.server_address[1]}"
    assert claims["sub"] == "mailto:test@mijnweek.example" and claims["exp"] > now_utc().timestamp()
    assert 0 < int(request.headers["ttl"]) <= 2700 + 60
    assert request.headers["urgency"] == "high" and request.headers["topic"] == f"n{tally.ids[0]}"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert outbox(amina)[0].status == NotificationStatus.SENT
    assert db.session.scalars(select(DeliveryAttempt)).one().status_code == 201


def test_gone_device_is_removed_and_the_person_is_unreachable(push_app, amina, service, make_event):
    subscribe(push_app, amina, service)
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    service.answer(410)
    assert send_due().unreachable == 1
    assert db.session.scalars(select(PushSubscription)).all() == []
    assert outbox(amina)[0].status == NotificationStatus.UNREACHABLE


def test_busy_push_service_is_retried_after_retry_after(push_app, amina, service, make_event):
    subscriber = subscribe(push_app, amina, service)
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    service.answer(429, Retry_After="120")
    start = now_utc()
    assert send_due(at=start).retry == 1
    notification = outbox(amina)[0]
    assert notification.status == NotificationStatus.PENDING
    assert notification.due_at == start + timedelta(seconds=120)
    assert send_due(at=start + timedelta(seconds=60)).ids == []
    service.answer(500)
    assert send_due(at=start + timedelta(seconds=121)).retry == 1
    tally = send_due(at=start + timedelta(minutes=20))
    assert tally.sent == 1 and subscriber.decrypt(service.received[-1].body)["tag"] == f"n{notification.id}"
    assert [a.status_code for a in db.session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))] == [429, 500, 201]


def test_unreachable_push_service_is_retried_not_lost(push_app, amina, make_event):
    subscriber = Subscriber()
    push_app.test_client(user=amina).post("/push/subscriptions", json=subscriber.subscription("http://127.0.0.1:9/push/x"))
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    assert send_due().retry == 1
    notification = outbox(amina)[0]
    assert notification.status == NotificationStatus.PENDING and "try again" in notification.last_error


def test_no_device_means_unreachable_and_stale_means_dropped(push_app, amina, service, make_event):
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    assert send_due().unreachable == 1
    late = appointment(make_event, amina, hours_ahead=0.9)
    subscribe(push_app, amina, service)
    plan_window()
    db.session.commit()
    assert send_due(at=late.starts_at + timedelta(minutes=1)).dropped >= 1
    assert service.received == []


def test_the_lock_screen_says_only_mijn_week_unless_chosen(push_app, amina, service, make_event, make_user, assign,
                                                          login_as):
    amina.notification_details = False
    amina.locale = "en"
    coach = make_user(Role.COACH, display_name="Sanne de Vries")
    assign(coach, amina)
    subscriber = subscribe(push_app, amina, service)
    appointment(make_event, amina, hours_ahead=0.75)
    send(coach, [amina], Wording.own("Your permit letter came", "nl"))
    plan_window()
    db.session.commit()
    assert send_due().sent == 2
    payloads = [subscriber.decrypt(request.body) for request in service.received]
    assert {payload["title"] for payload in payloads} == {"Mijn Week"}
    assert {payload["body"] for payload in payloads} == {"In one hour. Open Mijn Week to see what.",
                                                         "You have a new message."}
    text = json.dumps(payloads)
    assert "Sanne" not in text and "permit" not in text and "Appointment" not in text and "Stadhuis" not in text
    assert {payload["url"].split("/")[1] for payload in payloads} == {"week", "messages"}

    login_as(amina).post("/settings/reminders", data={"kind_coach_appointment": "y", "details": "y"})
    assert amina.notification_details is True
    send(coach, [amina], Wording.own("Call me", "nl"))
    db.session.commit()
    assert send_due().sent == 1
    assert "Sanne" in subscriber.decrypt(service.received[-1].body)["title"]


def test_message_is_pushed_and_marked_delivered(push_app, amina, service, make_user, assign):
    coach = make_user(Role.COACH, display_name="Sanne de Vries")
    assign(coach, amina)
    subscriber = subscribe(push_app, amina, service)
    push_app.test_client(user=coach).post("/coach/messages/new", data={
        "recipients": [amina.id], "phrases": "please_call_me", "event_id": 0, "body": ""})
    assert send_due().sent == 1
    payload = subscriber.decrypt(service.received[-1].body)
    assert "Sanne" in payload["title"] and payload["url"].startswith("/messages/")
    assert db.session.scalars(select(MessageRecipient)).one().delivered_at is not None


def test_test_reminder_from_settings(push_app, amina, service):
    subscriber = subscribe(push_app, amina, service)
    response = push_app.test_client(user=amina).post("/push/test")
    assert response.status_code == 303
    assert subscriber.decrypt(service.received[-1].body)["lang"] == "ar"


def test_stuck_rows_are_taken_back_after_a_crash(push_app, amina, service, make_event):
    subscribe(push_app, amina, service)
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    from webapp.notify.sender import claim

    start = now_utc()
    assert len(claim(start, 10)) == 1  # a worker claims it, then dies before sending
    assert send_due(at=start + timedelta(minutes=1)).ids == []
    assert send_due(at=start + timedelta(minutes=6)).sent == 1


def test_two_workers_on_postgresql_send_each_notification_exactly_once(push_app, service, make_user, make_event):
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("several workers share the outbox only on PostgreSQL (SQLite runs one worker)")
    people = [make_user(Role.PARTICIPANT, locale="nl") for _ in range(20)]
    for person in people:
        subscribe(push_app, person, service, f"p{person.id}")
        for hours in (0.75, 0.8, 0.85):
            appointment(make_event, person, hours_ahead=hours)
    plan_window()
    db.session.commit()
    expected = len(outbox())
    assert expected == 60

    def work():
        with push_app.app_context():
            while send_due(limit=5).ids:
                pass
            db.session.remove()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    topics = [request.headers["topic"] for request in service.received]
    assert len(topics) == expected and len(set(topics)) == expected
    assert {n.status for n in outbox()} == {NotificationStatus.SENT}


def test_a_failed_reminder_is_never_silent(push_app, amina, make_user, assign, make_event):
    coach = make_user(Role.COACH, locale="en")
    assign(coach, amina)
    amina.locale = "en"
    db.session.commit()
    overview = push_app.test_client(user=coach).get("/coach").get_data(as_text=True)
    assert "gets no reminders" in overview
    assert "Reminders do not reach your phone." in push_app.test_client(user=amina).get("/week").get_data(as_text=True)
    appointment(make_event, amina, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    send_due()
    overview = push_app.test_client(user=coach).get("/coach").get_data(as_text=True)
    assert "a reminder did not reach the phone: call" in overview


def test_one_batch_settles_each_device_and_notification_on_its_own(push_app, make_user, service, make_event):
    """Mixed answers in one batch: a gone device is removed, a busy one counted, the rest sent."""
    people = [make_user(Role.PARTICIPANT, locale=locale) for locale in ("nl", "ar", "ti")]
    subscribers = {person.id: subscribe(push_app, person, service, f"p{person.id}") for person in people}
    subscribe(push_app, people[0], service, "second-phone")
    for person in people:
        appointment(make_event, person, hours_ahead=0.75)
    plan_window()
    db.session.commit()
    # Pushes leave in parallel, so the push service answers by device rather than by arrival order.
    gone, busy = f"/push/p{people[1].id}", f"/push/p{people[2].id}"
    service.answer_for(gone, 410)
    service.answer_for(busy, 503, Retry_After="600")
    tally = send_due()
    assert (tally.sent, tally.unreachable, tally.retry) == (1, 1, 1)
    assert sorted(request.path for request in service.received) == sorted(
        [f"/push/p{people[0].id}", "/push/second-phone", gone, busy])
    first = next(request for request in service.received if request.path == f"/push/p{people[0].id}")
    assert subscribers[people[0].id].decrypt(first.body)["lang"] == "nl"
    devices = {s.endpoint.rsplit("/", 1)[1]: s for s in db.session.scalars(select(PushSubscription))}
    assert f"p{people[1].id}" not in devices
    assert devices[f"p{people[2].id}"].failures == 1 and devices[f"p{people[0].id}"].last_success_at is not None
    by_person = {n.user_id: n for n in outbox()}
    assert by_person[people[0].id].status == NotificationStatus.SENT and by_person[people[0].id].attempts == 1
    assert by_person[people[1].id].status == NotificationStatus.UNREACHABLE
    assert by_person[people[2].id].status == NotificationStatus.PENDING
    assert by_person[people[2].id].due_at > now_utc() + timedelta(seconds=590)
    assert len(db.session.scalars(select(DeliveryAttempt)).all()) == 4


def test_vapid_token_is_signed_once_per_push_service_and_renewed_within_the_hour(push_app, make_user, service,
                                                                                   monkeypatch):
    from webapp.notify import sender

    clock = [1000.0]
    monkeypatch.setattr(sender.time, "monotonic", lambda: clock[0])
    sender._vapid_headers.clear()
    endpoint = service.endpoint("a")
    first = sender._vapid_header(endpoint)
    assert sender._vapid_header(service.endpoint("b")) is first  # same push service, same token
    claims = verify_vapid(first["Authorization"], public_key())
    assert claims["exp"] - now_utc().timestamp() > 11 * 3600
    clock[0] += sender.VAPID_RESIGN_AFTER + 1
    assert sender._vapid_header(endpoint) is not first
    assert verify_vapid(sender._vapid_header("https://fcm.googleapis.com/fcm/send/x")["Authorization"],
                        public_key())["aud"] == "https://fcm.googleapis.com"


def test_send_due_command_empties_the_outbox_beyond_one_batch(push_app, make_user, service, monkeypatch):
    from webapp.notify import commands
    from webapp.notify.planner import plan_test

    monkeypatch.setattr(commands, "BATCH_SIZE", 2)
    people = [make_user(Role.PARTICIPANT, locale="en") for _ in range(5)]
    for person in people:
        subscribe(push_app, person, service, f"p{person.id}")
        plan_test(person)
    db.session.commit()
    output = push_app.test_cli_runner().invoke(args=["notify", "send-due"]).output
    assert "'sent': 5" in output
    assert len(service.received) == 5


def test_a_device_whose_key_cannot_encrypt_is_removed_not_retried_forever(push_app, amina, service):
    from webapp.notify.planner import plan_test

    subscribe(push_app, amina, service)
    device = db.session.scalars(select(PushSubscription)).one()
    device.p256dh = "B" + "A" * 86  # written before keys were checked on the way in
    plan_test(amina)
    db.session.commit()
    assert send_due().unreachable == 1
    assert service.received == [] and db.session.scalars(select(PushSubscription)).all() == []
    assert "unusable keys" in db.session.scalars(select(DeliveryAttempt)).one().error


def _afternoon_appointment(make_event, person):
    """Two days ahead at 14:00, and a planning moment the morning before: both reminders fit."""
    day = today_local() + timedelta(days=2)
    event = make_event(EventKind.COACH_APPOINTMENT, start=datetime.combine(day, time(14)), attendees=[person])
    return event, local_to_utc(datetime.combine(day - timedelta(days=1), time(10)))


def test_a_no_that_becomes_a_yes_brings_the_reminders_back(push_app, amina, make_event):
    event, at = _afternoon_appointment(make_event, amina)
    plan_window(at)
    db.session.commit()
    assert len(outbox(amina)) == 2
    event.attendances[0].status = AttendanceStatus.DECLINED
    replan_event(event, changed=False, at=at)
    db.session.commit()
    assert {n.status for n in outbox(amina)} == {NotificationStatus.CANCELLED}
    event.attendances[0].status = AttendanceStatus.CONFIRMED
    replan_event(event, changed=False, at=at)
    db.session.commit()
    assert sorted(n.reason for n in outbox(amina) if n.status == NotificationStatus.PENDING) == [
        "day_before", "hour_before"]


def test_switching_an_account_off_calls_off_its_reminders_and_on_brings_them_back(push_app, amina, make_user,
                                                                                   assign, make_event):
    coach = make_user(Role.COACH)
    assign(coach, amina)
    event, at = _afternoon_appointment(make_event, amina)
    plan_window(at)
    db.session.commit()
    assert len(outbox(amina)) == 2
    client = push_app.test_client(user=coach)
    assert client.post(f"/coach/participants/{amina.id}/deactivate").status_code == 303
    assert {n.status for n in outbox(amina)} == {NotificationStatus.CANCELLED}
    plan_window(at)
    db.session.commit()
    assert {n.status for n in outbox(amina)} == {NotificationStatus.CANCELLED}
    assert client.post(f"/coach/participants/{amina.id}/reactivate").status_code == 303
    plan_window(at)
    db.session.commit()
    assert [n.status for n in outbox(amina)] == [NotificationStatus.PENDING] * 2


def test_finished_notifications_are_forgotten_after_90_days(push_app, amina, service):
    from webapp.notify.planner import plan_test
    from webapp.notify.retention import forget_old_notifications

    subscribe(push_app, amina, service)
    long_ago = now_utc() - timedelta(days=91)
    plan_test(amina, at=long_ago)
    plan_test(amina, at=now_utc() - timedelta(days=89))
    db.session.commit()
    assert send_due().sent == 2
    assert len(db.session.scalars(select(DeliveryAttempt)).all()) == 2
    assert forget_old_notifications() == 1
    db.session.commit()
    assert [n.due_at > long_ago for n in outbox(amina)] == [True]
    assert len(db.session.scalars(select(DeliveryAttempt)).all()) == 1


def test_a_switched_off_account_gets_no_change_or_message_notifications(push_app, amina, make_user, assign,
                                                                         make_event):
    coach = make_user(Role.COACH)
    assign(coach, amina)
    event = appointment(make_event, amina, hours_ahead=3)
    coach_client = push_app.test_client(user=coach)
    assert coach_client.post(f"/coach/participants/{amina.id}/deactivate").status_code == 303
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    replan_event(event)
    coach_client.post("/coach/messages/new", data={
        "recipients": [amina.id], "phrases": "please_call_me", "event_id": 0, "body": ""})
    db.session.commit()
    assert [n for n in outbox(amina) if n.status == NotificationStatus.PENDING] == []


def test_logs_hold_no_message_bodies_pins_or_push_keys(push_app, amina, service, make_user, assign, caplog,
                                                       monkeypatch):
    import logging

    caplog.set_level(logging.DEBUG)
    # Alembic's logging setup (run by the test database's migration) turns existing loggers off.
    for name in list(logging.root.manager.loggerDict):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    amina.phone, amina.locale = "+31612000777", "en"
    db.session.commit()
    push_app.test_client().post("/login", data={"phone": "0612000777", "pin": "135792"})  # a wrong PIN
    push_app.test_client().post("/login", data={"phone": "0612000777", "pin": TEST_PIN})
    coach = make_user(Role.COACH, display_name="Sanne de Vries")
    assign(coach, amina)
    subscriber = subscribe(push_app, amina, service)
    service.answer(500)  # the worker meets a failing push service and logs it
    push_app.test_client(user=coach).post("/coach/messages/new", data={
        "recipients": [amina.id], "event_id": 0, "body": "Geheim-bericht over je brief"})
    send_due()
    send_due(at=now_utc() + timedelta(hours=1))
    assert caplog.records  # the test saw the logs it checks
    keys = subscriber.subscription(service.endpoint("phone"))["keys"]
    for secret in ("Geheim-bericht", "135792", TEST_PIN, keys["p256dh"], keys["auth"]):
        assert secret not in caplog.text, secret
