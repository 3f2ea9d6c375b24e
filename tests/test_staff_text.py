"""Text that staff write never passes as the reader's language.

Every page a participant reaches is read in Arabic, Tigrinya and English, over the demo and with
staff's own words added (a note, a reason for a cancellation, a buddy's reason, a message). Each
piece of staff text (their own words, and every ready-made sentence as it reads in Dutch) may
appear only inside an element whose `lang` is the language it is written in.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.buddies.services import cancel as cancel_meeting
from webapp.demo.seed import seed_demo
from webapp.extensions import db
from webapp.messages.services import send
from webapp.phrases.book import PHRASES, Writer, phrases_for
from webapp.phrases.forms import GAP, phrase_label
from webapp.phrases.wording import Wording
from webapp.schedule.models import Attendance, Event, EventKind
from webapp.schedule.planning import cancel_event
from webapp.timeutil import IsoWeek, local_to_utc, today_local

from .pages import reachable_pages

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
OWN_TEXTS = {
    "note": "Kom om kwart voor twee bij de ingang van de bibliotheek.",
    "cancelled": "Het lokaal is verbouwd, dus we zien elkaar een andere keer.",
    "buddy": "Ik ben op vakantie in die week, sorry!",
    "message": "Wil je je nieuwe adres aan de balie doorgeven?",
}


class LanguageOfText(HTMLParser):
    """Each piece of text of a page with the language it is marked with (the nearest `lang`)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.pieces: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        lang = dict(attrs).get("lang") or (self.stack[-1][1] if self.stack else "")
        self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not (self.stack and self.stack[-1][0] in ("script", "style")):
            self.pieces.append((" ".join(data.split()), self.stack[-1][1] if self.stack else ""))


def dutch_sentences() -> set[str]:
    """Every staff sentence of the phrase book as it reads in Dutch, gaps left out."""
    with force_locale("nl"):
        return {part.strip() for phrase in phrases_for(Writer.STAFF)
                for part in phrase_label(phrase).split(GAP) if len(part.strip()) > 12}


@pytest.fixture
def world(app):
    demo = seed_demo()
    amina = demo.participants[0]
    coach, buddy = demo.staff[0], demo.staff[1]
    appointment = db.session.get(Event, demo.next_appointment_id)
    appointment.note = Wording.of("bring_id_card", text=OWN_TEXTS["note"], lang="nl", by="coach")
    # A class of next week cancelled with a phrase and the coach's own words.
    next_week = IsoWeek.containing(today_local()).shifted(1)
    lesson = db.session.query(Event).filter(
        Event.kind == EventKind.LANGUAGE_CLASS, Event.starts_at >= next_week.start_utc,
        Event.starts_at < next_week.end_utc).order_by(Event.starts_at).first()
    cancel_event(coach, lesson, reason=Wording.of("building_closed", text=OWN_TEXTS["cancelled"], lang="nl",
                                                  by="coach"))
    meeting = db.session.get(Event, demo.buddy_meeting_id)
    cancel_meeting(buddy, meeting, Wording.of("cannot_make_it", text=OWN_TEXTS["buddy"], lang="nl", by="buddy"))
    message = send(coach, [amina], Wording(text=OWN_TEXTS["message"], lang="nl", by="coach"))
    db.session.commit()
    return demo, amina, message, [next_week]


def participant_paths(app, demo, message, weeks) -> list[str]:
    paths = {page.path for page in reachable_pages(app, demo) if page.role == "participant"}
    paths |= {f"/week/{week}" for week in weeks} | {f"/messages/{message.id}", f"/messages/{demo.message_id}"}
    return sorted(paths)


@pytest.mark.parametrize("locale", ["ar", "ti", "en"])
def test_staff_text_is_always_marked_with_its_language(app, world, locale):
    demo, amina, message, weeks = world
    amina.locale = locale
    db.session.commit()
    client = app.test_client(user=amina)
    sentences = dutch_sentences()
    own = set(OWN_TEXTS.values())
    seen_own, problems = set(), []
    for path in participant_paths(app, demo, message, weeks):
        response = client.get(path)
        if response.status_code in (301, 302, 303, 404):
            continue
        parser = LanguageOfText()
        parser.feed(response.get_data(as_text=True))
        for text, lang in parser.pieces:
            for sentence in sentences | own:
                if sentence in text:
                    seen_own |= {sentence} & own
                    if lang != "nl":
                        problems.append(f"{path}: {sentence!r} shown as {lang!r}")
    assert not problems, "\n".join(problems)
    # The walk saw every own text, each with a label saying who wrote it and in which language.
    assert seen_own == own
    with force_locale(locale):
        label = _("Your coach wrote, in %(language)s:", language="")
    assert label.split("%")[0].strip()[:8] in client.get(f"/messages/{message.id}").get_data(as_text=True)


def test_the_demo_shows_no_dutch_staff_text_to_other_readers(app):
    """Without any own text the demo's notes, reasons and messages are all phrases."""
    demo = seed_demo()
    db.session.commit()
    sentences = dutch_sentences()
    for person in demo.participants:
        if person.locale == "nl":
            continue
        client = app.test_client(user=person)
        for path in ("/week", f"/week/{IsoWeek.containing(today_local()).shifted(1)}", "/messages"):
            page = client.get(path).get_data(as_text=True)
            assert not [sentence for sentence in sentences if sentence in page], (person.locale, path)
    notes = [event.note for event in db.session.query(Event) if event.note or event.change_reason]
    assert notes and all(not note.text for note in notes)


def test_interpreter_reaches_card_reminder_and_coach(app, world):
    demo, *_ = world
    yonas = demo.participants[1]
    appointment = db.session.query(Event).join(Attendance).filter(
        Attendance.user_id == yonas.id, Event.kind == EventKind.COACH_APPOINTMENT,
        Event.starts_at >= local_to_utc(datetime.combine(today_local(), time(0)))).order_by(Event.starts_at).first()
    assert appointment.interpreter_language == "ti"  # the demo books Yonas a Tigrinya interpreter
    week = IsoWeek.containing(appointment.starts_at.date())
    yonas.locale = "en"
    db.session.commit()
    assert "With an interpreter for Tigrinya" in app.test_client(user=yonas).get(f"/week/{week}").get_data(
        as_text=True)
    coach = demo.staff[0]
    coach.locale = "en"
    db.session.commit()
    overview = app.test_client(user=coach).get("/coach").get_data(as_text=True)
    assert "interpreter: Tigrinya" in overview
    from webapp.notify.models import Notification
    from webapp.notify.texts import render

    reminder = Notification(user_id=yonas.id, reason="day_before", ref="interpreter-test",
                            event_id=appointment.id, due_at=appointment.starts_at - timedelta(days=1))
    yonas.notification_details = True
    db.session.add(reminder)
    db.session.flush()
    assert "With an interpreter for Tigrinya" in render(reminder)["body"]
    assert PHRASES["interpreter_for"].params[0].name == "language"
