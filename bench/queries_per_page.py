"""Queries per page: the SQL statements of the week page stay the same whatever the data.

    .venv/bin/python -m bench.queries_per_page [--participants 10,10000] [--events 5,50]
                                               [--events-per-participant 20] [--database-url postgresql://...]

Builds the app on a temporary database through the real migrations and fills it with
`bench.generate_data` (10 participants first). Two participants of its own are added whose
week holds 5 and 50 activities of every kind (classes, work, coach, buddy with offered times,
café and training with other people, cancelled and moved ones with a phrase as the reason, notes
of phrases and own text, an interpreter, answers given and not). Each
signs in (Flask-Login's test client) and opens GET /week and the week swap (GET /week/<this
week> with HX-Request: true); every statement the engine sends is counted with SQLAlchemy's
`before_cursor_execute` event, on the second request (the first may extend recurring series).
Then the database grows to 10,000 participants and the same requests are counted again.
The week-page cache (webapp/schedule/week_cache.py) is switched off here: what is counted is
the work of rendering a week, which a repeat served from the cache skips (it sends one
statement, loading the signed-in person).

Also counted, as information without a budget: the coach's overview (/coach) with a caseload
of 5 and of 80.

Budget (DESIGN.md): a constant number of queries per page, whatever the number of events or
people. Exits 1 when the counts of the week page (or of the swap) differ, and prints the
statements that differ. See bench/README.md.
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock

from .support import StatementCounter, build_app, load_average, temporary_database


@dataclass
class Count:
    label: str
    statements: list[str]
    status: int

    @property
    def number(self) -> int:
        return len(self.statements)


def normalised(statement: str) -> str:
    """The shape of a statement: expanded IN lists and literal numbers folded, so two runs compare."""
    placeholder = r"(?:\?|%\(\w+\)s|%s|:\w+|\$\d+)(?:::[\w ]+?)?"
    statement = re.sub(rf"IN \((?:\s*{placeholder}\s*,?)+\)", "IN (...)", statement)
    statement = re.sub(r"__\[POSTCOMPILE_\w+\]", "...", statement)
    return statement


# -- the participants whose week is counted -------------------------------------------------------------

def make_subject(app, events: int, serial: int) -> int:
    """A participant with exactly `events` activities this week, of every kind and state; returns the id."""
    from sqlalchemy import select

    from webapp.accounts.models import BuddyMatch, CoachAssignment, Role, User
    from webapp.accounts.services import hash_secret
    from webapp.extensions import db
    from webapp.phrases.wording import EMPTY, PhraseUse, Wording
    from webapp.schedule.models import (
        Attendance,
        AttendanceStatus,
        DeclineReason,
        Event,
        EventKind,
        Location,
        MeetingOption,
    )
    from webapp.timeutil import IsoWeek, local_to_utc, now_utc, today_local

    from .generate_data import BENCH_PIN

    with app.app_context():
        coaches = list(db.session.scalars(select(User.id).where(User.role == Role.COACH).order_by(User.id).limit(2)))
        buddy = db.session.scalars(select(User.id).where(User.role == Role.BUDDY).order_by(User.id)).first()
        others = list(db.session.scalars(select(User.id).where(User.role == Role.PARTICIPANT, User.phone.like("+3169%"))
                                         .order_by(User.id).limit(10)))
        places = list(db.session.scalars(select(Location.id).order_by(Location.id)))
        person = User(role=Role.PARTICIPANT, display_name=f"Week Subject {serial}", locale=("ar", "ti", "nl")[serial % 3],
                      phone=f"+3168{serial:07d}", secret_hash=hash_secret(BENCH_PIN), activated_at=now_utc())
        db.session.add(person)
        db.session.flush()
        db.session.add(CoachAssignment(coach_id=coaches[0], participant_id=person.id))
        db.session.add(BuddyMatch(buddy_id=buddy, participant_id=person.id))
        kinds = list(EventKind)
        monday = IsoWeek.containing(today_local()).monday
        statuses = (AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED, AttendanceStatus.DECLINED)
        for n in range(events):
            kind = kinds[n % len(kinds)]
            day = monday + timedelta(days=n % 7)
            local_start = datetime.combine(day, clock(8 + (n // 7) % 12, 15 * (n % 4)))
            start = local_to_utc(local_start)
            by = "buddy" if kind == EventKind.BUDDY_MEETING else "coach"
            # Notes as staff write them now: phrases, and now and then own Dutch text beside them.
            note = (EMPTY, Wording.of("bring_agenda", by=by), EMPTY,
                    Wording.of(PhraseUse.of("in_room", room="2.14"), text="Neem je agenda mee.", lang="nl", by=by))[n % 4]
            event = Event(kind=kind, title=("", "Nederlands A2", "Keuken", "Evaluatie")[n % 4],
                          note=note, location_id=places[n % len(places)],
                          organiser_id=buddy if kind == EventKind.BUDDY_MEETING else coaches[n % len(coaches)],
                          interpreter_language="ti" if kind == EventKind.COACH_APPOINTMENT and n % 2 else None,
                          starts_at=start, ends_at=start + timedelta(minutes=45))
            if n % 6 == 5:
                event.cancelled_at, event.change_reason = start - timedelta(days=1), Wording.of("teacher_ill", by=by)
            if n % 7 == 6:
                event.previous_starts_at = start - timedelta(hours=2)
                event.change_reason = Wording.of(PhraseUse.of("later_start", time=local_start.strftime("%H:%M")), by=by)
            status = statuses[n % 3]
            event.attendances = [Attendance(user_id=person.id, status=status,
                                            reason=DeclineReason.SICK if status == AttendanceStatus.DECLINED else None)]
            if kind in (EventKind.CONNECTION_CAFE, EventKind.TRAINING, EventKind.LANGUAGE_CLASS):
                event.attendances += [Attendance(user_id=other, status=AttendanceStatus.INVITED) for other in others]
            if kind == EventKind.BUDDY_MEETING:
                event.attendances.append(Attendance(user_id=buddy, status=AttendanceStatus.CONFIRMED))
                event.options = [MeetingOption(starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=1),
                                               offered_by_id=buddy)]
            db.session.add(event)
        db.session.commit()
        found = db.session.scalars(
            select(Attendance).join(Attendance.event).where(
                Attendance.user_id == person.id, Event.starts_at >= IsoWeek.containing(today_local()).start_utc,
                Event.starts_at < IsoWeek.containing(today_local()).end_utc)).all()
        assert len(found) == events, f"{len(found)} events in the week, wanted {events}"
        subject_id = person.id
        db.session.remove()
    return subject_id


def make_coach(app, caseload: int, serial: int) -> int:
    """A coach with `caseload` of the generated participants (shared with their own coach)."""
    from sqlalchemy import select

    from webapp.accounts.models import CoachAssignment, Role, User
    from webapp.extensions import db

    with app.app_context():
        coach = User(role=Role.COACH, display_name=f"Bench Coach {serial}", email=f"bench-coach-{serial}@bench.example",
                     locale="nl")
        db.session.add(coach)
        db.session.flush()
        people = db.session.scalars(select(User.id).where(User.role == Role.PARTICIPANT, User.phone.like("+3169%"))
                                    .order_by(User.id).limit(caseload)).all()
        if len(people) < caseload:
            raise RuntimeError(f"only {len(people)} participants for a caseload of {caseload}")
        db.session.add_all(CoachAssignment(coach_id=coach.id, participant_id=person) for person in people)
        db.session.commit()
        coach_id = coach.id
        db.session.remove()
    return coach_id


# -- counting --------------------------------------------------------------------------------------------

def count_requests(app, counter: StatementCounter, user_id: int, requests: list[tuple[str, str, dict]]) -> list[Count]:
    """Sign in as the user, make each request once to warm up, then once more while counting."""
    from flask_login import FlaskLoginClient

    from webapp.accounts.models import User
    from webapp.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        db.session.remove()
    app.test_client_class = FlaskLoginClient
    client = app.test_client(user=user)
    counts = []
    for label, path, headers in requests:
        warm = client.get(path, headers=headers)
        if warm.status_code != 200:
            raise RuntimeError(f"{path} answered {warm.status_code}")
        with counter.record():
            response = client.get(path, headers=headers)
        counts.append(Count(label, list(counter.statements), response.status_code))
    return counts


def week_requests() -> list[tuple[str, str, dict]]:
    from webapp.timeutil import IsoWeek, today_local

    this_week = IsoWeek.containing(today_local())
    return [("GET /week", "/week", {}),
            (f"swap /week/{this_week}", f"/week/{this_week}", {"HX-Request": "true", "HX-Target": "week"})]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.queries_per_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", default="10,10000", help="database sizes, smallest first (10,10000)")
    parser.add_argument("--events", default="5,50", help="activities in the counted participants' week (5,50)")
    parser.add_argument("--caseloads", default="5,80", help="caseloads of the coaches whose /coach is counted (5,80)")
    parser.add_argument("--events-per-participant", type=float, default=20,
                        help="events per generated participant (20: 11 weeks around this one; the count does not "
                             "depend on it, only the time to generate)")
    parser.add_argument("--database-url", help="PostgreSQL URL (a temporary schema); default a temporary SQLite file")
    parser.add_argument("--show-statements", action="store_true", help="print the statements of each counted request")
    args = parser.parse_args(argv)
    try:
        args.participants = sorted(int(value) for value in args.participants.split(","))
        args.events = [int(value) for value in args.events.split(",")]
        args.caseloads = [int(value) for value in args.caseloads.split(",")]
    except ValueError:
        parser.error("--participants, --events and --caseloads take numbers separated by commas")
    if args.participants[0] < 10:
        parser.error("at least 10 participants (the café and classes of the counted weeks use ten of them)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from webapp.extensions import db

    from .generate_data import generate

    results: dict[tuple[int, int], list[Count]] = {}
    coach_results: dict[tuple[int, int], Count] = {}
    with temporary_database(args.database_url, prefix="queries-per-page") as database:
        print(f"Queries per page on {database.described}", file=sys.stderr)
        app = build_app(database, WEEK_PAGE_CACHE=False)
        with app.app_context():
            counter = StatementCounter(db.engine)
        subjects: dict[int, int] = {}
        present = 0
        for size in args.participants:
            started = time.perf_counter()
            generated = generate(app, size - present, args.events_per_participant, progress=True)
            present = size
            print(f"  {size:,} participants: {generated.events:,} events and {generated.attendances:,} attendances "
                  f"added in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            for events in args.events:
                if events not in subjects:
                    subjects[events] = make_subject(app, events, len(subjects) + 1)
                results[(size, events)] = count_requests(app, counter, subjects[events], week_requests())
            for caseload in args.caseloads:
                if caseload > size:
                    continue
                coach = make_coach(app, caseload, len(coach_results) + 1)
                coach_results[(size, caseload)] = count_requests(app, counter, coach, [("GET /coach", "/coach", {})])[0]
        counter.close()
        with app.app_context():
            db.engine.dispose()
    return report(results, coach_results, args)


def report(results: dict, coach_results: dict, args) -> int:
    labels = [count.label for count in next(iter(results.values()))]
    print()
    print(f"  {'SQL statements per request':44} " + " ".join(f"{label:>24}" for label in labels))
    for (size, events), counts in results.items():
        print(f"  {f'{size:,} participants, {events} events in the week':44} "
              + " ".join(f"{count.number:>24}" for count in counts))
    if coach_results:
        print()
        print(f"  {'coach overview (no budget)':44} {'GET /coach':>24}")
        for (size, caseload), count in coach_results.items():
            print(f"  {f'{size:,} participants, caseload of {caseload}':44} {count.number:>24}")
    print(f"  ({load_average()})")

    missed = []
    baseline_key = next(iter(results))
    baseline = results[baseline_key]
    for key, counts in results.items():
        for position, count in enumerate(counts):
            expected = baseline[position]
            if [normalised(s) for s in count.statements] == [normalised(s) for s in expected.statements]:
                continue
            missed.append((key, count, expected))
    if args.show_statements:
        shown = [(f"{size:,} participants, {events} events: {count.label}", count)
                 for (size, events), counts in results.items() for count in counts]
        shown += [(f"{size:,} participants, caseload {caseload}: {count.label}", count)
                  for (size, caseload), count in coach_results.items()]
        for title, count in shown:
            print(f"\n  {title}")
            for number, statement in enumerate(count.statements, 1):
                print(f"    {number:>2}. {normalised(statement)[:300]}")
    coach = list(coach_results.items())
    for (size, caseload), count in coach[1:]:
        (first_size, first_caseload), first = coach[0]
        if [normalised(s) for s in count.statements] != [normalised(s) for s in first.statements]:
            print(f"  note (no budget): /coach with a caseload of {caseload} at {size:,} participants sends "
                  f"{count.number} statements, {first.number} with {first_caseload} at {first_size:,}")
    for (size, events), count, expected in missed:
        print(f"BUDGET MISSED: {count.label} with {size:,} participants and {events} events: {count.number} statements, "
              f"{expected.number} with {baseline_key[0]:,} participants and {baseline_key[1]} events")
        for line in difflib.unified_diff([normalised(s) for s in expected.statements],
                                         [normalised(s) for s in count.statements], lineterm="", n=0,
                                         fromfile=f"{baseline_key[0]} participants, {baseline_key[1]} events",
                                         tofile=f"{size} participants, {events} events"):
            print("    " + line[:400])
    if not missed:
        print("OK: the week page and its swap send the same statements whatever the events and participants")
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
