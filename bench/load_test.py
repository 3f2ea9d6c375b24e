"""Load test: 50 participants and 5 coaches at once against gunicorn, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.load_test                          # both backends, 60 s each
    .venv/bin/python -m bench.load_test --seconds 10 --backends sqlite

Per backend: a fresh database (a temporary SQLite file in WAL mode, or a temporary PostgreSQL schema,
dropped afterwards) built through the real migrations and filled through the app's own services
(`create_participant`, `complete_activation`, `create_series`, `plan_event`, `send`, ...): five coaches
with ten participants each, Dutch classes and work shifts as weekly series, Connection Café every
other Thursday, coach appointments that ask for an answer, and a message from each coach. Then
gunicorn (`bench.wsgi_bench:app`, 2 workers x 4 threads, gthread) and the reminder worker
(`flask notify worker`) beside it, as in production.

Every participant and coach is a thread with its own keep-alive connection and cookies (spread over
two client processes), signed in through the real forms, and loops with 0-200 ms of think time after
each request (`--think-ms`):

- participant: GET /week, one to three swaps to the next or previous week (`HX-Request: true`, what
  the arrows do; one round in ten clicks "next" 8 to 12 times, past the 8-week horizon up to which
  weekly series are expanded, so opening those weeks expands them), answer an invitation seen on those weeks (POST /events/<id>/answer with the form's
  CSRF token, as htmx sends it), alternating "I'll come" and "I can't come" with a reason; the inbox,
  every other time a message, and now and then a one-tap reply.
- coach: /coach, /coach/answers, a participant's page, then plans an appointment for that participant
  through the planning form (the inline overlap check first, another time when it overlaps, "save
  anyway" after three tries), every other time changes an appointment of theirs (the note, or half
  an hour later) and writes a message. Notes and messages are what staff write now: mostly phrases
  from the phrase book (`note_phrases`, `phrases`, a gap as `note_phrases-<key>-<gap>`), now and
  then with own Dutch text and "Send my own text as written" (`send_as_written=y`, without which
  own text for someone who reads another language is refused); now and then an interpreter.

Any answer other than the one the browser expects (200 for pages and htmx swaps, 303 after a form)
is an error, as is a refused connection or a time-out; the first ones are printed with the URL and
status, and the server's log is shown. Afterwards the database is checked: every appointment and
message the coaches saved is there. Exits 1 on any error. See bench/README.md.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from .generate_data import (
    BENCH_PASSWORD,
    BENCH_PIN,
    CLASSES,
    FIRST_NAMES,
    LAST_NAMES,
    LOCALES,
    STAFF_NAMES,
    WORKPLACES,
)
from .support import (
    BROWSER_ENCODINGS,
    DEFAULT_POSTGRESQL,
    ROOT,
    Client,
    build_app,
    cpu_seconds,
    csrf_token_in,
    gunicorn,
    load_average,
    sign_in_participant,
    stop_process,
    temporary_database,
    worker_pids,
)

THINK_SECONDS = 0.2  # after each request a person waits uniformly 0..THINK_SECONDS (--think-ms)
WEEKS_BACK, WEEKS_AHEAD = 3, 12  # how far a participant wanders from this week
FAR_AHEAD = 0.1  # share of rounds that click "next" 8-12 times: past the 8-week horizon of the series
PARTICIPANT_KINDS = ("week", "swap", "answer", "inbox", "read", "reply")
COACH_KINDS = ("coach page", "overlaps", "plan", "edit", "message")
KINDS = PARTICIPANT_KINDS + COACH_KINDS
PROBLEMS_KEPT = 12  # error samples each client process sends back
PHONE_HEADERS = {"Accept-Encoding": BROWSER_ENCODINGS, "Accept": "text/html",
                 "User-Agent": "Mozilla/5.0 (Linux; Android 14) Mijn Week load test"}


# -- the programme: five coaches, their caseloads, a few weeks of activities ------------------------------

@dataclass
class Person:
    role: str  # "participant" or "coach"
    login: str  # phone or e-mail
    secret: str  # PIN or password


@dataclass
class Programme:
    participants: list[Person]
    coaches: list[Person]
    events: int
    attendances: int
    seconds: float


# Work shifts that fit around each class of CLASSES: (weekdays, start hour).
SHIFTS = (((1, 4), 9), ((2, 4), 9), ((0, 3), 13))
RULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
OFFICE = "Stadhuis Zaandam"  # where coach appointments are
APPOINTMENT_STARTS = [clock(hour, minute) for hour in range(9, 17) for minute in (0, 30)]


def build_programme(app, participants: int, coaches: int) -> Programme:
    """The people and their weeks, made through the app's services as a coach and an admin would."""
    from sqlalchemy import func, select

    from webapp.accounts.models import Role, User
    from webapp.accounts.services import (
        complete_activation,
        create_participant,
        create_staff,
        find_usable_activation,
        issue_activation_token,
    )
    from webapp.extensions import db
    from webapp.messages.services import quick_reply, send
    from webapp.phrases.wording import Wording
    from webapp.schedule.models import (
        Attendance,
        AttendanceStatus,
        Event,
        EventKind,
        Location,
        Organisation,
        Presence,
    )
    from webapp.schedule.planning import Plan, find_overlaps, plan_event
    from webapp.schedule.series import create_series
    from webapp.schedule.services import answer_invitation, mark_presence
    from webapp.timeutil import IsoWeek, local_to_utc, today_local

    started = time.perf_counter()
    rng = random.Random(2026)
    with app.app_context():
        organisation = Organisation(name="Gemeente Zaanstad — Duaal Traject")
        db.session.add(organisation)
        db.session.flush()

        def place(name: str, address: str) -> Location:
            location = Location(name=name, address=address, city="Zaandam", organisation_id=organisation.id)
            db.session.add(location)
            return location

        school = place("Taalschool De Brug", "Stationsstraat 10")
        office = place(OFFICE, "Stadhuisplein 100")
        cafe = place("Buurthuis De Verbinding", "Westzijde 75")
        workplaces = [place(name, f"Industrieweg {number}") for number, (name, _team) in enumerate(WORKPLACES, 1)]
        admin = User(role=Role.ADMIN, display_name="Beheer Mijn Week", email="admin@load.example", locale="nl")
        db.session.add(admin)
        db.session.flush()

        def free_plan(location_id: int, day: date, person: User) -> Plan:
            """A 30-minute appointment on `day` (or the next weekday) at a time free in the person's week."""
            while day.weekday() >= 5:
                day += timedelta(days=1)
            for start in rng.sample(APPOINTMENT_STARTS, len(APPOINTMENT_STARTS)):
                plan = Plan(kind=EventKind.COACH_APPOINTMENT, title="", note=Wording.of("bring_agenda", by="coach"),
                            location_id=location_id, day=day, start=start,
                            end=(datetime.combine(day, start) + timedelta(minutes=30)).time())
                if not find_overlaps(plan, [person]):
                    break
            return plan

        def activate(person: User, secret: str, issued_by: User) -> None:
            """What the person does with the link: choose a PIN or password."""
            complete_activation(find_usable_activation(issue_activation_token(person, issued_by)), secret,
                                person.locale)

        staff, people, caseloads = [], [], {}
        for number in range(coaches):
            email = f"coach-{number + 1}@load.example"
            coach = create_staff(admin, STAFF_NAMES[number % len(STAFF_NAMES)], email, Role.COACH, "nl")
            activate(coach, BENCH_PASSWORD, admin)
            staff.append(coach)
            caseloads[coach.id] = []
        for number in range(participants):
            locale = LOCALES[number % len(LOCALES)]
            coach = staff[number % coaches]
            name = f"{FIRST_NAMES[locale][number % 10]} {LAST_NAMES[number % len(LAST_NAMES)]}"
            person = create_participant(coach, name, f"+3168{number + 1:07d}", locale)
            activate(person, BENCH_PIN, coach)
            people.append(person)
            caseloads[coach.id].append(person)

        # Series start four weeks back, so the previous weeks are filled; they reach the 8-week horizon.
        this_monday = IsoWeek.containing(today_local()).monday
        first_monday = this_monday - timedelta(weeks=4)
        groups = [people[start::len(CLASSES)] for start in range(len(CLASSES))]
        for (title, weekdays, start, minutes), group in zip(CLASSES, groups, strict=True):
            if group:
                create_series(members=group, rule=f"FREQ=WEEKLY;BYDAY={','.join(RULE_DAYS[d] for d in weekdays)}",
                              first_start_local=datetime.combine(first_monday, start),
                              duration=timedelta(minutes=minutes), kind=EventKind.LANGUAGE_CLASS, title=title,
                              location_id=school.id)
        for index, person in enumerate(people):
            weekdays, hour = SHIFTS[index % len(CLASSES)]
            workplace = workplaces[index % len(workplaces)]
            create_series(members=[person], rule=f"FREQ=WEEKLY;BYDAY={','.join(RULE_DAYS[d] for d in weekdays)}",
                          first_start_local=datetime.combine(first_monday, clock(hour)), duration=timedelta(hours=4),
                          kind=EventKind.WORK, title=WORKPLACES[index % len(WORKPLACES)][1],
                          location_id=workplace.id)
        create_series(members=people, rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
                      first_start_local=datetime.combine(first_monday + timedelta(days=3), clock(19)),
                      duration=timedelta(hours=2), kind=EventKind.CONNECTION_CAFE, title="Connection Café",
                      location_id=cafe.id, organiser_id=staff[0].id)

        # Coach appointments (30 minutes, at a free time): two weeks ago (came), and three coming ones.
        tomorrow = today_local() + timedelta(days=1)
        for coach in staff:
            for person in caseloads[coach.id]:
                upcoming = []
                for day in (tomorrow - timedelta(days=15), tomorrow + timedelta(days=rng.randrange(4)),
                            tomorrow + timedelta(days=14 + rng.randrange(4)), tomorrow + timedelta(days=28)):
                    plan = free_plan(office.id, day, person)
                    event = plan_event(coach, plan, [person])
                    (attendance,) = event.attendances
                    if day < tomorrow:
                        answer_invitation(attendance, AttendanceStatus.CONFIRMED,
                                          at=local_to_utc(datetime.combine(day - timedelta(days=3), clock(12))))
                        mark_presence(attendance, Presence.ATTENDED, coach)
                    else:
                        upcoming.append(event)
                message = send(coach, [person], Wording.of("bring_documents", by="coach"), event=upcoming[0])
                if person.id % 2:
                    quick_reply(person, message, "reply_ok")
        db.session.commit()
        events = db.session.scalar(select(func.count()).select_from(Event))
        attendances = db.session.scalar(select(func.count()).select_from(Attendance))
        participants_out = [Person("participant", person.phone, BENCH_PIN) for person in people]
        coaches_out = [Person("coach", coach.email, BENCH_PASSWORD) for coach in staff]
        db.session.remove()
        db.engine.dispose()  # gunicorn's workers open their own connections
    return Programme(participants_out, coaches_out, events, attendances, time.perf_counter() - started)





# -- forms as a browser submits them ----------------------------------------------------------------------

@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # what a submit sends, in order
    options: dict[str, dict[str, str]] = field(default_factory=dict)  # each <select>'s label -> value

    def with_values(self, values: dict | None = None, **more) -> list[tuple[str, str]]:
        """The fields with some values replaced (or added when the form has no such field). A list or
        tuple is a group of checkboxes: those ticked before are unticked, and these ticked (at the end)."""
        values = (values or {}) | more
        ticked = {name: list(value) for name, value in values.items() if isinstance(value, list | tuple)}
        single = {name: value for name, value in values.items() if name not in ticked}
        sent = [(name, str(single[name]) if name in single else value) for name, value in self.fields
                if name not in ticked]
        present = {name for name, _value in self.fields}
        return (sent + [(name, str(value)) for name, value in single.items() if name not in present]
                + [(name, str(value)) for name, chosen in ticked.items() for value in chosen])


class _FormReader(HTMLParser):
    """The forms of a page with the values a browser would send: inputs (checked boxes only),
    each select's chosen option (else its first), textareas; buttons are left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, values, selected
        self.labels: list[str] = []  # of the select's options
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.form = Form(attributes.get("action") or "")
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input":
            kind = (attributes.get("type") or "text").lower()
            name = attributes.get("name")
            if not name or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.form.fields.append((name, attributes.get("value") or ("on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select":
            self.select = (attributes.get("name") or "", [], [])
            self.labels = []
        elif tag == "option" and self.select is not None:
            value = attributes.get("value") or ""
            self.select[1].append(value)
            self.labels.append("")
            if "selected" in attributes:
                self.select[2].append(value)
        elif tag == "textarea":
            self.textarea = (attributes.get("name") or "", [])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)
        elif self.select is not None and self.labels:
            self.labels[-1] += data.strip()

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, values, selected = self.select
            self.form.options[name] = dict(zip(self.labels, values, strict=True))
            if values:
                self.form.fields.append((name, (selected or values)[0]))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            name, text = self.textarea
            # A browser drops the line break right after <textarea> (WTForms writes "\r\n" there).
            self.form.fields.append((name, "".join(text).removeprefix("\r\n").removeprefix("\n")))
            self.textarea = None


def form_in(html: str, action: str) -> Form:
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if form.action == action:
            return form
    raise LookupError(f"no form posting to {action}")


# What coaches pick in the planning form (`note_phrases`, each gap `note_phrases-<key>-<gap>`) and in the
# message form (`phrases`): mostly phrases; own Dutch text now and then, sent as written.
PLAN_NOTES = (
    {"note_phrases": ["bring_letters"]},
    {"note_phrases": ["bring_id_card", "go_reception"]},
    {"note_phrases": ["in_room", "come_early"], "note_phrases-in_room-room": "2.14",
     "note_phrases-come_early-minutes": "10"},
    {"note_phrases": ["bring_letters"], "note": "Neem je brief van de gemeente mee.", "send_as_written": "y"},
)
CHANGED_NOTES = (
    {"note_phrases": ["bring_agenda"], "note": ""},
    {"note_phrases": ["meeting_online"], "note": ""},
    {"note_phrases": ["questions_welcome"], "note": "We bellen eerst even.", "send_as_written": "y"},
)
MESSAGES = (
    {"phrases": ["please_call_me"], "body": ""},
    {"phrases": ["questions_welcome", "please_call_me"], "body": ""},
    {"phrases": ["bring_letters", "message_if_late"], "body": ""},
    {"phrases": [], "body": ("Hoe gaat het op je werk?", "Goed gedaan deze week!", "Denk je aan je afspraak?"),
     "send_as_written": "y"},
)
INTERPRETER_SHARE = 0.2  # plans with an interpreter (for Arabic)
DECLINE_REASONS = ("sick", "child_ill", "doctor", "authority", "no_transport", "work", "forgot", "other")

ANSWER_FORM = re.compile(r'action="/events/(\d+)/answer"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
WEEK_LINK = re.compile(r'rel="(prev|next)" href="([^"]+)"')
MESSAGE_LINK = re.compile(r'href="/messages/(\d+)"')
CASELOAD_LINK = re.compile(r'href="/coach/participants/(\d+)"')
OPEN_APPOINTMENT = re.compile(r'<article class="card kind-coach_appointment" id="event-(\d+)"')
ALERT = re.compile(r'(?:role="alert"|class="notice[^"]*")[^>]*>(.*?)</', re.DOTALL)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


# -- one person's browser ---------------------------------------------------------------------------------

class Stop(Exception):
    """The measured time is over."""


class Failed(Exception):
    """A request went wrong (it is recorded); this round of the person's loop is given up."""


def gist(reply) -> str:
    """What an unexpected answer says: a form's alert, or an error page's title."""
    try:
        html = reply.text()
    except Exception:  # noqa: BLE001 - a body we cannot read says nothing more
        return ""
    alerts, titles = list(ALERT.finditer(html)), list(TITLE.finditer(html))
    for found in (titles + alerts if reply.status >= 500 else alerts + titles):
        words = " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())
        if words:
            return words[:140]
    return " ".join(html[:80].split())


class Browser:
    """One person's phone or office computer: a keep-alive connection with cookies, a clock that stops
    the loop, think time, and a record of every request as (kind, seconds, ok)."""

    def __init__(self, port: int, rng: random.Random, think_seconds: float = THINK_SECONDS):
        self.port, self.rng, self.think_seconds = port, rng, think_seconds
        self.client = Client("127.0.0.1", port, headers=PHONE_HEADERS)
        self.stop_at = float("inf")
        self.records: list[tuple[str, float, bool]] = []
        self.problems: list[str] = []
        self.errors = 0
        self.current = "/"

    def request(self, kind: str, method: str, path: str, data=None, hx: str | None = None, expect=(200,)):
        if time.perf_counter() >= self.stop_at:
            raise Stop
        headers = {}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            token = dict(data).get("csrf_token")
            if token and hx:
                headers["X-CSRFToken"] = token  # htmx adds it from <body data-hx-headers>
        if hx:
            headers |= {"HX-Request": "true", "HX-Target": hx,
                        "HX-Current-URL": f"http://127.0.0.1:{self.port}{self.current}"}
        began = time.perf_counter()
        try:
            reply = self.client.request(method, path, body=body, headers=headers)
        except Exception as error:  # noqa: BLE001 - refused, reset, timed out: an error like a 500
            self.client.connection.close()  # the next request opens a new connection
            elapsed = time.perf_counter() - began
            self._record(kind, elapsed, f"{method} {path} ({kind}) after {elapsed:.2f} s: {error!r}")
            raise Failed from None
        elapsed = time.perf_counter() - began
        if reply.status not in expect:
            self._record(kind, elapsed, f"{method} {path} ({kind}) -> {reply.status} after {elapsed:.2f} s, "
                                        f"expected {'/'.join(map(str, expect))}: {gist(reply)}")
            raise Failed
        self._record(kind, elapsed)
        if method == "GET" and not hx:
            self.current = path
        self.think()
        return reply

    def _record(self, kind: str, seconds: float, problem: str | None = None) -> None:
        self.records.append((kind, seconds, problem is None))
        if problem:
            self.errors += 1
            if len(self.problems) < PROBLEMS_KEPT:
                self.problems.append(problem)

    def fault(self, problem: str) -> None:
        """The last request answered with the expected status but not with what the page needs."""
        kind, seconds, _ok = self.records[-1]
        self.records[-1] = (kind, seconds, False)
        self.errors += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(problem)

    def get(self, kind: str, path: str, hx: str | None = None):
        return self.request(kind, "GET", path, hx=hx)

    def post(self, kind: str, path: str, data, hx: str | None = None, expect=(303,)):
        return self.request(kind, "POST", path, data=data, hx=hx, expect=expect)

    def follow(self, kind: str, reply):
        """Where a form sent the browser (a 303's Location)."""
        target = urlsplit(reply.headers.get("Location", ""))
        return self.get(kind, target.path + (f"?{target.query}" if target.query else ""))

    def think(self) -> None:
        pause = self.rng.uniform(0, self.think_seconds)
        if time.perf_counter() + pause < self.stop_at:
            time.sleep(pause)


def sign_in_staff(client: Client, email: str, password: str) -> None:
    """The staff sign-in form: e-mail and password, with the form's CSRF token."""
    form = client.get("/login/staff", headers={"Accept-Encoding": "identity"})
    body = urlencode({"csrf_token": csrf_token_in(form.text()), "email": email, "password": password})
    reply = client.request("POST", "/login/staff", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept-Encoding": "identity"})
    if reply.status not in (302, 303):
        raise RuntimeError(f"signing in {email} answered {reply.status}, not a redirect to /coach")


class Participant(Browser):
    """The week, a few weeks back and forth, an answer, the messages."""

    def __init__(self, port: int, rng: random.Random, think_seconds: float = THINK_SECONDS):
        super().__init__(port, rng, think_seconds)
        self.next_answer_yes = rng.random() < 0.5

    def round(self) -> None:
        page = self.get("week", "/week").text()
        invitations = self.invitations_in(page)
        offset = 0
        far = self.rng.random() < FAR_AHEAD  # looking for a date two or three months ahead
        for _ in range(self.rng.randint(8, WEEKS_AHEAD) if far else self.rng.randint(1, 3)):
            direction = "next" if far else self.rng.choice(("next", "next", "prev"))
            if offset <= -WEEKS_BACK:
                direction = "next"
            elif offset >= WEEKS_AHEAD:
                direction = "prev"
            link = {rel: href for rel, href in WEEK_LINK.findall(page)}[direction]
            page = self.get("swap", link, hx="week").text()
            if "<html" in page:
                self.fault(f"GET {link} (swap) with HX-Request: the whole page, not the week")
            offset += 1 if direction == "next" else -1
            invitations |= self.invitations_in(page)
        if invitations:
            event_id, token = self.rng.choice(sorted(invitations.items()))
            self.answer(event_id, token)
        inbox = self.get("inbox", "/messages").text()
        ids = MESSAGE_LINK.findall(inbox)
        if ids and self.rng.random() < 0.5:
            message_id = self.rng.choice(ids)
            read = self.get("read", f"/messages/{message_id}").text()
            if self.rng.random() < 0.25:
                form = form_in(read, f"/messages/{message_id}/reply")
                sent = self.post("reply", form.action, form.with_values(reply=self.rng.choice(
                    ("reply_ok", "reply_late", "reply_call_me"))))
                self.follow("read", sent)

    @staticmethod
    def invitations_in(html: str) -> dict[int, str]:
        """Event id -> CSRF token of each invitation on the page that can still be answered."""
        token = CSRF_FIELD.search(html)
        return {int(event_id): token.group(1) for event_id in ANSWER_FORM.findall(html)} if token else {}

    def answer(self, event_id: int, token: str) -> None:
        """One tap on "I'll come", or "I can't come" with a reason, as htmx posts the card's form."""
        if self.next_answer_yes:
            data = [("csrf_token", token), ("answer", "confirmed")]
        else:
            data = [("csrf_token", token), ("answer", "declined"), ("reason", self.rng.choice(DECLINE_REASONS)),
                    ("reason_text", self.rng.choice(("", "Ik moet naar de dokter.")))]
        self.next_answer_yes = not self.next_answer_yes
        card = self.post("answer", f"/events/{event_id}/answer", data, hx=f"event-{event_id}", expect=(200,))
        if f'id="event-{event_id}"' not in card.text():
            self.fault(f"POST /events/{event_id}/answer (answer): 200 without the card")


class Coach(Browser):
    """The overview and answers, a participant's page, planning, changing, writing."""

    def round(self) -> None:
        overview = self.get("coach page", "/coach").text()
        self.get("coach page", "/coach/answers")
        participant_id = int(self.rng.choice(CASELOAD_LINK.findall(overview)))
        self.get("coach page", f"/coach/participants/{participant_id}")
        day = self.plan(participant_id)
        if self.rng.random() < 0.5:
            self.change(participant_id, day)
        if self.rng.random() < 0.5:
            self.write(participant_id)

    def slot(self) -> tuple[date, clock]:
        from webapp.timeutil import today_local

        day = today_local() + timedelta(days=self.rng.randint(1, 21))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day, self.rng.choice(APPOINTMENT_STARTS)

    def check_overlaps(self, data) -> bool:
        """The inline warning htmx asks for while the coach fills in the form."""
        reply = self.post("overlaps", "/coach/events/overlaps", data, hx="overlaps", expect=(200,))
        return "notice-problem" in reply.text()

    def plan(self, participant_id: int) -> date:
        page = self.get("coach page", f"/coach/events/new?participant={participant_id}").text()
        form = form_in(page, "/coach/events/new")
        places = form.options["location_id"]
        place = places.get(OFFICE, list(places.values())[-1])
        for _attempt in range(3):
            day, start = self.slot()
            end = (datetime.combine(day, start) + timedelta(minutes=30)).time()
            data = form.with_values(self.rng.choice(PLAN_NOTES), day=day.isoformat(), start=start.strftime("%H:%M"),
                                    end=end.strftime("%H:%M"), location_id=place,
                                    interpreter="ar" if self.rng.random() < INTERPRETER_SHARE else "")
            if not self.check_overlaps(data):
                break
        else:
            data.append(("save_anyway", "y"))  # no free time found in three tries: the coach saves anyway
        self.follow("coach page", self.post("plan", form.action, data))
        return day

    def change(self, participant_id: int, day: date) -> None:
        from webapp.timeutil import IsoWeek

        week = self.get("coach page", f"/coach/participants/{participant_id}/week/{IsoWeek.containing(day)}",
                        hx="week").text()
        editable = [event_id for event_id in OPEN_APPOINTMENT.findall(week)
                    if f"/coach/events/{event_id}/edit" in week]
        if not editable:
            return
        action = f"/coach/events/{self.rng.choice(editable)}/edit"
        form = form_in(self.get("coach page", action).text(), action)
        values = dict(form.fields)
        start = datetime.strptime(values["start"], "%H:%M")
        if self.rng.random() < 0.5 and start.hour < 16:  # half an hour later
            # The note stays; own text in it goes out as written again, ticked as the preview asks.
            data = form.with_values(start=(start + timedelta(minutes=30)).strftime("%H:%M"),
                                    end=(start + timedelta(minutes=60)).strftime("%H:%M"),
                                    **({"send_as_written": "y"} if values.get("note", "").strip() else {}))
        else:
            data = form.with_values(self.rng.choice(CHANGED_NOTES))
        if self.check_overlaps(data):
            data.append(("save_anyway", "y"))
        self.follow("coach page", self.post("edit", action, data))

    def write(self, participant_id: int) -> None:
        form = form_in(self.get("coach page", f"/coach/messages/new?participant={participant_id}").text(),
                       "/coach/messages/new")
        message = dict(self.rng.choice(MESSAGES))
        if isinstance(message["body"], tuple):
            message["body"] = self.rng.choice(message["body"])
        data = form.with_values(message)
        self.follow("coach page", self.post("message", form.action, data))


# -- client processes -------------------------------------------------------------------------------------

def _client_main(pipe, port: int, people: list[Person], seed: int, think_seconds: float) -> None:
    """A client process: one thread per person. Signs everyone in, says "ready", runs the loops for the
    seconds the parent sends, and sends back every request's (kind, seconds, ok) and the first problems."""
    browsers: list[Browser] = []
    setup_problems: list[str] = []
    lock = threading.Lock()

    def sign_in(number: int, person: Person) -> None:
        rng = random.Random(seed * 1000 + number)
        browser = (Participant if person.role == "participant" else Coach)(port, rng, think_seconds)
        try:
            if person.role == "participant":
                sign_in_participant(browser.client, person.login, person.secret)
            else:
                sign_in_staff(browser.client, person.login, person.secret)
        except Exception as error:  # noqa: BLE001 - reported to the parent
            with lock:
                setup_problems.append(f"{person.login}: {error}")
            return
        with lock:
            browsers.append(browser)

    threads = [threading.Thread(target=sign_in, args=(number, person)) for number, person in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pipe.send(("ready", setup_problems))
    command = pipe.recv()
    if command[0] != "go":
        return
    seconds = command[1]
    began = time.perf_counter()
    for browser in browsers:
        browser.stop_at = began + seconds

    def loop(browser: Browser) -> None:
        time.sleep(browser.rng.uniform(0, think_seconds))  # people do not all start on the same millisecond
        while time.perf_counter() < browser.stop_at:
            try:
                browser.round()
            except Stop:
                return
            except Failed:
                browser.think()
            except Exception as error:  # noqa: BLE001 - a page without what a person needs is an error too
                browser._record("client", 0.0, f"{type(error).__name__}: {error}")
                browser.think()

    threads = [threading.Thread(target=loop, args=(browser,), daemon=True) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for browser in browsers:
        browser.client.close()
    pipe.send(("done", elapsed, [record for browser in browsers for record in browser.records],
               [problem for browser in browsers for problem in browser.problems][:PROBLEMS_KEPT],
               sum(browser.errors for browser in browsers)))


class LoadClients:
    """`processes` client processes sharing out the people (so the client is not held up by one GIL)."""

    def __init__(self, port: int, people: list[Person], processes: int, think_seconds: float):
        context = multiprocessing.get_context("spawn")
        self.pipes, self.children = [], []
        for number in range(processes):
            share = people[number::processes]
            if not share:
                continue
            parent_end, child_end = context.Pipe()
            child = context.Process(target=_client_main, args=(child_end, port, share, number + 1, think_seconds),
                                    daemon=True,
                                    name="bench-load-client")
            child.start()
            child_end.close()
            self.pipes.append(parent_end)
            self.children.append(child)

    def wait_ready(self) -> None:
        problems = []
        for pipe in self.pipes:
            if not pipe.poll(180):
                raise SystemExit("a load client process did not sign its people in within 180 s")
            problems += pipe.recv()[1]
        if problems:
            raise SystemExit(f"signing in failed for {len(problems)} people, e.g. {problems[0]}")

    def run(self, seconds: float) -> tuple[float, list, list[str], int]:
        for pipe in self.pipes:
            pipe.send(("go", seconds))
        replies = [pipe.recv() for pipe in self.pipes]
        records = [record for reply in replies for record in reply[2]]
        problems = [problem for reply in replies for problem in reply[3]]
        return max(reply[1] for reply in replies), records, problems, sum(reply[4] for reply in replies)

    def close(self) -> None:
        for child in self.children:
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()


# -- one backend ------------------------------------------------------------------------------------------

@dataclass
class BackendResult:
    name: str
    described: str
    seconds: float
    records: list
    problems: list[str]
    errors: int
    server_cpu: float
    worker_cpu: float
    client_cpu: float
    database_cpu: float | None
    programme: Programme
    notes: list[str] = field(default_factory=list)
    log_tail: str = ""


@contextmanager
def reminder_worker(url: str, log):
    """`flask notify worker` beside the web server, as in production; yields its pid."""

    environment = os.environ | {"DATABASE_URL": url, "SECRET_KEY": "mijnweek-bench-server-cost",
                                "MIJNWEEK_ENV": "development"}
    command = [str(Path(sys.executable).parent / "flask"), "--app", "bench.wsgi_bench", "notify", "worker"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    try:
        yield process.pid
    finally:
        stop_process(process)


def sqlite_settings_under_gunicorn(url: str) -> str:
    """journal_mode, busy_timeout and foreign_keys of a connection made by the module gunicorn loads,
    imported in a fresh process with gunicorn's environment (the pragmas are set on every connect)."""
    script = ("from sqlalchemy import text\nfrom bench.wsgi_bench import app\nfrom webapp.extensions import db\n"
              "with app.app_context():\n"
              "    print(*(db.session.execute(text(f'PRAGMA {name}')).scalar()"
              " for name in ('journal_mode', 'busy_timeout', 'foreign_keys')))\n")
    environment = os.environ | {"DATABASE_URL": url, "SECRET_KEY": "mijnweek-bench-server-cost"}
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
                            text=True, check=True).stdout.split()
    return f"journal_mode={output[0]}, busy_timeout={output[1]} ms, foreign_keys={output[2]}"


def postgres_cpu() -> float:
    """CPU seconds of every process called postgres on this machine (the server and all its backends)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    return cpu_seconds(pids)


def check_database(app, started: datetime, records: list) -> list[str]:
    """What the coaches saved is in the database: one new appointment per plan, one message per send."""
    from sqlalchemy import func, select

    from webapp.accounts.models import Role, User
    from webapp.extensions import db
    from webapp.messages.models import Message
    from webapp.schedule.models import Attendance, Event, EventKind

    ok = {kind: sum(1 for record in records if record[0] == kind and record[2]) for kind in KINDS}
    with app.app_context():
        planned = db.session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == EventKind.COACH_APPOINTMENT, Event.created_at >= started))
        sent = db.session.scalar(select(func.count()).select_from(Message).join(User, Message.sender_id == User.id)
                                 .where(User.role == Role.COACH, Message.created_at >= started))
        answered = db.session.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.responded_at >= started))
        db.session.remove()
        db.engine.dispose()
    problems = []
    if planned != ok["plan"]:
        problems.append(f"{ok['plan']} appointments planned (303), {planned} new in the database")
    if sent != ok["message"]:
        problems.append(f"{ok['message']} messages sent (303), {sent} new in the database")
    if ok["answer"] and not answered:
        problems.append(f"{ok['answer']} answers saved (200), none in the database")
    return problems


def run_backend(name: str, args) -> BackendResult:
    """One backend from an empty database to the figures: build, serve, load, check, clean up."""
    from webapp.timeutil import now_utc

    database_url = None if name == "sqlite" else args.database_url
    with ExitStack() as stack:
        database = stack.enter_context(temporary_database(database_url, prefix=f"load-{name}"))
        print(f"{name}: {database.described}; migrating and building the programme ...", file=sys.stderr)
        app = build_app(database)
        programme = build_programme(app, args.participants, args.coaches)
        print(f"  {len(programme.participants)} participants, {len(programme.coaches)} coaches, "
              f"{programme.events:,} events, {programme.attendances:,} attendances in {programme.seconds:.1f} s",
              file=sys.stderr)
        notes = []
        if name == "sqlite":
            notes.append("SQLite as gunicorn's app opens it: " + sqlite_settings_under_gunicorn(database.url))
            print(f"  {notes[-1]}", file=sys.stderr)
        log = stack.enter_context(open(database.directory / "server.log", "w+"))
        port, master = stack.enter_context(gunicorn(database.url, args.workers, args.threads,
                                                    log=log))
        worker_pid = stack.enter_context(reminder_worker(database.url, log)) if args.reminder_worker else None
        people = programme.participants + programme.coaches
        clients = LoadClients(port, people, args.client_processes, args.think_ms / 1000)
        stack.callback(clients.close)
        began = time.perf_counter()
        clients.wait_ready()
        print(f"  gunicorn on port {port} ({args.workers} workers x {args.threads} threads), reminder worker "
              f"{'running' if worker_pid else 'off'}; {len(people)} people signed in through the forms in "
              f"{time.perf_counter() - began:.1f} s; running {args.seconds:g} s ...", file=sys.stderr)
        servers = worker_pids(master)
        server_before = cpu_seconds(servers)
        worker_before = cpu_seconds([worker_pid]) if worker_pid else 0.0
        client_pids = [child.pid for child in clients.children]
        client_before = cpu_seconds(client_pids)
        database_before = postgres_cpu() if name == "postgresql" else 0.0
        started = now_utc()
        seconds, records, problems, errors = clients.run(args.seconds)
        server_cpu = cpu_seconds(servers) - server_before
        worker_cpu = cpu_seconds([worker_pid]) - worker_before if worker_pid else 0.0
        client_cpu = cpu_seconds(client_pids) - client_before
        database_cpu = postgres_cpu() - database_before if name == "postgresql" else None
        if name == "sqlite":
            wal = database.directory / "bench.db-wal"
            notes.append(f"write-ahead log while serving: {wal.name} "
                         + (f"{wal.stat().st_size / 1024:,.0f} KB" if wal.exists() else "missing"))
        mismatches = check_database(app, started, records)
        errors += len(mismatches)
        problems += [f"database check: {problem}" for problem in mismatches]
        log.flush()
        log.seek(0)
        log_text = log.read()
        interesting = [line for line in log_text.splitlines()
                       if line.strip() and "Reminder worker started" not in line]
    return BackendResult(name, database.described, seconds, records, problems, errors, server_cpu, worker_cpu,
                         client_cpu, database_cpu, programme, notes, "\n".join(interesting[-40:]))


# -- the report -------------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    """In milliseconds, of latencies in seconds (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(result: BackendResult, args) -> None:
    """The table per kind of request, the CPU seconds, and the first errors with the server's log."""
    print()
    print(f"{result.name}: {result.described}; {args.participants} participants and {args.coaches} coaches "
          f"for {result.seconds:.1f} s; gunicorn {args.workers} workers x {args.threads} threads (gthread)")
    for note in result.notes:
        print(f"  {note}")
    print(f"  {'request':<12} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'errors':>6}")
    rows = [(kind, [r for r in result.records if r[0] == kind]) for kind in KINDS + ("client",)]
    rows.append(("all", result.records))
    for kind, records in rows:
        if not records and kind != "all":
            continue
        latencies = [record[1] for record in records if record[2]]
        failed = sum(1 for record in records if not record[2])
        print(f"  {kind:<12} {len(records):>8,} {len(records) / result.seconds:>7.1f} "
              f"{percentile(latencies, 0.5):>7.0f} {percentile(latencies, 0.95):>7.0f} "
              f"{percentile(latencies, 0.99):>7.0f} {percentile(latencies, 1.0):>7.0f} {failed:>6}")
    requests = len(result.records)
    cpu = (f"  server CPU: gunicorn workers {result.server_cpu:.1f} s ({1000 * result.server_cpu / max(requests, 1):.1f} "
           f"ms per request, {100 * result.server_cpu / result.seconds:.0f} % of one CPU)")
    if args.reminder_worker:
        cpu += f", reminder worker {result.worker_cpu:.1f} s"
    if result.database_cpu is not None:
        cpu += f", all postgres processes {result.database_cpu:.1f} s"
    print(cpu + f"; load clients {result.client_cpu:.1f} s")
    print(f"  ({load_average()}; everything shares these CPUs; think time 0-{args.think_ms:g} ms)")
    if result.errors:
        print(f"  ERRORS: {result.errors}; the first ones:")
        for problem in result.problems[:PROBLEMS_KEPT]:
            print(f"    {problem}")
    if result.log_tail:
        print("  server log (last lines):")
        for line in result.log_tail.splitlines():
            print(f"    {line}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql or both (default both)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds per backend (60)")
    parser.add_argument("--participants", type=int, default=50, help="participants browsing and answering (50)")
    parser.add_argument("--coaches", type=int, default=5, help="coaches planning, ~participants/coaches each (5)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRESQL,
                        help="PostgreSQL URL for the postgresql backend (default $BENCH_DATABASE_URL, "
                             "$TEST_DATABASE_URL or %(default)s); a temporary schema is made and dropped")
    parser.add_argument("--think-ms", type=float, default=1000 * THINK_SECONDS,
                        help="each person waits 0 to this many ms after a request (%(default)g)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker, gthread (4)")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the people are spread over (2)")
    parser.add_argument("--no-reminder-worker", dest="reminder_worker", action="store_false",
                        help="do not run `flask notify worker` beside gunicorn")
    args = parser.parse_args(argv)
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if not args.backends or set(args.backends) - {"sqlite", "postgresql"}:
        parser.error("--backends takes sqlite, postgresql or both, separated by a comma")
    if args.coaches < 1 or args.participants < args.coaches:
        parser.error("at least one coach, and at least one participant per coach")
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    return args


def main(argv=None) -> int:
    """Each backend in turn; 1 when any request failed."""
    args = parse_args(argv)
    print(f"Load test: {args.participants} participants and {args.coaches} coaches for {args.seconds:g} s on "
          f"{', '.join(args.backends)}; {load_average()}", file=sys.stderr)
    results = []
    try:
        for name in args.backends:
            results.append(run_backend(name, args))
            report(results[-1], args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    failed = [result for result in results if result.errors]
    print()
    for result in results:
        print(f"{result.name}: {len(result.records):,} requests, {len(result.records) / result.seconds:.1f} req/s, "
              f"p50 {percentile([r[1] for r in result.records if r[2]], 0.5):.0f} ms, "
              f"p95 {percentile([r[1] for r in result.records if r[2]], 0.95):.0f} ms, {result.errors} errors")
    if failed:
        print("FAILED: " + ", ".join(f"{result.name} had {result.errors} errors" for result in failed))
        return 1
    print("OK: no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
