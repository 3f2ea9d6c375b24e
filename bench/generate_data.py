"""Realistic data in bulk: participants with their coaches, taalmaatjes, organisations and places,
and a year of activities around this week.

    .venv/bin/python -m bench.generate_data --participants 10000 \
        --database-url postgresql://postgres@127.0.0.1:5432/test --schema bench_big
    .venv/bin/python -m bench.generate_data --participants 1000 --database-url sqlite:///instance/big.db

As a module: `generate(app_or_engine_or_url, participants, events_per_participant=100, progress=True)`
adds that many participants to whatever is there (call it again to grow the same database) and
returns a `Generated` with the counts, the time taken and the participants' phone numbers. Every
participant signs in with PIN `BENCH_PIN` (phones +3169xxxxxxx), every coach and taalmaatje
(coach-<n>-<k>@bench.example, buddy-<n>-<k>@bench.example) with `BENCH_PASSWORD`. The schema must
exist (the script runs the migrations).

Per participant, about 100 events a year (the default `--events-per-participant 100` spreads them
over 53 weeks, half before and half after this week; a smaller number shortens the span, a larger
one lengthens it):

- taalles: a class of 12 with a weekly series on three half-days (52 weeks x 3 / 12 = 13 events),
- werkplek: their own weekly series, one shift a week (52),
- an appointment with their coach every three weeks (17; caseloads of 25),
- 60 % have a taalmaatje, who has two participants and meets each every other week (16),
- Connection Café every other Thursday for 80 participants at a time, and a sollicitatietraining
  of 10 half-days for 30 at a time (both below 1 per participant, but with many attendances).

That is about 100 events and 300 attendances per participant: 1,000,000 events and 3,000,000
attendances at 10,000 participants. Past activities have answers and presence marked; about 2 %
are cancelled, each with a reason. Notes and reasons are what staff pick now (`webapp/phrases`),
stored as the JSON of a `Wording`: phrases from the book (half of the coach appointments have a
note, one in two of those with own Dutch text beside its phrases); one in four coach appointments
of a participant who reads Tigrinya has an interpreter for Tigrinya (`interpreter_language`).
Rows are written with explicit ids through SQLAlchemy Core executemany, one transaction per block of 240 participants; PostgreSQL's id sequences are moved past them, and
at the end PostgreSQL is VACUUMed and ANALYZEd (SQLite ANALYZEd).
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import random
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import Engine, create_engine, func, insert, select, text

from webapp.accounts.models import BuddyMatch, CoachAssignment, Role, User
from webapp.phrases.wording import EMPTY, PhraseUse, Wording
from webapp.schedule.models import (
    KINDS_ASKING_FOR_ANSWER,
    Attendance,
    AttendanceStatus,
    DeclineReason,
    Event,
    EventKind,
    Location,
    Organisation,
    Presence,
    Series,
    SeriesMember,
)
from webapp.timeutil import IsoWeek, local_to_utc, now_utc, today_local

from .support import ProgressBar

BENCH_PIN = "470825"
BENCH_PASSWORD = "mijnweek-bench-2026"
PHONE_PREFIX = "+3169"  # +3169 and seven digits: 10 million distinct bench participants

BLOCK = 240  # participants per transaction: 20 classes, 3 cafés, 8 training groups, ~10 coaches
CLASS_SIZE = 12
CASELOAD = 25
CAFE_SIZE = 80
TRAINING_SIZE = 30
BUDDY_SHARE = 0.6
COACH_EVERY_WEEKS = 3

# Events per participant per week of the rhythm above (used to turn events per participant into weeks).
PER_WEEK = (3 / CLASS_SIZE + 1 + 1 / COACH_EVERY_WEEKS + BUDDY_SHARE / 2 + 0.5 / CAFE_SIZE
            + 10 / TRAINING_SIZE / 52)

LOCALES = ("ar", "ti", "ar", "nl", "ti", "ar", "en", "ti", "ar", "nl")  # 40 % ar, 30 % ti, 20 % nl, 10 % en
FIRST_NAMES = {
    "ar": ("Amina", "Omar", "Fatima", "Yusuf", "Rania", "Karim", "Layla", "Samir", "Huda", "Tariq"),
    "ti": ("Yonas", "Hiwet", "Senait", "Dawit", "Meron", "Tesfay", "Selam", "Filmon", "Rahel", "Biniam"),
    "nl": ("Farid", "Nadia", "Ahmad", "Zahra", "Reza", "Leila", "Hamid", "Mariam", "Jamal", "Soraya"),
    "en": ("Grace", "Kwame", "Esther", "Daniel", "Joy", "Samuel", "Ruth", "Emmanuel", "Faith", "Isaac"),
}
LAST_NAMES = ("Haddad", "Tesfay", "Mensah", "Rahimi", "Gebremariam", "Al-Khatib", "Osman", "Kidane",
              "Nasser", "Bekele", "Hosseini", "Asante", "Yousef", "Berhane", "Karimi", "Owusu")
STAFF_NAMES = ("Sanne de Vries", "Joost Bakker", "Eva Jansen", "Mark Visser", "Lotte Smit", "Bram de Boer",
               "Iris Mulder", "Tom Bos", "Fleur Peters", "Ruben Hendriks")
WORKPLACES = (("Restaurant De Smaak", "Keuken"), ("Kringloop Zaanstreek", "Winkel"),
              ("Fietsenmakerij Op Weg", "Werkplaats"), ("Zorgcentrum De Linde", "Facilitair"),
              ("Bakkerij Het Volkoren", "Bakkerij"), ("Groen aan de Zaan", "Tuin"),
              ("Drukkerij Zaanprint", "Productie"), ("Hotel Zaandam", "Schoonmaak"))
CLASSES = (  # (title, weekdays, start, minutes)
    ("Nederlands A2", (0, 2, 3), clock(9), 180),
    ("Nederlands A1", (0, 1, 3), clock(13), 180),
    ("Nederlands B1", (1, 2, 4), clock(9), 180),
)
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Notes and reasons as staff write them now (webapp/phrases): mostly phrases from the book, now and then
# with own Dutch text sent as written. Stored as the JSON of a `Wording`.
COACH_NOTES = (
    EMPTY,
    Wording.of("bring_agenda", "bring_duo_letter", by="coach"),
    EMPTY,
    Wording.of(PhraseUse.of("in_room", room="B-2.14"), "questions_welcome", text="We bespreken je plan van aanpak.",
               lang="nl", by="coach"),
)
BUDDY_NOTE = Wording.of("bring_notebook", "questions_welcome", by="buddy")
CANCEL_REASONS = {  # why a cancelled activity is cancelled (the cancel form asks every time)
    EventKind.LANGUAGE_CLASS: Wording.of("teacher_ill", by="coach"),
    EventKind.COACH_APPOINTMENT: Wording.of("coach_ill", "new_time_follows", by="coach"),
    EventKind.BUDDY_MEETING: Wording.of("cannot_make_it", by="buddy"),
}
OTHER_CANCEL_REASON = Wording.of("building_closed", by="coach")
INTERPRETER_EVERY = 4  # one in four coach appointments of a Tigrinya reader has an interpreter for Tigrinya
INVITED, CONFIRMED, DECLINED = (AttendanceStatus.INVITED.value, AttendanceStatus.CONFIRMED.value,
                                AttendanceStatus.DECLINED.value)
ATTENDED, ABSENT = Presence.ATTENDED.value, Presence.ABSENT.value
REASONS = tuple(reason.value for reason in DeclineReason)


@dataclass
class Generated:
    participants: int = 0
    coaches: int = 0
    buddies: int = 0
    organisations: int = 0
    locations: int = 0
    series: int = 0
    events: int = 0
    attendances: int = 0
    seconds: float = 0.0
    weeks: int = 0
    first_monday: date | None = None
    participant_ids: list[int] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    coach_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        rate = (self.events + self.attendances) / self.seconds if self.seconds else 0.0
        return (f"{self.participants:,} participants, {self.coaches:,} coaches, {self.buddies:,} taalmaatjes, "
                f"{self.organisations:,} organisations, {self.locations:,} places, {self.series:,} series, "
                f"{self.events:,} events, {self.attendances:,} attendances over {self.weeks} weeks from "
                f"{self.first_monday}, in {self.seconds:.1f} s ({rate:,.0f} events+attendances/s)")


def phone_number(index: int) -> str:
    return f"{PHONE_PREFIX}{index:07d}"


def weeks_for(events_per_participant: float) -> int:
    return max(1, round(events_per_participant / PER_WEEK))


def _engine(target) -> tuple[Engine, bool]:
    """(engine, whether it is ours to dispose) for a Flask app, an Engine or a URL."""
    if isinstance(target, Engine):
        return target, False
    if isinstance(target, str):
        from webapp.config import normalise_database_url

        return create_engine(normalise_database_url(target)), True
    from webapp.extensions import db

    with target.app_context():
        return db.engine, False


@functools.lru_cache(maxsize=65536)
def _utc(day: date, at: clock, minutes_later: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, at) + timedelta(minutes=minutes_later))


class Ids:
    """Explicit primary keys, continuing after what the tables already hold."""

    def __init__(self, connection):
        self.next = {}
        for model in (User, Organisation, Location, Series, Event, Attendance, CoachAssignment, BuddyMatch):
            table = model.__table__
            self.next[table.name] = (connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()
                                     or 0) + 1

    def take(self, model, count: int = 1) -> int:
        """The first of `count` new ids."""
        name = model.__tablename__
        first = self.next[name]
        self.next[name] = first + count
        return first


EVENT_COLUMNS = ("id", "kind", "title", "note", "interpreter_language", "location_id", "organiser_id", "starts_at",
                 "ends_at", "cancelled_at", "series_id", "recurrence_at", "previous_starts_at", "change_reason",
                 "created_at", "updated_at")
ATTENDANCE_COLUMNS = ("id", "event_id", "user_id", "status", "reason", "reason_text", "reason_text_lang",
                      "responded_at", "presence", "presence_marked_at")


@functools.lru_cache(maxsize=64)
def as_json(wording: Wording) -> str:
    """A wording as its JSON column holds it (`{}` when empty), for the driver's executemany and unnest:
    the text SQLAlchemy's JSON type writes (json.dumps), as when the app saves one."""
    return json.dumps(wording.to_json())


class Block:
    """The rows of one block of participants, written in one transaction.

    The few rows of people, places and series go through `insert(table)` with dicts; the many events
    and attendances are tuples whose values are already what the driver takes (`Stamps`), written
    with the driver's executemany: SQLAlchemy's per-value type processing took more time than the
    database did.
    """

    def __init__(self):
        self.rows = {model: [] for model in (Organisation, Location, User, CoachAssignment, BuddyMatch, Series,
                                             SeriesMember)}
        self.events: list[tuple] = []
        self.attendances: list[tuple] = []

    def add(self, model, row: dict) -> None:
        self.rows[model].append(row)

    def write(self, connection) -> None:
        for model, rows in self.rows.items():
            if rows:
                connection.execute(insert(model.__table__), rows)
        for table, columns, rows in (("events", EVENT_COLUMNS, self.events),
                                     ("attendances", ATTENDANCE_COLUMNS, self.attendances)):
            if connection.dialect.name == "postgresql":
                _insert_unnest(connection, table, columns, rows)
            else:
                marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
                connection.exec_driver_sql(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})", rows)


ARRAY_TYPES = {"id": "int[]", "event_id": "int[]", "user_id": "int[]", "location_id": "int[]",
               "organiser_id": "int[]", "series_id": "int[]",
               "note": "json[]", "change_reason": "json[]"}  # sa.JSON is PostgreSQL's json (migration 0008)


def _insert_unnest(connection, table: str, columns: tuple[str, ...], rows: list[tuple], chunk: int = 25_000) -> None:
    """PostgreSQL: one INSERT ... SELECT FROM unnest(one array per column) per chunk. An executemany
    sends one statement per row (6,000 rows/s here); this sends a chunk's columns as arrays."""
    kinds = [ARRAY_TYPES.get(name, "timestamptz[]" if name.endswith("_at") else "text[]") for name in columns]
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest("
           + ", ".join(f"%s::{kind}" for kind in kinds) + ")")
    for first in range(0, len(rows), chunk):
        part = rows[first:first + chunk]
        connection.exec_driver_sql(sql, tuple(list(values) for values in zip(*part)))


class Stamps:
    """Aware UTC datetimes as the driver stores them: as they are for PostgreSQL (timestamptz), and
    as SQLAlchemy's SQLite DATETIME text (naive UTC with microseconds, so text comparisons agree)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"
        self.cache: dict[datetime, object] = {}

    def __call__(self, moment: datetime | None):
        if moment is None or not self.sqlite:
            return moment
        value = self.cache.get(moment)
        if value is None:
            d = moment.astimezone(UTC)
            value = self.cache[moment] = (f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:"
                                          f"{d.second:02d}.{d.microsecond:06d}")
        return value


class Generator:
    def __init__(self, ids: Ids, first_index: int, weeks: int, rng: random.Random, hashes: tuple[str, str],
                 dialect: str):
        self.ids, self.first_index, self.weeks, self.rng = ids, first_index, weeks, rng
        self.stamp = Stamps(dialect)
        self.pin_hash, self.password_hash = hashes  # one strong hash each, shared: hashing is slow on purpose
        self.now = now_utc()
        this_monday = IsoWeek.containing(today_local()).monday
        self.first_monday = this_monday - timedelta(weeks=weeks // 2)
        self.created_at = _utc(self.first_monday, clock(8)) - timedelta(days=30)
        self.range_end = _utc(self.first_monday + timedelta(weeks=weeks), clock(0))
        self.created = self.stamp(self.created_at)
        self.result = Generated(weeks=weeks, first_monday=self.first_monday)

    # -- people and places ------------------------------------------------------------------------

    def _user(self, block: Block, role: Role, name: str, **fields) -> int:
        user_id = self.ids.take(User)
        block.add(User, {
            "id": user_id, "role": role, "display_name": name, "locale": fields.get("locale", "nl"),
            "show_dutch_words": None, "reminder_kinds": None, "shares_phone_with_buddy": fields.get("shares", False),
            "phone": fields.get("phone"), "email": fields.get("email"),
            "secret_hash": self.pin_hash if role == Role.PARTICIPANT else self.password_hash,
            "is_enabled": True, "failed_logins": 0, "locked_until": None, "session_nonce": secrets.token_hex(8),
            "activated_at": self.created_at, "created_by_id": fields.get("created_by"), "created_at": self.created_at,
        })
        return user_id

    def _places(self, block: Block) -> dict:
        organisation_id = self.ids.take(Organisation)
        block.add(Organisation, {"id": organisation_id, "name": f"Bench-gemeente {organisation_id} — Duaal Traject"})
        self.result.organisations += 1
        street = self.rng.randrange(1, 200)

        def place(name: str, address: str, directions: str = "") -> int:
            location_id = self.ids.take(Location)
            block.add(Location, {"id": location_id, "organisation_id": organisation_id, "name": name,
                                 "address": address, "city": "Zaandam", "directions": directions})
            self.result.locations += 1
            return location_id

        return {
            "school": place("Taalschool De Brug", f"Stationsstraat {street}",
                            "Ingang naast de fietsenstalling, 2e verdieping."),
            "office": place("Stadhuis Zaandam", "Stadhuisplein 100", "Meld je bij de balie op de begane grond."),
            "cafe": place("Buurthuis De Verbinding", f"Westzijde {street}"),
            "library": place("Bibliotheek Zaanstad", "Gedempte Gracht 40"),
            "work": [(place(name, f"Jansstraat {street + n}", "Achteringang, bel aan."), title)
                     for n, (name, title) in enumerate(WORKPLACES)],
        }

    # -- activities -------------------------------------------------------------------------------

    def _series(self, block: Block, kind: EventKind, title: str, rule_days: str, first_day: date, start: clock,
                minutes: int, location_id: int, organiser_id: int | None, members: list[int], interval: int = 1) -> int:
        series_id = self.ids.take(Series)
        rule = f"FREQ=WEEKLY;BYDAY={rule_days}" + (f";INTERVAL={interval}" if interval > 1 else "")
        block.add(Series, {"id": series_id, "kind": kind, "title": title, "note": EMPTY,
                           "interpreter_language": None, "location_id": location_id,
                           "organiser_id": organiser_id, "rrule": rule,
                           "first_start_local": datetime.combine(first_day, start), "duration_minutes": minutes,
                           "expanded_until": self.range_end, "created_at": self.created_at})
        for user_id in members:
            block.add(SeriesMember, {"series_id": series_id, "user_id": user_id})
        self.result.series += 1
        return series_id

    def _event(self, block: Block, kind: EventKind, day: date, start: clock, minutes: int, location_id: int,
               organiser_id: int | None, attendees: list[int], title: str = "", note: Wording = EMPTY,
               series_id: int | None = None, cancel_share: float = 0.01, interpreter: str | None = None) -> None:
        event_id = self.ids.take(Event)
        starts_at, ends_at = _utc(day, start), _utc(day, start, minutes)
        stamp = self.stamp
        cancelled = self.rng.random() < cancel_share
        reason = CANCEL_REASONS.get(kind, OTHER_CANCEL_REASON) if cancelled else EMPTY
        begins = stamp(starts_at)
        block.events.append((
            event_id, kind.value, title, as_json(note), interpreter, location_id, organiser_id, begins, stamp(ends_at),
            stamp(starts_at - timedelta(days=1)) if cancelled else None, series_id, begins if series_id else None,
            None, as_json(reason), self.created, self.created))
        self.result.events += 1
        past = ends_at < self.now
        asks = kind in KINDS_ASKING_FOR_ANSWER and (past or starts_at < self.now + timedelta(weeks=3))
        confirmed_at, declined_at = stamp(starts_at - timedelta(days=2)), stamp(starts_at - timedelta(days=1))
        marked_at = stamp(ends_at + timedelta(hours=1)) if past and not cancelled else None
        yes, no = (0.75, 0.85) if past else (0.35, 0.45)
        first_attendance = self.ids.take(Attendance, len(attendees))
        random_ = self.rng.random
        append = block.attendances.append
        for offset, user_id in enumerate(attendees):
            status, reason, responded, presence = INVITED, None, None, None
            if asks:
                draw = random_()
                if draw < yes:
                    status, responded = CONFIRMED, confirmed_at
                elif draw < no:
                    status, responded = DECLINED, declined_at
                    reason = REASONS[int(draw * 1000) % len(REASONS)]
            if marked_at and status != DECLINED:
                draw = random_()
                presence = ATTENDED if draw < 0.88 else ABSENT if draw < 0.96 else None
            append((first_attendance + offset, event_id, user_id, status, reason, "", "", responded, presence,
                    marked_at if presence else None))
        self.result.attendances += len(attendees)

    def _weekly(self, block: Block, kind: EventKind, title: str, weekdays, start: clock, minutes: int,
                location_id: int, organiser_id: int | None, members: list[int], interval: int = 1,
                phase: int = 0, cancel_share: float = 0.01) -> None:
        """A weekly series over the whole span, with every occurrence written out (as expanded)."""
        first_week = phase % interval
        first_day = self.first_monday + timedelta(weeks=first_week, days=weekdays[0])
        series_id = self._series(block, kind, title, ",".join(RRULE_DAYS[d] for d in weekdays), first_day, start,
                                 minutes, location_id, organiser_id, members, interval)
        for week in range(first_week, self.weeks, interval):
            monday = self.first_monday + timedelta(weeks=week)
            for weekday in weekdays:
                self._event(block, kind, monday + timedelta(days=weekday), start, minutes, location_id,
                            organiser_id, members, title=title, series_id=series_id, cancel_share=cancel_share)

    # -- one block ----------------------------------------------------------------------------------

    def block(self, start: int, size: int) -> Block:
        block = Block()
        places = self._places(block)
        index = self.first_index + start
        coaches = [self._user(block, Role.COACH, STAFF_NAMES[(index // CASELOAD + k) % len(STAFF_NAMES)],
                              email=f"coach-{index}-{k}@bench.example") for k in range(math.ceil(size / CASELOAD))]
        self.result.coaches += len(coaches)
        self.result.coach_ids += coaches
        matched = [j for j in range(size) if j % 5 < 3]  # 60 %
        buddies = [self._user(block, Role.BUDDY, STAFF_NAMES[(index + k) % len(STAFF_NAMES)],
                              email=f"buddy-{index}-{k}@bench.example") for k in range(math.ceil(len(matched) / 2))]
        self.result.buddies += len(buddies)

        people = []
        for j in range(size):
            number = index + j
            locale = LOCALES[number % len(LOCALES)]
            name = f"{FIRST_NAMES[locale][number % 10]} {LAST_NAMES[(number // 10) % len(LAST_NAMES)]}"
            phone = phone_number(number)
            coach = coaches[j // CASELOAD]
            person = self._user(block, Role.PARTICIPANT, name, locale=locale, phone=phone, created_by=coach,
                                shares=j % 2 == 0)
            people.append(person)
            self.result.participant_ids.append(person)
            self.result.phones.append(phone)
            block.add(CoachAssignment, {"id": self.ids.take(CoachAssignment), "coach_id": coach,
                                        "participant_id": person, "since": self.created_at, "until": None})
        self.result.participants += size

        pairs = {}
        for position, j in enumerate(matched):
            buddy = buddies[position // 2]
            pairs[j] = (buddy, position % 2)
            block.add(BuddyMatch, {"id": self.ids.take(BuddyMatch), "buddy_id": buddy, "participant_id": people[j],
                                   "since": self.created_at, "until": None})

        # taalles: classes of 12, each a weekly series on three half-days
        class_schedule = {}
        for number, first in enumerate(range(0, size, CLASS_SIZE)):
            title, weekdays, start_at, minutes = CLASSES[(index // CLASS_SIZE + number) % len(CLASSES)]
            members = people[first:first + CLASS_SIZE]
            for j in range(first, first + len(members)):
                class_schedule[j] = (weekdays, start_at)
            self._weekly(block, EventKind.LANGUAGE_CLASS, title, weekdays, start_at, minutes, places["school"], None,
                         members, cancel_share=0.02)
        # werkplek: one shift a week, around the classes (afternoons after a morning class and the reverse)
        for j, person in enumerate(people):
            weekdays, class_start = class_schedule[j]
            free_days = [d for d in range(5) if d not in weekdays] or [0]
            day = free_days[(index + j) % len(free_days)]
            location_id, title = places["work"][(index + j) % len(places["work"])]
            self._weekly(block, EventKind.WORK, title, (day,), clock(9) if class_start.hour >= 12 else clock(13), 240,
                         location_id, None, [person])
        # coach appointments every three weeks, half an hour
        for j, person in enumerate(people):
            coach = coaches[j // CASELOAD]
            slot = (index + j) % 14
            at = clock(9 + slot // 2, 30 * (slot % 2))
            reads_tigrinya = LOCALES[(index + j) % len(LOCALES)] == "ti"
            for week in range((index + j) % COACH_EVERY_WEEKS, self.weeks, COACH_EVERY_WEEKS):
                day = self.first_monday + timedelta(weeks=week, days=(index + j) % 5)
                interpreter = "ti" if reads_tigrinya and (week // COACH_EVERY_WEEKS) % INTERPRETER_EVERY == 0 else None
                self._event(block, EventKind.COACH_APPOINTMENT, day, at, 30, places["office"], coach, [person],
                            note=COACH_NOTES[(week + j) % len(COACH_NOTES)], interpreter=interpreter)
        # taalmaatjes: every other week with each of their two participants, in the library
        for j, (buddy, turn) in pairs.items():
            for week in range(turn, self.weeks, 2):
                day = self.first_monday + timedelta(weeks=week, days=5 if turn == 0 else 2)
                self._event(block, EventKind.BUDDY_MEETING, day, clock(14) if turn == 0 else clock(18, 30), 90,
                            places["library"], buddy, [people[j], buddy],
                            note=BUDDY_NOTE)
        # Connection Café: every other Thursday evening for 80 participants at a time
        for number, first in enumerate(range(0, size, CAFE_SIZE)):
            members = people[first:first + CAFE_SIZE]
            self._weekly(block, EventKind.CONNECTION_CAFE, "Connection Café", (3,), clock(19), 120, places["cafe"],
                         coaches[first // CASELOAD], members, interval=2, phase=number)
        # sollicitatietraining: 10 half-days (Tuesday and Friday afternoons for five weeks) for 30 people
        for number, first in enumerate(range(0, size, TRAINING_SIZE)):
            members = people[first:first + TRAINING_SIZE]
            first_week = (index // TRAINING_SIZE + number) * 7 % max(1, self.weeks - 4)
            for week in range(first_week, min(first_week + 5, self.weeks)):
                for weekday in (1, 4):
                    self._event(block, EventKind.TRAINING, self.first_monday + timedelta(weeks=week, days=weekday),
                                clock(13, 30), 180, places["office"], coaches[first // CASELOAD], members,
                                title="Sollicitatietraining")
        return block


def _may_skip_foreign_key_checks(connection) -> bool:
    """PostgreSQL checks every foreign key of every row with a trigger: two thirds of the time of a
    bulk load. The rows written here are consistent by construction (explicit ids), so a superuser
    may load them with `session_replication_role = replica` (triggers off for this transaction only).
    Anyone else loads with the checks on, just slower."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(connection.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar())


def _finish(connection) -> None:
    """Sequences past the explicit ids (PostgreSQL), and fresh statistics for the planner."""
    if connection.dialect.name == "postgresql":
        for model in (User, Organisation, Location, Series, Event, Attendance, CoachAssignment, BuddyMatch):
            name = model.__tablename__
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))


def generate(target, participants: int, events_per_participant: float = 100, progress: bool = True,
             seed: int = 1) -> Generated:
    """Add `participants` participants (with coaches, taalmaatjes, places and their activities) to the
    database of `target` (a Flask app, an Engine or a URL whose schema is migrated)."""
    from webapp.accounts.services import hash_secret

    engine, own = _engine(target)
    started = time.perf_counter()
    rng = random.Random(seed)
    try:
        with engine.begin() as connection:
            ids = Ids(connection)
            first_index = connection.execute(
                select(func.count()).select_from(User).where(User.phone.like(f"{PHONE_PREFIX}%"))).scalar() or 0
            skip_checks = _may_skip_foreign_key_checks(connection)
        generator = Generator(ids, first_index, weeks_for(events_per_participant), rng,
                              (hash_secret(BENCH_PIN), hash_secret(BENCH_PASSWORD)),
                              engine.dialect.name)
        result = generator.result
        written = {"events": 0, "attendances": 0}

        def write(block: Block, size: int) -> None:
            with engine.begin() as connection:
                if skip_checks:
                    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                block.write(connection)
            written["events"] += len(block.events)
            written["attendances"] += len(block.attendances)
            bar.advance(size, extra=f"{written['events']:,} events, {written['attendances']:,} attendances")

        # One thread writes a block while this one builds the next (the driver lets go of the GIL while
        # the database works); at most two blocks wait, so memory stays small.
        with ProgressBar("generating", participants, " participants", enabled=progress) as bar, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-writer") as writer:
            pending = []
            for start in range(0, participants, BLOCK):
                size = min(BLOCK, participants - start)
                pending.append(writer.submit(write, generator.block(start, size), size))
                while len(pending) > 2:
                    pending.pop(0).result()
            for future in pending:
                future.result()
        with engine.begin() as connection:
            _finish(connection)
        with engine.connect() as connection:  # outside a transaction block
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            # PostgreSQL: VACUUM as well, or autovacuum does it on its own a minute later, in the middle
            # of whatever is being measured (and index-only scans need the visibility map).
            connection.execute(text("VACUUM (ANALYZE)" if engine.dialect.name == "postgresql" else "ANALYZE"))
    finally:
        if own:
            engine.dispose()
    result.seconds = time.perf_counter() - started
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate_data", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, required=True, help="participants to add")
    parser.add_argument("--events-per-participant", type=float, default=100,
                        help="events per participant; sets the span in weeks around this week (100: 53 weeks)")
    parser.add_argument("--database-url", help="PostgreSQL or SQLite URL (default: DATABASE_URL, else "
                        "instance/mijnweek.db); migrated to the newest schema first")
    parser.add_argument("--schema", help="PostgreSQL: use (and create if needed) this schema instead of the URL's "
                        "default; never `public`")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.participants < 1:
        parser.error("--participants must be at least 1")
    if args.schema == "public":
        parser.error("not the public schema: pick a schema of your own")

    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.config import normalise_database_url
    from webapp.extensions import db

    from .support import bench_settings, with_search_path

    settings = bench_settings(args.database_url) if args.database_url else {"REMINDER_WORKER": "off"}
    if args.schema:
        url = normalise_database_url(args.database_url or "")
        if not url.startswith("postgresql"):
            parser.error("--schema needs a PostgreSQL --database-url")
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{args.schema}"'))
        admin.dispose()
        settings["SQLALCHEMY_DATABASE_URI"] = with_search_path(url, args.schema)
    app = create_app(settings)
    with app.app_context():
        upgrade()
        db.session.remove()
        described = db.engine.url.render_as_string(hide_password=True)
    print(f"Adding {args.participants:,} participants with {args.events_per_participant:g} events each "
          f"({weeks_for(args.events_per_participant)} weeks) to {described}", file=sys.stderr)
    result = generate(app, args.participants, args.events_per_participant, progress=True, seed=args.seed)
    print(result.summary())
    print(f"participants sign in with phone {result.phones[0]} ... {result.phones[-1]} and PIN {BENCH_PIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
