"""The demo programme: one coach, five participants, a buddy, and a full week around today.

Everything is found by a natural key before it is made, so running the seed again
adds nothing twice; dated one-off items are placed relative to today's week.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..accounts.models import BuddyMatch, CoachAssignment, Role, User
from ..accounts.services import hash_secret, issue_activation_token, normalise_phone
from ..extensions import db
from ..messages.models import Message
from ..messages.services import quick_reply, send
from ..phrases.wording import EMPTY, Wording
from ..schedule.models import (
    Attendance,
    AttendanceStatus,
    DeclineReason,
    Event,
    EventKind,
    Location,
    Organisation,
    Series,
)
from ..schedule.series import create_series, expand_series, horizon
from ..timeutil import IsoWeek, local_to_utc, now_utc, today_local

DEMO_PIN = "258013"
DEMO_STAFF_PASSWORD = "mijnweek-demo-2026"

PARTICIPANTS = [
    # name, phone, locale, note for the coach
    ("Amina Haddad", "0612345001", "ar"),
    ("Yonas Tesfay", "0612345002", "ti"),
    ("Grace Mensah", "0612345003", "en"),
    ("Farid Rahimi", "0612345004", "nl"),
    ("Hiwet Gebremariam", "0612345005", "ti"),  # reads little: relies on icons and read-aloud
]
PENDING_PARTICIPANT = ("Nour Al-Khatib", "0612345006", "ar")


@dataclass
class SeedResult:
    staff: list[User]
    participants: list[User]
    pending: User
    pending_token: str
    next_appointment_id: int  # the first participant's coming appointment with the coach
    message_id: int  # a message from the coach to the first participant
    location_id: int  # the language school
    buddy_meeting_id: int  # next week's meeting of Amina and her taalmaatje


def _get_or_create(model, defaults: dict | None = None, **key):
    found = db.session.scalars(select(model).filter_by(**key)).first()
    if found is not None:
        return found
    created = model(**key, **(defaults or {}))
    db.session.add(created)
    db.session.flush()
    return created


def _staff(email: str, name: str, role: Role) -> User:
    return _get_or_create(User, {"display_name": name, "role": role, "locale": "nl",
                                 "secret_hash": hash_secret(DEMO_STAFF_PASSWORD)}, email=email)


def _participant(name: str, phone: str, locale: str, coach: User, activated: bool) -> User:
    defaults = {"display_name": name, "role": Role.PARTICIPANT, "locale": locale, "created_by_id": coach.id}
    if activated:
        defaults |= {"secret_hash": hash_secret(DEMO_PIN), "activated_at": now_utc()}
    person = _get_or_create(User, defaults, phone=normalise_phone(phone))
    _get_or_create(CoachAssignment, coach_id=coach.id, participant_id=person.id)
    return person


def _series(title: str, kind: EventKind, rule: str, first: datetime, hours: float, location: Location,
            organiser: User | None, members: list[User]) -> Series:
    existing = db.session.scalars(select(Series).filter_by(title=title, kind=kind)).first()
    if existing is None:
        return create_series(members=members, rule=rule, first_start_local=first,
                             duration=timedelta(hours=hours), kind=kind, title=title,
                             location_id=location.id, organiser_id=organiser.id if organiser else None)
    expand_series(existing, horizon())
    return existing


def _one_off(kind: EventKind, day: date, start: time, hours: float, location: Location, organiser: User,
             attendees: list[tuple[User, AttendanceStatus]], title: str = "", note: Wording = EMPTY,
             interpreter_language: str | None = None) -> Event:
    starts_at = local_to_utc(datetime.combine(day, start))
    event = db.session.scalars(
        select(Event).filter_by(kind=kind, starts_at=starts_at, organiser_id=organiser.id)
    ).first()
    if event is None:
        event = Event(kind=kind, title=title, note=note, location_id=location.id, organiser_id=organiser.id,
                      interpreter_language=interpreter_language, starts_at=starts_at,
                      ends_at=local_to_utc(datetime.combine(day, start) + timedelta(hours=hours)))
        event.attendances = [Attendance(user_id=person.id, status=status) for person, status in attendees]
        db.session.add(event)
        db.session.flush()
    else:  # a demo made before phrases existed had its notes in Dutch text
        event.note, event.interpreter_language = note, interpreter_language
    return event


def seed_demo() -> SeedResult:
    organisation = _get_or_create(Organisation, name="Gemeente Zaanstad — Duaal Traject")
    school = _get_or_create(Location, {"address": "Stationsstraat 10", "city": "Zaandam",
                                       "directions": "Ingang naast de fietsenstalling, 2e verdieping."},
                            name="Taalschool De Brug", organisation_id=organisation.id)
    restaurant = _get_or_create(Location, {"address": "Jansstraat 12", "city": "Zaandam",
                                           "directions": "Achteringang, bel aan bij de keuken."},
                                name="Restaurant De Smaak", organisation_id=organisation.id)
    cafe = _get_or_create(Location, {"address": "Westzijde 75", "city": "Zaandam"},
                          name="Buurthuis De Verbinding", organisation_id=organisation.id)
    office = _get_or_create(Location, {"address": "Stadhuisplein 100", "city": "Zaandam",
                                       "directions": "Meld je bij de balie op de begane grond."},
                            name="Stadhuis Zaandam", organisation_id=organisation.id)
    library = _get_or_create(Location, {"address": "Gedempte Gracht 40", "city": "Zaandam"},
                             name="Bibliotheek Zaanstad", organisation_id=organisation.id)

    coach = _staff("sanne@example.org", "Sanne de Vries", Role.COACH)
    buddy = _staff("joost@example.org", "Joost Bakker", Role.BUDDY)
    admin = _staff("admin@example.org", "Beheer Mijn Week", Role.ADMIN)

    people = [_participant(name, phone, locale, coach, activated=True) for name, phone, locale in PARTICIPANTS]
    pending = _participant(*PENDING_PARTICIPANT, coach, activated=False)
    amina, yonas = people[0], people[1]
    _get_or_create(BuddyMatch, buddy_id=buddy.id, participant_id=amina.id)

    this_week = IsoWeek.containing(today_local())
    start_monday = this_week.shifted(-8).monday

    def at(offset_days: int, clock: time) -> datetime:
        return datetime.combine(start_monday + timedelta(days=offset_days), clock)

    _series("Nederlands A2", EventKind.LANGUAGE_CLASS, "FREQ=WEEKLY;BYDAY=MO,WE,TH",
            at(0, time(9)), 3, school, None, people + [pending])
    _series("Keuken", EventKind.WORK, "FREQ=WEEKLY;BYDAY=TU,FR", at(1, time(10)), 5, restaurant,
            None, people)
    # Twice a month: the café evening falls on Thursday of every other week, this week included.
    _series("Connection Café", EventKind.CONNECTION_CAFE, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
            at(3, time(19)), 2, cafe, coach, people)

    monday = this_week.monday
    # A coach appointment every 3-4 weeks: one three weeks ago, one still ahead this week
    # (tomorrow, or today on a Sunday), one about four weeks later.
    upcoming = min(today_local() + timedelta(days=1), monday + timedelta(days=6))
    appointments = {}
    for index, person in enumerate(people):
        for day, status in ((upcoming - timedelta(days=21), AttendanceStatus.CONFIRMED),
                            (upcoming, AttendanceStatus.INVITED),
                            (upcoming + timedelta(days=27), AttendanceStatus.INVITED)):
            appointment = _one_off(EventKind.COACH_APPOINTMENT, day,
                                   time(14 + index % 3, 30 if index % 2 else 0), 0.5, office, coach,
                                   [(person, status)], note=Wording.of("bring_agenda", "bring_duo_letter", by="coach"),
                                   # Yonas is still learning Dutch; his coach books a Tigrinya interpreter.
                                   interpreter_language="ti" if person.locale == "ti" else None)
            appointments.setdefault(person.id, {})[day] = appointment
    # Weekly buddy meetings with Amina in the library, Saturday afternoon.
    for week_offset in (-1, 0, 1):
        buddy_meeting = _one_off(EventKind.BUDDY_MEETING, monday + timedelta(days=5 + 7 * week_offset), time(14), 1.5,
                 library, buddy, [(amina, AttendanceStatus.CONFIRMED if week_offset < 0 else AttendanceStatus.INVITED),
                                  (buddy, AttendanceStatus.CONFIRMED)],
                 note=Wording.of("meet_entrance", "bring_notebook", by="buddy"))
    _one_off(EventKind.TRAINING, monday + timedelta(days=4), time(13), 3, office, coach,
             [(yonas, AttendanceStatus.INVITED)], title="Sollicitatietraining")

    _cancel_wednesday_class(this_week)
    _answer_examples(people, this_week)
    message = _messages(coach, people, appointments, upcoming)
    token = issue_activation_token(pending, coach)
    return SeedResult(staff=[coach, buddy, admin], participants=people, pending=pending, pending_token=token,
                      next_appointment_id=appointments[amina.id][upcoming].id, message_id=message.id,
                      location_id=school.id, buddy_meeting_id=buddy_meeting.id)


def _cancel_wednesday_class(week: IsoWeek) -> None:
    wednesday_nine = local_to_utc(datetime.combine(week.monday + timedelta(days=2), time(9)))
    lesson = db.session.scalars(
        select(Event).filter_by(kind=EventKind.LANGUAGE_CLASS, starts_at=wednesday_nine)
    ).first()
    if lesson is not None:
        lesson.cancelled_at = lesson.cancelled_at or now_utc()
        # The reason, not a note (a demo made before phrases had it as a note in Dutch).
        lesson.note, lesson.change_reason = EMPTY, Wording.of("teacher_ill", by="coach")


def _answer_examples(people: list[User], week: IsoWeek) -> None:
    """A few answers already given, so the coach's overview shows something real."""
    yonas, grace = people[1], people[2]
    answers = {
        grace: (AttendanceStatus.DECLINED, DeclineReason.SICK, "I have a fever."),
        yonas: (AttendanceStatus.CONFIRMED, None, ""),
    }
    for person, (status, reason, text) in answers.items():
        attendance = db.session.scalars(
            select(Attendance).join(Attendance.event).where(
                Attendance.user_id == person.id,
                Event.kind == EventKind.COACH_APPOINTMENT,
                Event.starts_at >= week.start_utc, Event.starts_at < week.end_utc,
            )
        ).first()
        if attendance is not None and attendance.status == AttendanceStatus.INVITED:
            attendance.status, attendance.reason, attendance.reason_text = status, reason, text
            attendance.reason_text_lang = person.locale if text else ""
            attendance.responded_at = now_utc()


def _messages(coach: User, people: list[User], appointments: dict, upcoming: date) -> Message:
    """A ready-made message to each participant about their appointment, and one quick reply back."""
    first = None
    for person in people:
        event = appointments[person.id][upcoming]
        message = db.session.scalars(
            select(Message).filter_by(sender_id=coach.id, event_id=event.id, reply_to_id=None)).first()
        if message is None:
            message = send(coach, [person], Wording.of("bring_documents", by="coach"), event=event)
            if person is people[1]:
                quick_reply(person, message, "reply_ok")
        first = first or message
    return first
