"""Messages: written once, read in each reader's language; read receipts; quick replies; badge."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select

from webapp.accounts.models import Role
from webapp.extensions import db
from webapp.messages.models import Message, MessageRecipient
from webapp.phrases.book import PHRASES
from webapp.phrases.wording import PhraseUse, Wording, read
from webapp.schedule.models import EventKind
from webapp.timeutil import today_local


@pytest.fixture
def team(make_user, assign, make_event):
    # The coach's pages are in English here so assertions can quote them; she reads answers in English too.
    coach = make_user(Role.COACH, display_name="Sanne de Vries", locale="en")
    amina = make_user(Role.PARTICIPANT, display_name="Amina", locale="ar")
    yonas = make_user(Role.PARTICIPANT, display_name="Yonas", locale="ti")
    stranger = make_user(Role.PARTICIPANT, display_name="Stranger", locale="en")
    assign(coach, amina)
    assign(coach, yonas)
    event = make_event(EventKind.COACH_APPOINTMENT, attendees=[amina, yonas], organiser=coach,
                       start=datetime.combine(today_local() + timedelta(days=3), time(14, 30)))
    return coach, amina, yonas, stranger, event


def send_template(client, recipients, event, key="appointment_reminder"):
    return client.post("/coach/messages/new", data={"recipients": [p.id for p in recipients], "phrases": key,
                                                      "event_id": event.id, "body": ""})


def render_text(key, event, locale):
    return " ".join(read(Wording((PhraseUse(key),)), locale, event.starts_at).sentences)


def test_every_message_phrase_renders_in_all_four_languages(app, team):
    *_, event = team
    for key, phrase in PHRASES.items():
        if phrase.group not in ("messages", "replies"):
            continue
        with app.test_request_context():
            texts = {locale: render_text(key, event, locale) for locale in ("nl", "en", "ar", "ti")}
        if key != "reply_ok":
            assert len(set(texts.values())) == 4, (key, texts)
        if phrase.needs_event:
            assert all("14:30" in text for text in texts.values()), texts


def test_each_reader_reads_their_own_language_and_the_coach_hers(team, login_as):
    coach, amina, yonas, _, event = team
    response = send_template(login_as(coach), [amina, yonas], event)
    assert response.status_code == 303
    message = db.session.scalars(select(Message)).one()
    assert {r.recipient_id for r in message.recipients} == {amina.id, yonas.id}
    arabic = login_as(amina).get(f"/messages/{message.id}").get_data(as_text=True)
    tigrinya = login_as(yonas).get(f"/messages/{message.id}").get_data(as_text=True)
    english = login_as(coach).get(f"/coach/messages/{message.id}").get_data(as_text=True)
    with force_locale("ar"):
        assert render_text("appointment_reminder", event, "ar").split(" ")[0] in arabic
    assert render_text("appointment_reminder", event, "ti").split(" ")[0] in tigrinya
    assert str(escape(render_text("appointment_reminder", event, "en"))) in english


def test_free_text_is_shown_as_written(team, login_as):
    coach, amina, *_ = team
    coach.locale = "nl"
    db.session.commit()
    asked = login_as(coach).post("/coach/messages/new", data={"recipients": [amina.id], "event_id": 0,
                                                               "body": "Tot morgen, Amina!"})
    assert asked.status_code == 400 and "Amina" in asked.get_data(as_text=True)  # who reads it untranslated
    login_as(coach).post("/coach/messages/new", data={"recipients": [amina.id], "event_id": 0,
                                                       "body": "Tot morgen, Amina!", "send_as_written": "y"})
    message = db.session.scalars(select(Message)).one()
    assert message.wording == Wording(text="Tot morgen, Amina!", lang="nl", by="coach")
    page = login_as(amina).get(f"/messages/{message.id}").get_data(as_text=True)
    assert '<p class="message-text" lang="nl" dir="auto">Tot morgen, Amina!</p>' in page
    with force_locale("ar"):
        assert escape(read(message.wording, "ar").label) in page  # "Your coach wrote, in Dutch:", in Arabic


def test_read_receipts_per_recipient(team, login_as):
    coach, amina, yonas, _, event = team
    send_template(login_as(coach), [amina, yonas], event)
    message = db.session.scalars(select(Message)).one()
    assert "read by 0 of 2" in login_as(coach).get("/coach/messages").get_data(as_text=True)
    login_as(amina).get(f"/messages/{message.id}")
    assert "read by 1 of 2" in login_as(coach).get("/coach/messages").get_data(as_text=True)
    receipts = {r.recipient_id: r.read_at for r in db.session.scalars(select(MessageRecipient))}
    assert receipts[amina.id] is not None and receipts[yonas.id] is None


def test_quick_reply_reaches_the_coach_in_her_language(team, login_as):
    coach, amina, _, _, event = team
    send_template(login_as(coach), [amina], event)
    message = db.session.scalars(select(Message)).one()
    response = login_as(amina).post(f"/messages/{message.id}/reply", data={"reply": "reply_late"})
    assert response.status_code == 303
    reply = db.session.scalars(select(Message).where(Message.reply_to_id == message.id)).one()
    assert reply.recipients[0].recipient_id == coach.id
    assert "1 unread message" in login_as(coach).get("/messages/badge").get_data(as_text=True)
    page = login_as(coach).get(f"/messages/{reply.id}").get_data(as_text=True)
    assert str(escape(render_text("reply_late", event, "en"))) in page
    assert "badge is-empty" in login_as(coach).get("/messages/badge").get_data(as_text=True)
    assert login_as(amina).post(f"/messages/{message.id}/reply", data={"reply": "whatever"}).status_code == 400


def test_unread_badge_is_cheap_when_nothing_changed(team, login_as):
    coach, amina, _, _, event = team
    client = login_as(amina)
    first = client.get("/messages/badge")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/messages/badge", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    send_template(login_as(coach), [amina], event)
    changed = client.get("/messages/badge", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and '<span aria-hidden="true">1</span>' in changed.get_data(as_text=True)


def test_messages_stay_private(team, login_as, make_user):
    coach, amina, yonas, stranger, event = team
    send_template(login_as(coach), [amina], event)
    message = db.session.scalars(select(Message)).one()
    assert login_as(yonas).get(f"/messages/{message.id}").status_code == 404
    assert login_as(yonas).post(f"/messages/{message.id}/reply", data={"reply": "reply_ok"}).status_code == 404
    other_coach = make_user(Role.COACH)
    assert login_as(other_coach).get(f"/coach/messages/{message.id}").status_code == 404
    response = login_as(coach).post("/coach/messages/new", data={"recipients": [stranger.id],
                                                                  "event_id": 0, "body": "hi"})
    assert response.status_code == 400
    assert db.session.scalars(select(Message)).all() == [message]


def test_template_about_an_appointment_needs_one(team, login_as):
    coach, amina, *_ = team
    response = login_as(coach).post("/coach/messages/new", data={
        "recipients": [amina.id], "phrases": "appointment_moved", "event_id": 0, "body": ""})
    assert response.status_code == 400 and "Choose the appointment" in response.get_data(as_text=True)
