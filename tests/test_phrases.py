"""The phrase book: every phrase in every language with its gaps filled, stored as keys, picked in
forms that refuse what is not in the book with a translated reason and keep what was typed."""
from __future__ import annotations

import os
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from webapp import create_app
from webapp.accounts.models import Role, User
from webapp.extensions import db
from webapp.messages.models import Message
from webapp.phrases.book import (
    GROUPS,
    INTERPRETER_LANGUAGES,
    PHRASES,
    ParamKind,
    Writer,
    phrases_for,
)
from webapp.phrases.forms import MAX_PHRASES
from webapp.phrases.wording import (
    END_ISOLATE,
    ISOLATE,
    PhraseUse,
    Wording,
    language_name,
    read,
)
from webapp.schedule.models import Attendance, Event, EventKind
from webapp.timeutil import today_local

from .conftest import BACKENDS, _own_postgresql_schema, base_config

LOCALES = ("nl", "en", "ar", "ti")
SAMPLE = {ParamKind.TIME: "14:30", ParamKind.LANGUAGE: "ti", ParamKind.ROOM: "B-2.14", ParamKind.NUMBER: "15"}
ARABIC, ETHIOPIC = re.compile("[\u0600-\u06ff]"), re.compile("[\u1200-\u137f]")


def sample_use(key: str) -> PhraseUse:
    return PhraseUse.of(key, **{param.name: SAMPLE[param.kind] for param in PHRASES[key].typed_params})


def test_the_book_has_the_phrases_a_coach_needs():
    staff = phrases_for(Writer.STAFF)
    assert len(staff) >= 40
    assert {"bring", "where", "changes", "help", "messages"} <= {phrase.group for phrase in staff}
    assert {"appointment_reminder", "appointment_moved", "bring_documents", "class_cancelled",
            "please_call_me"} <= set(PHRASES)  # the message templates, under their old keys
    assert all(phrase.group in GROUPS for phrase in PHRASES.values())


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_phrase_round_trips_in_every_language(app, key):
    stored = Wording((sample_use(key),), by="coach").to_json()
    assert "text" not in stored  # the key and its gaps, never the words
    starts_at = datetime(2026, 12, 10, 13, 30, tzinfo=UTC)  # 14:30 in Amsterdam
    texts = {}
    with app.test_request_context():
        for locale in LOCALES:
            [sentence] = read(Wording.from_json(stored), locale, starts_at).sentences
            texts[locale] = sentence
            assert "%(" not in sentence and ")s" not in sentence, (key, locale, sentence)
            for param in PHRASES[key].params:
                if param.kind == ParamKind.LANGUAGE:
                    assert language_name("ti", locale) in sentence
                elif param.kind == ParamKind.ROOM:
                    assert f"{ISOLATE}B-2.14{END_ISOLATE}" in sentence
                elif param.kind == ParamKind.WHEN:
                    assert "14:30" in sentence
                else:
                    assert SAMPLE[param.kind] in sentence
    assert ARABIC.search(texts["ar"]) and ETHIOPIC.search(texts["ti"]), texts
    if key not in ("reply_ok",):
        assert len(set(texts.values())) == 4, texts


def test_a_corrected_translation_reaches_old_notes(app, make_event, make_user):
    """What is stored is the key: the words come from the catalog when read."""
    coach = make_user(Role.COACH)
    event = make_event(EventKind.COACH_APPOINTMENT, start=datetime.combine(today_local() + timedelta(days=2), time(10)),
                       organiser=coach, note=Wording.of("bring_id_card", by="coach"))
    raw = db.session.execute(sa.text("SELECT note FROM events WHERE id = :id"), {"id": event.id}).scalar_one()
    assert "bring_id_card" in str(raw) and "ID" not in str(raw).replace("bring_id_card", "")
    assert read(event.note, "nl").sentences == [gettext_in("nl", PHRASES["bring_id_card"].text)]
    assert read(event.note, "nl").sentences != read(event.note, "en").sentences


def test_unknown_keys_are_skipped_when_read(app):
    assert read(Wording((PhraseUse("gone_since"), PhraseUse("bring_lunch"))), "en").sentences == ["Bring your lunch."]


def test_interpreter_languages_have_names_in_every_language():
    for code in INTERPRETER_LANGUAGES:
        names = {locale: language_name(code, locale) for locale in LOCALES}
        assert code not in names.values(), names


@pytest.fixture
def team(make_user, assign, make_event):
    coach = make_user(Role.COACH, display_name="Sanne de Vries", locale="nl")
    amina = make_user(Role.PARTICIPANT, display_name="Amina Haddad", locale="ar")
    yonas = make_user(Role.PARTICIPANT, display_name="Yonas Tesfay", locale="ti")
    assign(coach, amina)
    assign(coach, yonas)
    event = make_event(EventKind.COACH_APPOINTMENT, attendees=[amina, yonas], organiser=coach,
                       start=datetime.combine(today_local() + timedelta(days=3), time(14, 30)))
    return coach, amina, yonas, event


def plan_fields(people, **extra):
    return {"people": [person.id for person in people], "kind": "coach_appointment", "title": "", "location_id": "0",
            "day": (today_local() + timedelta(days=5)).isoformat(), "start": "10:00", "end": "11:00",
            "repeat": "once", "save_anyway": "y", **extra}


@pytest.mark.parametrize("fields, problem", [
    ({"note_phrases": "not_in_the_book"}, "Choose sentences from the list."),
    ({"note_phrases": "reply_ok"}, "Choose sentences from the list."),  # a participant's, not a coach's
    ({"note_phrases": [phrase.key for phrase in phrases_for(Writer.STAFF)][:MAX_PHRASES + 1]},
     f"Choose at most {MAX_PHRASES} sentences."),
    ({"note_phrases": "later_start", "note_phrases-later_start-time": "25:00"}, "Fill in a time like 14:30"),
    ({"note_phrases": "come_early", "note_phrases-come_early-minutes": "500"}, "Fill in a number from 5 to 120"),
    ({"note_phrases": "in_room", "note_phrases-in_room-room": "x" * 21}, "at most 20 characters"),
    ({"note_phrases": "interpreter_for", "note_phrases-interpreter_for-language": "xx"},
     "Choose a language from the list"),
    ({"interpreter": "klingon"}, "Choose a language from the list."),
])
def test_bad_phrases_are_a_400_that_keeps_what_was_typed(team, login_as, fields, problem):
    coach, amina, *_ = team
    coach.locale = "en"
    db.session.commit()
    before = db.session.scalar(select(sa.func.count(Event.id)))
    response = login_as(coach).post("/coach/events/new", data=plan_fields(
        [amina], title="Intake met tolk", note="Eigen tekst die blijft", **fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and problem in page
    assert "Intake met tolk" in page and "Eigen tekst die blijft" in page
    assert db.session.scalar(select(sa.func.count(Event.id))) == before


def test_bad_phrase_is_refused_in_the_readers_language(team, login_as):
    coach, *_ = team
    coach.locale = "ar"
    db.session.commit()
    response = login_as(coach).post("/coach/messages/new", data={
        "recipients": [team[1].id], "event_id": 0, "phrases": "nope", "body": ""})
    assert response.status_code == 400
    refusal = gettext_in("ar", "Choose sentences from the list.")
    assert ARABIC.search(refusal) and refusal in response.get_data(as_text=True)


def gettext_in(locale, text):
    with force_locale(locale):
        return gettext(text)


def test_typed_gaps_come_back_after_an_error(team, login_as):
    coach, amina, *_ = team
    response = login_as(coach).post("/coach/events/new", data=plan_fields(
        [amina], note_phrases=["in_room", "later_start"], **{"note_phrases-in_room-room": "Zaal 3",
                                                             "note_phrases-later_start-time": "9:5"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Zaal 3"' in page and 'value="9:5"' in page
    assert 'value="in_room" checked' in page and 'value="later_start" checked' in page


def test_phrases_and_gaps_are_stored_as_keys(team, login_as):
    coach, amina, yonas, _ = team
    response = login_as(coach).post("/coach/events/new", data=plan_fields(
        [amina, yonas], note_phrases=["bring_id_card", "in_room"], interpreter="ar",
        **{"note_phrases-in_room-room": "2.14"}))
    assert response.status_code == 303
    event = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert event.note == Wording((PhraseUse("bring_id_card"), PhraseUse.of("in_room", room="2.14")), by="coach")
    assert event.interpreter_language == "ar"
    arabic = login_as(amina).get("/week/" + _week_of(event)).get_data(as_text=True)
    assert read(event.note, "ar").sentences[0] in arabic


def _week_of(event):
    from webapp.timeutil import IsoWeek, to_local
    return str(IsoWeek.containing(to_local(event.starts_at).date()))


def test_own_text_for_other_readers_needs_a_yes_and_names_them(team, login_as):
    coach, amina, yonas, _ = team
    client = login_as(coach)
    fields = plan_fields([amina, yonas], note="Neem je paspoort mee.")
    refused = client.post("/coach/events/new", data=fields)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Amina Haddad" in page and "Yonas Tesfay" in page and "Arabisch" in page and "Tigrinya" in page
    assert "Neem je paspoort mee." in page  # kept, and shown as it will read
    saved = client.post("/coach/events/new", data=fields | {"send_as_written": "y"})
    assert saved.status_code == 303
    event = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert event.note == Wording(text="Neem je paspoort mee.", lang="nl", by="coach")


def test_the_preview_shows_each_language_and_who_gets_own_text_untranslated(team, login_as):
    coach, amina, yonas, event = team
    response = login_as(coach).post("/phrases/preview", data={
        "preview_phrases": "phrases", "preview_text": "body", "preview_readers": "recipients",
        "preview_confirm": "send_as_written", "recipients": [amina.id, yonas.id], "phrases": ["appointment_reminder"],
        "event_id": event.id, "body": "Tot dan!"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert read(Wording.of("appointment_reminder"), "ar", event.starts_at).sentences[0] in page
    assert read(Wording.of("appointment_reminder"), "ti", event.starts_at).sentences[0] in page
    assert 'lang="ar" dir="rtl"' in page and "Amina Haddad" in page and 'name="send_as_written"' in page
    # Someone outside the coach's caseload is nobody's reader.
    other = login_as(coach).post("/phrases/preview", data={
        "preview_phrases": "phrases", "preview_readers": "event", "preview_id": 999999})
    assert other.status_code == 404


def test_cancelling_needs_a_reason_that_reaches_card_push_and_calendar(team, login_as):
    coach, amina, _, event = team
    client = login_as(coach)
    refused = client.post(f"/coach/events/{event.id}/cancel", data={"cancel-reason": ""})
    assert refused.status_code == 400
    assert client.post(f"/coach/events/{event.id}/cancel", data={
        "cancel-reason_phrases": ["coach_ill", "new_time_follows"]}).status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.is_cancelled and [use.key for use in event.change_reason.phrases] == ["coach_ill", "new_time_follows"]
    arabic_reason = " ".join(read(event.change_reason, "ar").sentences)
    assert arabic_reason in login_as(amina).get("/week/" + _week_of(event)).get_data(as_text=True)
    from webapp.notify.models import Notification
    from webapp.notify.texts import render
    amina.notification_details = True
    db.session.commit()
    change = db.session.scalars(select(Notification).where(Notification.user_id == amina.id,
                                                           Notification.reason == "changed")).first()
    assert change is not None and arabic_reason in render(change)["body"]
    amina.notification_details = False
    db.session.commit()
    assert arabic_reason not in render(change)["body"]  # the lock screen stays discreet


@pytest.fixture(params=BACKENDS)
def fresh_database(request, tmp_path):
    """An empty database of its own (a file, or a PostgreSQL schema), to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steps.db'}"
    else:
        yield from _own_postgresql_schema(os.environ["TEST_DATABASE_URL"])


def test_the_migration_moves_old_text_into_wordings(fresh_database):
    """0008 turns each text field into own Dutch text with its writer's role, a template into its phrase,
    and remembers the language of what participants typed."""
    app = create_app(base_config(fresh_database))
    with app.app_context():
        upgrade(revision="0007pageversion")
        coach = User(role=Role.COACH, display_name="Sanne", locale="nl", email="s@example.org")
        amina = User(role=Role.PARTICIPANT, display_name="Amina", locale="ar", phone="+31600000001")
        db.session.add_all([coach, amina])
        db.session.commit()
        moment = "2026-12-10 10:00:00" + ("" if fresh_database.startswith("sqlite") else "+00")
        connection = db.session.connection()
        connection.execute(sa.text(
            "INSERT INTO events (id, kind, title, note, organiser_id, starts_at, ends_at, change_reason, created_at, "
            "updated_at) VALUES (1, 'coach_appointment', '', 'Neem je paspoort mee.', :coach, :at, :at, "
            "'Ik ben ziek', :at, :at)"), {"coach": coach.id, "at": moment})
        connection.execute(sa.text(
            "INSERT INTO attendances (id, event_id, user_id, status, reason, reason_text) VALUES "
            "(1, 1, :amina, 'declined', 'other', 'عندي موعد')"), {"amina": amina.id})
        connection.execute(sa.text(
            "INSERT INTO messages (id, sender_id, template_key, params, body, created_at) VALUES "
            "(1, :coach, 'please_call_me', '{}', '', :at), (2, :coach, NULL, '{}', 'Tot morgen', :at)"),
            {"coach": coach.id, "at": moment})
        db.session.commit()
        upgrade()
        db.session.expire_all()
        event = db.session.get(Event, 1)
        assert event.note == Wording(text="Neem je paspoort mee.", lang="nl", by="coach")
        assert event.change_reason == Wording(text="Ik ben ziek", lang="nl", by="coach")
        assert db.session.get(Attendance, 1).reason_text_lang == "ar"
        assert db.session.get(Message, 1).wording == Wording((PhraseUse("please_call_me"),), by="coach")
        assert db.session.get(Message, 2).wording == Wording(text="Tot morgen", lang="nl", by="coach")
        db.session.rollback()  # PostgreSQL: the reads' locks would hold up the downgrade's ALTER TABLE
        downgrade(revision="0007pageversion")
        assert db.session.execute(sa.text("SELECT note FROM events")).scalar_one() == "Neem je paspoort mee."
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_a_change_can_say_why_in_every_readers_language(team, login_as):
    coach, amina, yonas, event = team
    day = (today_local() + timedelta(days=4)).isoformat()
    response = login_as(coach).post(f"/coach/events/{event.id}/edit", data={
        "kind": "coach_appointment", "title": "", "location_id": "0", "day": day, "start": "15:00", "end": "16:00",
        "reason_phrases": "later_start", "reason_phrases-later_start-time": "15:00", "save_anyway": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    moved = db.session.get(Event, event.id)
    assert moved.is_moved and moved.change_reason == Wording((PhraseUse.of("later_start", time="15:00"),), by="coach")
    for person in (amina, yonas):
        week = login_as(person).get("/week/" + _week_of(moved)).get_data(as_text=True)
        assert read(moved.change_reason, person.locale).sentences[0] in week
