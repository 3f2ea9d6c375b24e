"""Any input to any form, or to the push subscription endpoint, gets a clear refusal in the person's
language or a whole success: never a 500, never a half-saved record (issue #8, item 7).

Every state-changing route of the URL map needs a strategy here, so a new form is covered or this
file fails. Each route gets a fresh world that its examples share (what one saves, the next sees;
so a failure is sometimes also reported as flaky: the first error is the one to read). Each request
runs in an app context of its own, as in production, so whatever a refused request left unsaved in
its session is dropped, as it would be. BAD_INPUT_SCALE=20 makes a long hunt.
"""
from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from babel.messages.pofile import read_po
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, or_, select, text, update
from werkzeug.datastructures import MultiDict
from werkzeug.security import generate_password_hash
from wtforms.i18n import messages_path

from webapp import create_app
from webapp.accounts import services as account_services
from webapp.accounts.models import BuddyMatch, CoachAssignment, Role, User
from webapp.extensions import db
from webapp.messages.models import Message, MessageRecipient
from webapp.messages.services import send
from webapp.notify.models import Notification, NotificationStatus, PushSubscription
from webapp.notify.planner import REMINDERS, _reminder_rows, plan_window, reminder_due
from webapp.phrases.book import Writer, phrases_for
from webapp.phrases.wording import Wording
from webapp.schedule.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    Location,
    MeetingOption,
    Organisation,
    Presence,
    Series,
)
from webapp.schedule.series import create_series, parse_rule
from webapp.timeutil import local_to_utc, now_utc

from . import conftest
from .test_csrf import CHANGING

# Wednesday 25 November 2026, 10:00 in Amsterdam: "tomorrow" below is Thursday the 26th.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
GEEZ_LETTER = re.compile("[\u1200-\u137c]")
# The default keeps both databases together well under a minute.
SCALE = float(os.environ.get("BAD_INPUT_SCALE", "1"))
CHEAP_HASH = "pbkdf2:sha256:1"  # the real scrypt hash costs 0.1 s a check; sign-in is drawn hundreds of times


# --- requests -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ref:
    """An object of the test's world, named; its id (or a fresh token) is filled in when the request is sent."""

    name: str


@dataclass(frozen=True)
class Req:
    """One request: who sends it, where, with which fields (a name may repeat) or JSON body."""

    who: str | None
    path: str
    path_ids: tuple = ()  # (name, Ref or text) for the {name} parts of the path
    fields: tuple = ()
    method: str = "POST"
    body: object = None  # JSON, or bytes sent as they are
    locale: str = "ar"
    htmx: bool = False


def ids(*names: str):
    """An id in a path or a field: one of these objects, or one that does not exist or is too large."""
    return st.sampled_from([Ref(name) for name in names] + ["0", "2147483647", "2147483648", "99999999999999999999"])


ODD_TEXT = st.sampled_from([
    "", " ", "\t\n ", "a" * 5000, "ب" * 301, "ሰላም " * 60, "\u200f\u202eabc\u202c", "\u0301", "e\u0301\u0302",
    "😀" * 40, "\x00", "a\x00b", "\x01\x1b[31m\x7f", "\ufeff", "<script>alert(1)</script>", "' OR 1=1 --",
    "%(name)s %s {0}", "{{ 7*7 }}", "NaN", "-1", "0", "1e309", "99999999999999999999", "٣", "null", "y", "on",
])
ANY_TEXT = st.one_of(ODD_TEXT, st.text(st.characters(exclude_categories=["Cs"]), max_size=300))
BAD_DATES = st.sampled_from([
    "2026-02-30", "2026-13-01", "2026-11-31", "0001-01-01", "9999-12-31", "1900-01-01", "26-11-2026",
    "2026-11-26T10:00", "tomorrow", "٢٠٢٦-١١-٢٦", "2026-W48", "2026-11-26 ", "+2026-11-26",
])
BAD_TIMES = st.sampled_from(["25:00", "24:00", "10:60", "9", "10:00:00", "-1:00", "٠٩:٣٠", "10.30", "noon", "23:59"])
KINDS = st.sampled_from([kind.value for kind in EventKind])
LOCALES = st.sampled_from(["ar", "ar", "en", "nl", "ti"])


def one(*values):
    """A field sent once, with one of these values."""
    return st.sampled_from([[value] for value in values])


def maybe(*values):
    """An optional field: absent, or one of these."""
    return st.sampled_from([[]] + [[value] for value in values])


@st.composite
def form(draw, valid: dict, odd: dict | None = None):
    """A mostly valid form with up to three fields spoiled: odd value, missing, sent twice, or empty;
    sometimes with a field the form does not know."""
    odd = odd or {}
    fields = {name: list(draw(strategy)) for name, strategy in valid.items()}
    names = sorted(valid)
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=min(3, len(names)))):
        how = draw(st.sampled_from(["odd", "odd", "missing", "twice", "empty"]))
        if how == "odd":
            fields[name] = [draw(odd.get(name, ANY_TEXT))]
        elif how == "missing":
            fields[name] = []
        elif how == "twice":
            second = draw(st.one_of(st.sampled_from(fields[name]), odd.get(name, ANY_TEXT)) if fields[name]
                          else odd.get(name, ANY_TEXT))
            fields[name] = fields[name][:1] + [second]
        else:
            fields[name] = [""]
    if draw(st.booleans()) and draw(st.booleans()):
        fields[draw(st.sampled_from(["csrf_token", "id", "user_id", "role", "x"]))] = [draw(ANY_TEXT)]
    return tuple((name, value) for name, values in fields.items() for value in values)


NO_FIELDS = st.just(())


def requests(who, path: str, fields=NO_FIELDS, **path_ids):
    """Requests to `path` (with `{name}` parts filled from `path_ids`) by one of `who`."""
    return st.builds(Req, who=st.sampled_from(who), path=st.just(path), fields=fields, locale=LOCALES,
                     path_ids=st.fixed_dictionaries(path_ids).map(lambda named: tuple(sorted(named.items()))),
                     htmx=st.booleans())


# --- the forms, field by field --------------------------------------------------------------------

def PHRASES_ODD(name: str) -> dict:
    """A phrase field given an unknown key, a participant's key, too many phrases, or a gap out of range."""
    return {name: st.one_of(st.sampled_from(["nope", "reply_ok", "appointment_reminder", "in_room", "later_start",
                                             "come_early", "interpreter_for"]), ANY_TEXT),
            f"{name}-in_room-room": st.one_of(st.sampled_from(["", "x" * 21, "a\x00b"]), ANY_TEXT),
            f"{name}-later_start-time": st.one_of(st.sampled_from(["25:00", "9:00", "", "١٠:٣٠"]), ANY_TEXT),
            f"{name}-come_early-minutes": st.sampled_from(["0", "121", "-5", "five", HUGE_NUMBER]),
            f"{name}-interpreter_for-language": st.sampled_from(["xx", "", "nl"])}


HUGE_NUMBER = "99999999999999999999"
TOO_MANY_PHRASES = [phrase.key for phrase in phrases_for(Writer.STAFF, ("bring",))]
DATE_ODD = st.one_of(BAD_DATES, ANY_TEXT)
TIME_ODD = st.one_of(BAD_TIMES, ANY_TEXT)
PLAN_VALID = {
    "kind": one("coach_appointment", "connection_cafe", "language_class", "buddy_meeting"),
    "title": one("", "Taalles", "درس اللغة", "ትምህርቲ"),
    "location_id": st.sampled_from([["0"], [Ref("place")]]),
    "day": one("2026-11-26", "2026-11-30", "2026-12-10", "2026-11-25"),
    "start": one("10:00", "14:30", "09:00"),
    "end": one("11:00", "16:00", "12:00"),
    "note": one("", "Neem je paspoort mee.", "أحضر جواز سفرك"),
    "note_phrases": st.sampled_from([[], ["bring_id_card"], ["bring_id_card", "in_room"], ["interpreter_for"]]),
    "note_phrases-in_room-room": one("2.14", "B"),
    "note_phrases-interpreter_for-language": one("ar", "ti"),
    "interpreter": one("", "ti", "fa_AF"),
    "save_anyway": maybe("y"),
}
PLAN_ODD = {"day": DATE_ODD, "until": DATE_ODD, "start": TIME_ODD, "end": TIME_ODD,
            "kind": st.one_of(KINDS, ANY_TEXT), "location_id": st.one_of(ids("place", "other_place"), ANY_TEXT),
            "weekdays": st.one_of(st.sampled_from(["7", "-1", "0", "6", "99999999999999999999"]), ANY_TEXT),
            "people": st.one_of(ids("amina", "yonas", "other_participant", "coach"), ANY_TEXT),
            "repeat": st.sampled_from(["once", "weekly", "daily", ""]), "scope": st.sampled_from(["this", "following", "all"]),
            **PHRASES_ODD("note_phrases"), "interpreter": st.one_of(st.sampled_from(["xx", "nl-NL", "AR"]), ANY_TEXT)}
NEW_PLAN_VALID = PLAN_VALID | {
    "people": st.sampled_from([[Ref("amina")], [Ref("amina"), Ref("yonas")]]),
    "repeat": one("once", "weekly"),
    "weekdays": st.sampled_from([["0", "2"], ["3"], ["0", "1", "2", "3", "4", "5", "6"]]),
    "until": one("2026-12-31", "2027-03-01", "2026-11-27"),
}
SLOT_VALID = {"day": one("2026-11-27", "2026-12-02"), "start": one("14:00", "19:00"), "end": one("15:30", "20:00")}
SLOT_ODD = {"day": DATE_ODD, "start": TIME_ODD, "end": TIME_ODD, "other_day_1": DATE_ODD, "other_start_1": TIME_ODD,
            "other_day_2": DATE_ODD, "other_start_2": TIME_ODD, "location_id": st.one_of(ids("place"), ANY_TEXT)}


def _p256dh() -> str:
    """A browser's public key as PushSubscription.toJSON() gives it; the same in every run."""
    point = ec.derive_private_key(20261125, ec.SECP256R1()).public_key().public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


P256DH = _p256dh()
AUTH = base64.urlsafe_b64encode(b"0123456789abcdef").decode().rstrip("=")
JSON_ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
ENDPOINTS = st.one_of(st.sampled_from([
    "https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x",
    "http://push.example.org/x", "ftp://push.example.org/x", "https://", "https:///path", "javascript:alert(1)",
    "https://[::1", "https://exa mple.org/x", "https://push.example.org/\x00", "https://push.example.org:99999/x",
    "https://" + "a" * 2100, "//push.example.org/x", "https://ب.example/x", "HTTPS://PUSH.EXAMPLE.ORG/x", "",
]), st.builds(lambda tail: "https://push.example.org/" + tail, st.text(max_size=60)), JSON_ANY)
KEYS = st.one_of(
    st.just({"p256dh": P256DH, "auth": AUTH}),
    st.fixed_dictionaries({"p256dh": st.sampled_from([
        P256DH, P256DH + "==", "!!!", "", "A" * 87, base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode(),
        base64.urlsafe_b64encode(b"\x02" + b"\x01" * 32).decode(), "\x00", 5]) | JSON_ANY,
        "auth": st.sampled_from([AUTH, AUTH + "==", "", "!!", "AAAA", "A" * 5000, None]) | JSON_ANY}),
    JSON_ANY)
SUBSCRIPTIONS = st.one_of(
    st.fixed_dictionaries({"endpoint": ENDPOINTS, "keys": KEYS},
                          optional={"expirationTime": st.sampled_from([None, 0, 1.5, "x", True, [], 1e308, -1, 2**70])}),
    JSON_ANY,
    st.sampled_from([b"", b"{", b"not json", b"\xff\xfe", b"[]", b'{"endpoint": "https://x"' + b" " * 5000 + b"}"]),
)


def compose_fields():
    return form({
        "recipients": st.sampled_from([[Ref("amina")], [Ref("amina"), Ref("yonas")]]),
        "phrases": st.sampled_from([[], ["please_call_me"], ["appointment_reminder"], ["bring_id_card", "in_room"],
                                    TOO_MANY_PHRASES]),
        "phrases-in_room-room": one("2.14", "B"),
        "event_id": st.sampled_from([["0"], [Ref("appointment")]]),
        "body": one("Tot morgen!", "إلى الغد", "ክሳዕ ጽባሕ"),
    }, {"recipients": st.one_of(ids("amina", "other_participant", "coach"), ANY_TEXT),
        **PHRASES_ODD("phrases"),
        "event_id": st.one_of(ids("appointment", "other_appointment", "past_appointment"), ANY_TEXT)})


STAFF = ["coach", "coach", "coach", "amina", None]
CASES: dict[str, tuple[st.SearchStrategy, int]] = {}
# Routes that plan, move, cancel or answer one activity, and so bring its reminders in line at once.
REPLANNING = {"schedule.new_event", "schedule.edit_event", "schedule.cancel", "schedule.answer", "buddies.propose",
              "buddies.move", "buddies.cancel"}


def case(endpoint: str, strategy, examples: int = 15) -> None:
    """The requests tried on one route, and how many."""
    CASES[endpoint] = (strategy, examples)


case("accounts.login", requests([None], "/login", form({
    "phone": one(Ref("amina_phone"), "0612345001", "+31 6 1234 5001"),
    "pin": one(conftest.TEST_PIN, "000000", "١٢٣٤٥٦"),
    "remember": maybe("y", "on", ""),
})), 12)
case("accounts.login_staff", requests([None], "/login/staff", form({
    "email": one(Ref("coach_email"), "nobody@example.org"),
    "password": one(conftest.TEST_PASSWORD, "wrong password"),
    "remember": maybe("y"),
})), 8)
case("accounts.logout", requests(["amina", "coach", None], "/logout", form({"x": maybe("1")})), 5)
case("accounts.logout_everywhere", requests(["amina", "buddy", None], "/logout/everywhere"), 5)
case("accounts.activate", requests([None], "/activate/{token}", form({
    "pin": one("480153"), "pin_again": one("480153"),
    "password": one("a long new password"), "password_again": one("a long new password"),
}, {"pin": st.sampled_from(["111111", "123456", "12345", "1234567", "12345a", "١٢٣٤٥٩", "480153\n"])}),
    token=st.sampled_from([Ref("new_participant_token"), Ref("new_staff_token"), "x", "a" * 500, "%00", "..%2F"])), 15)
case("accounts.language", requests([None, "amina"], "/language", form({
    "locale": one("nl", "en", "ar", "ti"), "next": maybe("/week", "//evil.example", "https://evil.example", "/\\evil"),
})), 6)
case("accounts.save_dutch_words", requests(["amina", "coach", None], "/settings/dutch-words",
                                           form({"show_dutch_words": maybe("y", "false")})), 5)
case("accounts.new_participant", requests(STAFF, "/coach/participants/new", form({
    "display_name": one("Nour", "نور", "ኑር"),
    "phone": st.integers(10_000_000, 99_999_999).map(lambda number: [f"06{number}"]),
    "locale": one("nl", "en", "ar", "ti"),
}, {"phone": st.sampled_from(["+31612345", "0612345678901234567890", "+999 1234", "٠٦١٢٣٤٥٦٧٨", "06-1234-5678x",
                              Ref("amina_phone"), "tel:0612345678"])})), 12)
case("accounts.new_activation_code", requests(STAFF, "/coach/participants/{person}/activation",
                                              person=ids("amina", "other_participant", "coach")), 5)
case("organisations.new_organisation", requests(["admin", "admin", "coach"], "/admin/organisations/new",
                                                form({"name": one("Taalschool Noord", "مدرسة اللغة", "Taalschool")})), 8)
LOCATION_FORM = form({
    "name": one("Bibliotheek", "المكتبة"), "organisation_id": st.sampled_from([["0"], [Ref("organisation")]]),
    "address": one("Stationsplein 1", ""), "city": one("Zaandam", ""), "directions": one("", "Tweede verdieping"),
}, {"organisation_id": st.one_of(ids("organisation"), ANY_TEXT)})
case("organisations.new_location", requests(["admin", "admin", "coach"], "/admin/locations/new", LOCATION_FORM), 8)
case("organisations.edit_location", requests(["admin", "admin", "coach"], "/admin/locations/{place}/edit",
                                             LOCATION_FORM, place=ids("place")), 8)
case("organisations.new_person", requests(["admin", "admin", "coach"], "/admin/people/new", form({
    "display_name": one("Sanne", "سارة"),
    "email": st.integers(0, 10**9).map(lambda number: [f"new{number}@example.org"]),
    "role": one("coach", "buddy", "admin"), "locale": one("nl", "en", "ar", "ti"),
}, {"email": st.one_of(st.emails(), st.sampled_from([Ref("coach_email"), "a@b", "@example.org", "a" * 250 + "@x.nl",
                                                     "İ" * 60 + "@example.org"])),
    "role": st.sampled_from(["participant", "root", ""])})), 10)
case("organisations.new_person_link", requests(["admin", "admin", "coach"], "/admin/people/{person}/activation",
                                               person=ids("coach", "amina", "admin")), 6)
case("organisations.switch_person", requests(["admin", "admin", "coach"], "/admin/people/{person}/switch",
                                             person=ids("other_coach", "amina", "admin")), 6)
case("buddies.held", requests(["buddy", "buddy", "amina"], "/buddy/meetings/{meeting}/held",
                              form({"held": one("yes", "no")}),
                              meeting=ids("past_meeting", "meeting", "other_meeting")), 6)
case("buddies.propose", requests(["buddy", "buddy", "buddy", "coach"], "/buddy/participants/{person}/meetings/new", form(
    SLOT_VALID | {
        "location_id": st.sampled_from([["0"], [Ref("place")]]), "note": one("", "Bij de bieb"),
        "note_phrases": st.sampled_from([[], ["meet_entrance"], ["in_room"]]), "note_phrases-in_room-room": one("B"),
        "other_day_1": maybe("2026-11-28"), "other_start_1": maybe("11:00"),
        "other_day_2": maybe("2026-11-29"), "other_start_2": maybe("23:30"), "save_anyway": maybe("y"),
    }, SLOT_ODD), person=ids("amina", "other_participant")), 20)
case("buddies.move", requests(["amina", "amina", "buddy"], "/meetings/{meeting}/move", form(
    SLOT_VALID | {"reason": one("", "Ik moet werken"), "option": maybe(Ref("option")),
                  "reason_phrases": st.sampled_from([[], ["reason_sick"], ["cannot_make_it"]])},
    SLOT_ODD | {"option": st.one_of(ids("option", "other_option"), ANY_TEXT), **PHRASES_ODD("reason_phrases")}),
    meeting=ids("meeting", "other_meeting", "past_meeting")), 15)
case("buddies.cancel", requests(["amina", "buddy"], "/meetings/{meeting}/cancel", form(
    {"reason": one("", "Ziek"), "reason_phrases": st.sampled_from([[], ["reason_child_ill"], ["teacher_ill"]])},
    PHRASES_ODD("reason_phrases")),
                                meeting=ids("meeting", "other_meeting")), 6)
case("buddies.start_match", requests(STAFF, "/coach/participants/{person}/matches",
                                     form({"buddy_id": st.sampled_from([[Ref("other_buddy")], [Ref("buddy")]])},
                                          {"buddy_id": st.one_of(ids("coach", "amina"), ANY_TEXT)}),
                                     person=ids("yonas", "other_participant")), 6)
case("buddies.end_match", requests(STAFF, "/coach/matches/{match}/end",
                                   match=ids("match", "other_match")), 6)
case("caseload.presence", requests(STAFF, "/coach/attendances/{attendance}/presence",
                                   form({"presence": one(*[value.value for value in Presence])},
                                        {"presence": st.sampled_from(["excused", "cancelled", "ATTENDED"])}),
                                   attendance=ids("past_attendance", "attendance", "other_attendance")), 8)
case("caseload.deactivate", requests(STAFF, "/coach/participants/{person}/deactivate",
                                     person=ids("yonas", "other_participant")), 6)
case("caseload.reactivate", requests(STAFF, "/coach/participants/{person}/reactivate",
                                     person=ids("yonas", "other_participant")), 6)
case("schedule.new_event", requests(STAFF, "/coach/events/new", form(NEW_PLAN_VALID, PLAN_ODD)), 40)
case("schedule.check_overlaps", requests(STAFF, "/coach/events/overlaps", form(
    NEW_PLAN_VALID | {"event_id": maybe(Ref("appointment"), Ref("series_event"))},
    PLAN_ODD | {"event_id": st.one_of(ids("appointment", "other_appointment"), ANY_TEXT)})), 12)
case("schedule.edit_event", requests(STAFF, "/coach/events/{event}/edit", form(
    PLAN_VALID | {"scope": one("this", "following")}, PLAN_ODD),
    event=ids("appointment", "series_event", "meeting", "other_appointment")), 25)
case("schedule.cancel", requests(STAFF, "/coach/events/{event}/cancel", form({
    "cancel-scope": one("this", "following"), "cancel-reason_phrases": st.sampled_from([[], ["teacher_ill"],
                                                                                         ["later_start"]]),
    "cancel-reason_phrases-later_start-time": one("10:30", "25:00"), "cancel-reason": one("", "Ziek", "مريض")},
    PHRASES_ODD("cancel-reason_phrases")), event=ids("appointment", "series_event", "other_appointment")), 10)
case("schedule.answer", requests(["amina", "amina", "buddy"], "/events/{event}/answer", form({
    "answer": one("confirmed", "declined"), "reason": maybe("sick", "work", "child_ill", "authority", "other"),
    "reason_text": one("", "Ik ben ziek", "أنا مريض"),
}, {"answer": st.sampled_from(["invited", "maybe", "CONFIRMED"]), "reason": st.sampled_from(["bored", "SICK"])}),
    event=ids("appointment", "cafe_event", "past_appointment", "other_appointment", "class_event")), 20)
case("messages.compose", requests(STAFF, "/coach/messages/new", compose_fields()), 20)
case("phrases.preview_words", requests(["coach", "coach", "buddy", "amina"], "/phrases/preview", form({
    "preview_phrases": one("phrases", "note_phrases"), "preview_text": one("body", "note"),
    "preview_readers": one("recipients", "people", "event", "participant", "meeting"),
    "preview_confirm": one("send_as_written"),
    "preview_id": st.sampled_from([[Ref("appointment")], [Ref("amina")], [Ref("meeting")], ["0"]]),
    "recipients": st.sampled_from([[Ref("amina")], [Ref("amina"), Ref("yonas")]]),
    "event_id": st.sampled_from([["0"], [Ref("appointment")]]),
    "phrases": st.sampled_from([[], ["appointment_reminder"], ["in_room"]]), "body": one("", "Tot dan", "إلى الغد"),
}, {"preview_id": st.one_of(ids("other_appointment", "other_participant", "other_meeting"), ANY_TEXT),
    "event_id": st.one_of(ids("other_appointment"), ANY_TEXT), **PHRASES_ODD("phrases")})), 15)
case("messages.reply", requests(["amina", "amina", "coach"], "/messages/{message}/reply",
                                form({"reply": one(*(phrase.key for phrase in phrases_for(Writer.PARTICIPANT, ("replies",))))},
                                     {"reply": st.sampled_from(["please_call_me", "bring_id_card", "reason_sick"])}),
                                message=ids("message", "other_message")), 6)
case("notify.remove_device", requests(["amina", "amina", "coach"], "/push/devices/{device}/remove",
                                      device=ids("device", "other_device")), 5)
case("notify.test_reminder", requests(["amina", "coach", None], "/push/test"), 4)
case("notify.save_reminder_kinds", requests(["amina", "coach"], "/settings/reminders", form(
    {f"kind_{kind.value}": maybe("y") for kind in EventKind}, {})), 5)
case("privacy.erase", requests(["admin", "admin", "coach"], "/admin/participants/{person}/erase",
                               form({"confirm": maybe("yes", "no", "on")}),
                               person=ids("yonas", "other_participant", "coach")), 6)
case("calendar_feed.save", requests(["amina", "coach", "admin"], "/settings/calendar",
                                    form({"intent": maybe("renew", "make")})), 6)


@st.composite
def push_requests(draw, method: str):
    body = draw(SUBSCRIPTIONS if method == "POST" else st.one_of(
        st.fixed_dictionaries({"endpoint": st.sampled_from([Ref("device_endpoint"), Ref("other_device_endpoint"),
                                                            "https://unknown.example/x"]) | ENDPOINTS}), JSON_ANY))
    return Req(draw(st.sampled_from(["amina", "amina", "coach", None])), "/push/subscriptions", method=method,
               body=body, locale=draw(LOCALES))


case("notify.subscribe", push_requests("POST"), 40)
case("notify.unsubscribe", push_requests("DELETE"), 12)

# Inputs that once gave a 500, a refusal without words or in English, or a half-saved record: always tried.
FOUND: dict[str, list[Req]] = {}


def found(endpoint: str, who: str | None, path: str, fields=(), body=None, **path_ids) -> None:
    """Try this request on every run, in Arabic."""
    FOUND.setdefault(endpoint, []).append(
        Req(who, path, tuple(sorted(path_ids.items())), tuple(fields), body=body))


PLAN = (("kind", "coach_appointment"), ("title", ""), ("location_id", "0"), ("note", ""), ("people", Ref("amina")))
HUGE = "99999999999999999999"
KEYS_OK = {"p256dh": P256DH, "auth": AUTH}
# A number too large for the database, in a path or a field: OverflowError (SQLite) or DataError (PostgreSQL).
found("accounts.new_activation_code", "coach", "/coach/participants/{person}/activation", person=HUGE)
found("schedule.check_overlaps", "coach", "/coach/events/overlaps", (("event_id", HUGE),))
found("buddies.start_match", "coach", "/coach/participants/{person}/matches", (("buddy_id", HUGE),),
      person=Ref("yonas"))
found("buddies.move", "amina", "/meetings/{meeting}/move", (("option", HUGE),), meeting=Ref("meeting"))
# A NUL character: PostgreSQL refuses it even in a comparison.
found("accounts.login_staff", None, "/login/staff", (("email", "a\x00b@example.org"), ("password", "x")))
found("organisations.new_organisation", "admin", "/admin/organisations/new", (("name", "a\x00b"),))
found("notify.subscribe", "amina", "/push/subscriptions",
      body={"endpoint": "https://push.example.org/\x00", "keys": KEYS_OK})
# Year 1 or 9999: no UTC for it, or no day after it (OverflowError).
for plan in ((("day", "0001-01-01"), ("start", "00:00"), ("end", "00:30"), ("repeat", "once")),
             (("day", "9999-12-31"), ("start", "23:00"), ("end", "23:59"), ("repeat", "once")),
             (("day", "9999-12-31"), ("start", "10:00"), ("end", "11:00"), ("repeat", "weekly"), ("weekdays", "3"),
              ("until", "9999-12-31"))):
    found("schedule.new_event", "coach", "/coach/events/new", PLAN + plan + (("save_anyway", "y"),))
found("schedule.edit_event", "coach", "/coach/events/{event}/edit",
      PLAN[:-1] + (("day", "0001-01-01"), ("start", "00:00"), ("end", "00:30"), ("save_anyway", "y")),
      event=Ref("appointment"))
for slot in ((("day", "0001-01-01"), ("start", "00:00"), ("end", "00:30")),
             (("day", "9999-12-31"), ("start", "23:00"), ("end", "23:30"), ("other_day_1", "9999-12-31"),
              ("other_start_1", "23:50"))):
    found("buddies.propose", "buddy", "/buddy/participants/{person}/meetings/new",
          slot + (("location_id", "0"), ("note", ""), ("save_anyway", "y")), person=Ref("amina"))
found("buddies.move", "amina", "/meetings/{meeting}/move",
      (("day", "0001-01-01"), ("start", "00:00"), ("end", "00:30"), ("reason", "")), meeting=Ref("meeting"))
# An address urlparse cannot read (ValueError), and key text the decoder skips but the database must store.
found("notify.subscribe", "amina", "/push/subscriptions", body={"endpoint": "https://[::1", "keys": KEYS_OK})
found("notify.subscribe", "amina", "/push/subscriptions",
      body={"endpoint": "https://push.example.org/x", "keys": {"p256dh": P256DH + "!" * 20, "auth": AUTH}})
# "Every week" without a last day: WTForms' Optional() skipped the check asking for it (TypeError).
found("schedule.new_event", "coach", "/coach/events/new",
      PLAN + (("day", "2026-11-26"), ("start", "10:00"), ("end", "11:00"), ("repeat", "weekly"), ("weekdays", "3")))
found("schedule.check_overlaps", "coach", "/coach/events/overlaps",
      PLAN + (("day", "2026-11-26"), ("start", "10:00"), ("end", "11:00"), ("repeat", "weekly"), ("weekdays", "0"),
              ("event_id", Ref("appointment"))))
# A field left out of the request altogether (None.strip()).
found("organisations.new_location", "admin", "/admin/locations/new", (("name", "Bibliotheek"),))
# A 400 without a visible reason: an odd radio value, the answer form of an activity that is over, a device
# removed already.
found("schedule.new_event", "coach", "/coach/events/new",
      PLAN + (("day", "2026-11-26"), ("start", "10:00"), ("end", "11:00"), ("repeat", "daily")))
found("schedule.edit_event", "coach", "/coach/events/{event}/edit",
      PLAN[:-1] + (("day", "2026-11-26"), ("start", "10:00"), ("end", "11:00"), ("scope", "all")),
      event=Ref("appointment"))
found("schedule.answer", "amina", "/events/{event}/answer", (("answer", "declined"), ("reason_text", "")),
      event=Ref("past_appointment"))
found("notify.remove_device", "amina", "/push/devices/{device}/remove", device=Ref("other_device"))
# A refusal in English on an Arabic page: length limits (never extracted), WTForms' own messages.
found("messages.compose", "coach", "/coach/messages/new",
      (("recipients", Ref("amina")), ("event_id", "0"), ("body", "a" * 1001)))
found("schedule.new_event", "coach", "/coach/events/new",
      PLAN + (("day", "2026-11-26"), ("start", "10:00"), ("end", "25:00"), ("repeat", "once")))
found("schedule.new_event", "coach", "/coach/events/new",
      PLAN[:-2] + (("location_id", "2147483647"), ("people", Ref("amina")), ("day", "2026-02-30"), ("start", "10:00"),
                   ("end", "11:00")))
# Saved, but half: a "buddy meeting" a coach made of a coach appointment (one person; a 500 for its
# participant later), a weekly series none of whose days fall in its span, and a series left behind
# empty by a second "this one and all later ones".
found("schedule.edit_event", "coach", "/coach/events/{event}/edit",
      PLAN[:-1] + (("kind", "buddy_meeting"), ("day", "2026-11-26"), ("start", "10:00"), ("end", "11:00"),
                   ("save_anyway", "y")), event=Ref("appointment"))
found("schedule.new_event", "coach", "/coach/events/new",
      PLAN + (("day", "2026-11-26"), ("start", "10:00"), ("end", "11:00"), ("repeat", "weekly"),
              ("weekdays", "0"), ("weekdays", "2"), ("until", "2026-11-27")))
SERIES_CHANGE = PLAN[:-1] + (("kind", "language_class"), ("day", "2026-12-01"), ("start", "13:00"), ("end", "15:00"),
                              ("scope", "following"), ("save_anyway", "y"))
found("schedule.edit_event", "coach", "/coach/events/{event}/edit", SERIES_CHANGE, event=Ref("series_event"))
found("schedule.edit_event", "coach", "/coach/events/{event}/edit", SERIES_CHANGE, event=Ref("series_event"))


# --- what a refusal shows -------------------------------------------------------------------------

class ErrorTexts(HTMLParser):
    """The visible text of error messages in a page: field errors, problem notices, the error page."""

    MARKS = frozenset({"error", "notice-problem", "error-page"})
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        marked = bool(self.MARKS & set((attributes.get("class") or "").split())) and "hidden" not in attributes
        if marked and not any(self.stack):
            self.texts.append("")
        self.stack.append(marked)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if any(self.stack):
            self.texts[-1] += data


def error_texts(response) -> list[str]:
    """What the person reads about what went wrong: the error messages of the page, or the JSON's `error`."""
    if response.is_json:
        return [str((response.get_json(silent=True) or {}).get("error", ""))]
    parser = ErrorTexts()
    parser.feed(response.get_data(as_text=True))
    return [" ".join(text.split()) for text in parser.texts if text.strip()]


def _english_sources(locale: str) -> set[str]:
    """Pieces (12 characters or more) of the English message ids that `locale` translates (not names
    like "Connection Café", which every language keeps), and of all of WTForms' own."""
    def pieces(msgid: str) -> set[str]:
        return {piece.strip() for piece in re.split(r"%\(\w+\)[sd]|%[sd]", msgid) if len(piece.strip()) >= 12}

    found = set()
    with (ROOT / f"webapp/translations/{locale}/LC_MESSAGES/messages.po").open("rb") as source:
        for message in read_po(source, locale=locale):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and set(ids) != set(strings):
                found |= {piece for msgid in ids for piece in pieces(msgid)}
    with (Path(messages_path()) / "wtforms.pot").open("rb") as source:
        for message in read_po(source):
            found |= {piece for msgid in (message.id if isinstance(message.id, tuple) else (message.id,))
                      for piece in pieces(msgid or "")}
    return found


ENGLISH = {locale: _english_sources(locale) for locale in ("ar", "ti")}
SCRIPTS = {"ar": ARABIC_LETTER, "ti": GEEZ_LETTER}


# --- the world the requests act on ----------------------------------------------------------------

class World:
    """Two coaches with their participants, a buddy, an admin, and something of each kind; ids by name."""

    def __init__(self, app):
        self.app = app
        self.ids: dict[str, object] = {}
        self.users: dict[str, int] = {}

    def add(self, name: str, row) -> None:
        db.session.add(row)
        db.session.flush()
        self.ids[name] = row.id if hasattr(row, "id") else row

    def resolve(self, value) -> str:
        if not isinstance(value, Ref):
            return value
        if value.name.startswith("new_") and value.name.endswith("_token"):
            return self._fresh_token(value.name.removeprefix("new_").removesuffix("_token"))
        return str(self.ids[value.name])

    def _fresh_token(self, kind: str) -> str:
        """A link for a person who has not signed up yet, so every example can use one."""
        with self.app.app_context():
            number = db.session.scalar(select(func.count()).select_from(User)) + 1
            if kind == "participant":
                person = User(role=Role.PARTICIPANT, display_name=f"Nieuw {number}", phone=f"+3162{number:07d}")
            else:
                person = User(role=Role.COACH, display_name=f"Nieuw {number}", email=f"nieuw{number}@example.org")
            db.session.add(person)
            db.session.flush()
            token = account_services.issue_activation_token(person, None)
            db.session.commit()
            return token


def _build_world(app) -> World:
    """Everything in one session and one commit: built again for each route, so it must be quick."""
    world = World(app)
    hashes = {"participant": generate_password_hash(conftest.TEST_PIN, CHEAP_HASH),
              "staff": generate_password_hash(conftest.TEST_PASSWORD, CHEAP_HASH)}
    roles = {"admin": Role.ADMIN, "coach": Role.COACH, "other_coach": Role.COACH, "buddy": Role.BUDDY,
             "other_buddy": Role.BUDDY, "amina": Role.PARTICIPANT, "yonas": Role.PARTICIPANT,
             "other_participant": Role.PARTICIPANT}
    people = {}
    for number, (name, role) in enumerate(roles.items(), start=1):
        contact = ({"phone": f"+31612345{number:03d}", "secret_hash": hashes["participant"]}
                   if role == Role.PARTICIPANT else
                   {"email": f"{name}@example.org", "secret_hash": hashes["staff"]})
        people[name] = User(role=role, display_name=name.replace("_", " ").title(), locale="ar", **contact)
        world.add(name, people[name])
        world.users[name] = people[name].id
    coach, amina, yonas, other = people["coach"], people["amina"], people["yonas"], people["other_participant"]
    buddy, other_buddy = people["buddy"], people["other_buddy"]
    world.ids |= {"amina_phone": "0" + amina.phone.removeprefix("+31"), "coach_email": coach.email}
    for coach_, participant in ((coach, amina), (coach, yonas), (people["other_coach"], other)):
        db.session.add(CoachAssignment(coach_id=coach_.id, participant_id=participant.id))
    world.add("match", BuddyMatch(buddy_id=buddy.id, participant_id=amina.id))
    world.add("other_match", BuddyMatch(buddy_id=other_buddy.id, participant_id=other.id))
    world.add("organisation", Organisation(name="Taalschool De Brug"))
    world.add("place", Location(name="De Brug", organisation_id=world.ids["organisation"]))
    world.add("other_place", Location(name="Stadhuis"))

    def event(name, kind, start, attendees, organiser=None, hours=1):
        row = Event(kind=kind, starts_at=local_to_utc(start), ends_at=local_to_utc(start + timedelta(hours=hours)),
                    organiser_id=organiser.id if organiser else None, location_id=world.ids["place"])
        row.attendances = [Attendance(user_id=person.id, status=AttendanceStatus.INVITED) for person in attendees]
        world.add(name, row)
        return row

    appointment = event("appointment", EventKind.COACH_APPOINTMENT, datetime(2026, 11, 26, 10), [amina], coach)
    past = event("past_appointment", EventKind.COACH_APPOINTMENT, datetime(2026, 11, 24, 10), [amina, yonas], coach)
    other_appointment = event("other_appointment", EventKind.COACH_APPOINTMENT, datetime(2026, 11, 26, 11), [other],
                              people["other_coach"])
    event("cafe_event", EventKind.CONNECTION_CAFE, datetime(2026, 11, 26, 19), [amina], coach)
    event("class_event", EventKind.LANGUAGE_CLASS, datetime(2026, 11, 27, 9), [amina])
    meeting = event("meeting", EventKind.BUDDY_MEETING, datetime(2026, 11, 27, 15), [amina, buddy], buddy)
    event("past_meeting", EventKind.BUDDY_MEETING, datetime(2026, 11, 23, 15), [amina, buddy], buddy)
    other_meeting = event("other_meeting", EventKind.BUDDY_MEETING, datetime(2026, 11, 27, 16), [other, other_buddy],
                          other_buddy)
    world.ids |= {"attendance": appointment.attendances[0].id, "past_attendance": past.attendances[0].id,
                  "other_attendance": other_appointment.attendances[0].id}
    for name, meeting_ in (("option", meeting), ("other_option", other_meeting)):
        world.add(name, MeetingOption(event_id=meeting_.id, starts_at=local_to_utc(datetime(2026, 11, 28, 11)),
                                      ends_at=local_to_utc(datetime(2026, 11, 28, 12))))
    series = create_series(members=[amina, yonas], rule="FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T235959",
                           first_start_local=datetime(2026, 11, 23, 9), duration=timedelta(hours=3),
                           kind=EventKind.LANGUAGE_CLASS, organiser_id=coach.id)
    world.ids["series_event"] = db.session.scalars(
        select(Event.id).where(Event.series_id == series.id, Event.starts_at > now_utc()).order_by(Event.starts_at)).first()
    world.ids["message"] = send(coach, [amina], Wording.own("Hallo", "nl")).id
    world.ids["other_message"] = send(people["other_coach"], [other], Wording.own("Hallo", "nl")).id
    for name, owner in (("device", amina), ("other_device", other)):
        world.add(name, PushSubscription(user_id=owner.id, endpoint=f"https://push.example.org/{name}",
                                         p256dh=P256DH, auth=AUTH))
        world.ids[f"{name}_endpoint"] = f"https://push.example.org/{name}"
    plan_window()
    db.session.commit()
    return world


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="module")
def bad_input_app(migrated):
    """One app for the whole module (an app per route would cost more than the examples)."""
    app = create_app(conftest.base_config(migrated) | {"PUSH_SEND_TEST_AT_ONCE": False})  # the test reminder is not sent
    app.test_client_class = conftest.TestClient
    yield app
    with app.app_context():
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def world(bad_input_app, monkeypatch):
    """A fresh world for each route; its examples share it, and what one saves the next one sees."""
    monkeypatch.setattr(account_services, "hash_secret", lambda secret: generate_password_hash(secret, CHEAP_HASH))
    monkeypatch.setattr(account_services, "_DUMMY_HASH", generate_password_hash("not-a-real-secret", CHEAP_HASH))
    with time_machine.travel(NOW, tick=False), bad_input_app.app_context():
        _empty_tables()
        world = _build_world(bad_input_app)
        db.session.remove()  # no session of the test may hold the database while the requests run
        yield world


# --- sending one request and judging the answer ---------------------------------------------------

ROW_COUNTS = text("SELECT " + ", ".join(f"(SELECT count(*) FROM {table.name}) AS {table.name}"
                                         for table in db.metadata.sorted_tables))


def row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return dict(connection.execute(ROW_COUNTS).one()._mapping)


def send_and_judge(world: World, request: Req, replanning: bool = False) -> None:
    """Send the request as `request.who`, in `request.locale`; then: no 500; a refusal changed nothing and
    says why in that language; a success left everything whole."""
    app = world.app
    path = request.path.format(**{name: world.resolve(value) for name, value in request.path_ids})
    fields = MultiDict([(name, world.resolve(value)) for name, value in request.fields])
    body = request.body
    if isinstance(body, dict) and isinstance(body.get("endpoint"), Ref):
        body = body | {"endpoint": world.resolve(body["endpoint"])}
    if request.who:
        with db.engine.begin() as connection:
            # Only when it differs: a transaction that writes nothing costs PostgreSQL no flush to disk.
            connection.execute(update(User).where(User.id == world.users[request.who],
                                                  or_(User.locale.is_(None), User.locale != request.locale))
                               .values(locale=request.locale))
    headers = {"Accept-Language": request.locale} | ({"HX-Request": "true"} if request.htmx else {})
    before = row_counts()
    with app.app_context():  # the request's own, ended (and its session removed) as in production
        user = db.session.get(User, world.users[request.who]) if request.who else None
        client = app.test_client(user=user) if user else app.test_client()
        if isinstance(body, bytes):
            response = client.open(path, method=request.method, data=body, headers=headers,
                                   content_type="application/json")
        elif body is not None or request.path.startswith("/push/subscriptions"):
            response = client.open(path, method=request.method, data=json.dumps(body), headers=headers,
                                   content_type="application/json")
        else:
            response = client.open(path, method=request.method, data=fields, headers=headers)
    status = response.status_code
    assert status < 500, f"{status} for {request}"
    if status >= 400:
        assert row_counts() == before, f"a refused request ({status}) changed the database: {request}"
        texts = error_texts(response)
        assert texts, f"{status} without a visible reason: {request}\n{response.get_data(as_text=True)[:3000]}"
        if request.locale in SCRIPTS:
            for text in texts:
                assert SCRIPTS[request.locale].search(text), f"not in {request.locale}: {text!r} for {request}"
                english = [piece for piece in ENGLISH[request.locale] if piece in text]
                assert not english, f"English in a refusal in {request.locale}: {english} in {text!r} for {request}"
    else:
        with app.app_context():
            check_consistency(replanning)


def check_consistency(replanning: bool) -> None:
    """What must hold after every success: nothing exists half."""
    empty_events = db.session.scalars(select(Event.id).where(~Event.attendances.any())).all()
    assert not empty_events, f"events without anyone: {empty_events}"
    meetings = db.session.execute(
        select(Event.id, func.count(Attendance.id)).join(Attendance).where(Event.kind == EventKind.BUDDY_MEETING)
        .group_by(Event.id)).all()
    assert all(count == 2 for _, count in meetings), f"buddy meetings not of two people: {meetings}"
    unaddressed = db.session.scalars(select(Message.id).where(~Message.recipients.any())).all()
    assert not unaddressed, f"messages to nobody: {unaddressed}"
    orphans = db.session.scalars(select(MessageRecipient.id).where(~MessageRecipient.recipient.has())).all()
    assert not orphans, f"messages to someone who is gone: {orphans}"
    nobody = db.session.scalars(select(Series.id).where(~Series.members.any())).all()
    assert not nobody, f"series for nobody: {nobody}"
    with_events = set(db.session.scalars(select(Event.series_id).where(Event.series_id.is_not(None)).distinct()))
    for series in db.session.scalars(select(Series).where(Series.id.not_in(with_events))):
        first = parse_rule(series.rrule, series.first_start_local).after(series.first_start_local, inc=True)
        assert first is not None, f"series {series.id} never happens: {series.rrule} from {series.first_start_local}"
        assert local_to_utc(first) > series.expanded_until, f"series {series.id} has no activities"
    now = now_utc()
    for notification, event in db.session.execute(select(Notification, Event).join(Event).where(
            Notification.status == NotificationStatus.PENDING, Notification.reason.in_(REMINDERS))):
        assert not event.is_cancelled, f"a reminder waits for cancelled event {event.id}"
        assert notification.due_at == reminder_due(event, notification.reason), f"reminder {notification.id} is stale"
    if not replanning:
        return  # reminders after a change of settings or accounts come with the planner's next sweep
    # One-off activities get their reminders when planned or changed (series occurrences from the sweep).
    planned = {(row.user_id, row.reason, row.ref) for row in db.session.scalars(
        select(Notification).where(Notification.status == NotificationStatus.PENDING))}
    for event in db.session.scalars(select(Event).where(
            Event.series_id.is_(None), Event.cancelled_at.is_(None), Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=36))):
        missing = [row for row in _reminder_rows(event, now) if (row["user_id"], row["reason"], row["ref"]) not in planned]
        assert not missing, f"reminders not planned for event {event.id}: {missing}"


# --- the tests ------------------------------------------------------------------------------------

def test_every_state_changing_route_has_a_strategy(bad_input_app):
    routes = {rule.endpoint for rule in bad_input_app.url_map.iter_rules() if rule.methods & CHANGING}
    assert len(routes) > 30
    assert routes - set(CASES) == set(), "a form without bad-input tests: add a case() for it"
    assert set(CASES) - routes == set(), "a case() for a route that is gone"


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_any_input_is_refused_in_words_or_saved_whole(world, endpoint):
    strategy, examples = CASES[endpoint]

    def attempt(request):
        send_and_judge(world, request, endpoint in REPLANNING)

    for regression in FOUND.get(endpoint, []):
        attempt = example(regression)(attempt)
    settings(max_examples=max(1, round(examples * SCALE)), deadline=None, database=None,
             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])(
        given(strategy)(attempt))()
