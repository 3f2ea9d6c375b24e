"""How each kind of activity is named and drawn, the same everywhere."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..accounts.models import Role
from .models import AttendanceStatus, DeclineReason, EventKind, Outcome


@dataclass(frozen=True)
class KindStyle:
    label: object  # a lazy string, translated when shown
    dutch_word: str  # the word people hear every day, shown beside the translation
    icon: str


KIND_STYLES: dict[EventKind, KindStyle] = {
    EventKind.LANGUAGE_CLASS: KindStyle(_l("Dutch class"), "taalles", "book"),
    EventKind.WORK: KindStyle(_l("Workplace"), "werkplek", "work"),
    EventKind.CONNECTION_CAFE: KindStyle(_l("Connection Café"), "Connection Café", "cafe"),
    EventKind.COACH_APPOINTMENT: KindStyle(_l("Appointment with your coach"), "afspraak met je coach", "coach"),
    EventKind.BUDDY_MEETING: KindStyle(_l("Meeting with your language buddy"), "taalmaatje", "buddy"),
    EventKind.TRAINING: KindStyle(_l("Training"), "training", "training"),
    EventKind.OTHER: KindStyle(_l("Other"), "overig", "other"),
}

# Said by the participant; staff read the same words in their own language.
DECLINE_REASONS: dict[DeclineReason, object] = {
    DeclineReason.SICK: _l("I am sick"),
    DeclineReason.CHILD_ILL: _l("My child is ill"),
    DeclineReason.DOCTOR: _l("A doctor's or hospital appointment"),
    DeclineReason.AUTHORITY: _l("An appointment with the municipality, IND or DUO"),
    DeclineReason.NO_TRANSPORT: _l("I have no transport"),
    DeclineReason.WORK: _l("I have to work"),
    DeclineReason.FORGOT: _l("I forgot"),
    DeclineReason.OTHER: _l("Something else"),
}

STATUS_LABELS: dict[AttendanceStatus, object] = {
    AttendanceStatus.INVITED: _l("No answer yet"),
    AttendanceStatus.CONFIRMED: _l("Coming"),
    AttendanceStatus.DECLINED: _l("Can't come"),
}

OUTCOME_LABELS: dict[Outcome, object] = {
    Outcome.ATTENDED: _l("Came"),
    Outcome.EXCUSED: _l("Excused"),
    Outcome.ABSENT: _l("Did not come"),
    Outcome.CANCELLED: _l("Cancelled"),
}


ROLE_LABELS: dict[Role, object] = {
    Role.PARTICIPANT: _l("Participant"),
    Role.COACH: _l("Coach"),
    Role.BUDDY: _l("Language buddy"),
    Role.ADMIN: _l("Administrator"),
}
