"""The phrase book: every ready-made sentence that one person writes and another reads.

Staff (a coach, a taalmaatje, later a school or a workplace) pick phrases for an activity's
note, a reason for a change, or a message; participants pick theirs for "I can't come",
"another time" and replies. What is stored is a key and its parameters (see `wording.py`);
each reader gets the sentence in their own language when it is shown or sent, so a corrected
translation reaches old notes too.

The msgids are English; the catalogs hold the four languages. A key never changes once
used: it is stored in people's notes and messages.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from ..i18n import N_


class ParamKind(StrEnum):
    """What a phrase's gap holds, and so how it is typed, checked and shown."""

    TIME = "time"  # "14:30", shown as the reader's clock
    LANGUAGE = "language"  # a CLDR language code, shown as the language's name in the reader's language
    ROOM = "room"  # a room's name or number as written on its door ("2.14", "Zaal B"): data, not a sentence
    NUMBER = "number"  # a small whole number (minutes, a floor)
    WHEN = "when"  # the day and time of the activity a message is about; filled in from that activity


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    label: object  # what the writer sees next to the field
    minimum: int = 0  # for numbers
    maximum: int = 0


class Writer(StrEnum):
    """Who picks the phrase: staff write to participants, participants answer staff."""

    STAFF = "staff"
    PARTICIPANT = "participant"


@dataclass(frozen=True)
class Group:
    key: str
    label: object
    writer: Writer


@dataclass(frozen=True)
class Phrase:
    key: str
    group: str
    text: str  # the msgid, with %(name)s for each parameter
    params: tuple[Param, ...] = ()

    @property
    def needs_event(self) -> bool:
        return any(param.kind == ParamKind.WHEN for param in self.params)

    @property
    def typed_params(self) -> tuple[Param, ...]:
        """The parameters the writer fills in (the activity's time is filled in by itself)."""
        return tuple(param for param in self.params if param.kind != ParamKind.WHEN)


ROOM = Param("room", ParamKind.ROOM, _l("Room"))
TIME = Param("time", ParamKind.TIME, _l("Time"))
LANGUAGE = Param("language", ParamKind.LANGUAGE, _l("Language"))
MINUTES = Param("minutes", ParamKind.NUMBER, _l("Minutes"), minimum=5, maximum=120)
FLOOR = Param("floor", ParamKind.NUMBER, _l("Floor"), minimum=0, maximum=30)
WHEN = Param("when", ParamKind.WHEN, _l("About which appointment"))

GROUPS: dict[str, Group] = {group.key: group for group in (
    Group("bring", _l("What to bring"), Writer.STAFF),
    Group("where", _l("Where and how"), Writer.STAFF),
    Group("changes", _l("Changes"), Writer.STAFF),
    Group("help", _l("Help"), Writer.STAFF),
    Group("messages", _l("Messages"), Writer.STAFF),
    Group("reasons", _l("Why"), Writer.PARTICIPANT),
    Group("replies", _l("Answers"), Writer.PARTICIPANT),
)}


def _phrases(*phrases: Phrase) -> dict[str, Phrase]:
    return {phrase.key: phrase for phrase in phrases}


PHRASES: dict[str, Phrase] = _phrases(
    # bring
    Phrase("bring_id_card", "bring", N_("Bring your ID card.")),
    Phrase("bring_residence_permit", "bring", N_("Bring your residence permit.")),
    Phrase("bring_duo_letter", "bring", N_("Bring the letter from DUO.")),
    Phrase("bring_letters", "bring", N_("Bring the letters you got.")),
    Phrase("bring_bank_card", "bring", N_("Bring your bank card.")),
    Phrase("bring_agenda", "bring", N_("Bring your agenda.")),
    Phrase("bring_notebook", "bring", N_("Bring a notebook and a pen.")),
    Phrase("bring_work_shoes", "bring", N_("Bring work shoes.")),
    Phrase("bring_work_clothes", "bring", N_("Bring work clothes.")),
    Phrase("bring_lunch", "bring", N_("Bring your lunch.")),
    Phrase("bring_diplomas", "bring", N_("Bring your diplomas and certificates.")),
    Phrase("bring_nothing", "bring", N_("You do not need to bring anything.")),
    # where and how
    Phrase("meet_entrance", "where", N_("We meet at the main entrance.")),
    Phrase("go_reception", "where", N_("Go to the reception desk first.")),
    Phrase("ring_bell", "where", N_("Ring the bell at the door.")),
    Phrase("in_room", "where", N_("It is in room %(room)s."), (ROOM,)),
    Phrase("on_floor", "where", N_("It is on floor %(floor)s."), (FLOOR,)),
    Phrase("class_online", "where", N_("The class is online. You get the link from your teacher.")),
    Phrase("meeting_online", "where", N_("We meet online, with a video call.")),
    Phrase("come_early", "where", N_("Please come %(minutes)s minutes early."), (MINUTES,)),
    Phrase("message_if_late", "where", N_("Are you late? Send a message.")),
    # changes
    Phrase("teacher_ill", "changes", N_("The teacher is ill. The class does not go ahead.")),
    Phrase("school_holiday", "changes", N_("It is a school holiday. There is no class.")),
    Phrase("public_holiday", "changes", N_("It is a public holiday.")),
    Phrase("building_closed", "changes", N_("The building is closed.")),
    Phrase("coach_ill", "changes", N_("Your coach is ill. You get a new appointment.")),
    Phrase("other_room", "changes", N_("It is in another room: %(room)s."), (ROOM,)),
    Phrase("later_start", "changes", N_("It starts later, at %(time)s."), (TIME,)),
    Phrase("earlier_end", "changes", N_("It ends earlier, at %(time)s."), (TIME,)),
    Phrase("online_this_time", "changes", N_("This time it is online.")),
    Phrase("new_time_follows", "changes", N_("You get a new time soon.")),
    Phrase("cannot_make_it", "changes", N_("I can't come at this time. Sorry!")),
    # help
    Phrase("interpreter_for", "help", N_("An interpreter for %(language)s will be there."), (LANGUAGE,)),
    Phrase("travel_costs_paid", "help", N_("Your travel costs are paid. Keep your ticket.")),
    Phrase("childcare_arranged", "help", N_("Childcare is arranged.")),
    Phrase("child_welcome", "help", N_("You may bring your child.")),
    Phrase("questions_welcome", "help", N_("You can ask all your questions.")),
    Phrase("free_of_charge", "help", N_("It is free. You do not pay anything.")),
    # messages (the coach's ready-made messages; their keys were message templates before)
    Phrase("appointment_reminder", "messages", N_("Remember our appointment on %(when)s. See you then!"), (WHEN,)),
    Phrase("appointment_moved", "messages", N_("Our appointment has moved. The new time is %(when)s."), (WHEN,)),
    Phrase("bring_documents", "messages",
           N_("Please bring your documents to our appointment on %(when)s: your ID and your letters."), (WHEN,)),
    Phrase("class_cancelled", "messages", N_("Your Dutch class on %(when)s is cancelled. You do not have to go."),
           (WHEN,)),
    Phrase("please_call_me", "messages", N_("Please call me when you can.")),
    # reasons a participant gives (for "another time" and for moving or cancelling a meeting)
    Phrase("reason_sick", "reasons", N_("I am sick.")),
    Phrase("reason_child_ill", "reasons", N_("My child is ill.")),
    Phrase("reason_doctor", "reasons", N_("I have an appointment with a doctor or at the hospital.")),
    Phrase("reason_authority", "reasons", N_("I have an appointment with the municipality, IND or DUO.")),
    Phrase("reason_transport", "reasons", N_("I have no transport.")),
    Phrase("reason_work", "reasons", N_("I have to work.")),
    Phrase("reason_forgot", "reasons", N_("I forgot. Sorry!")),
    # a participant's one-tap replies to a message
    Phrase("reply_ok", "replies", N_("OK")),
    Phrase("reply_thanks", "replies", N_("Thank you!")),
    Phrase("reply_coming", "replies", N_("I will come.")),
    Phrase("reply_late", "replies", N_("I'll be late.")),
    Phrase("reply_cannot_come", "replies", N_("I can't come.")),
    Phrase("reply_child_ill", "replies", N_("I can't come: my child is ill.")),
    Phrase("reply_doctor", "replies", N_("I can't come: I have an appointment with a doctor.")),
    Phrase("reply_dont_understand", "replies", N_("I don't understand the message.")),
    Phrase("reply_call_me", "replies", N_("Please call me.")),
)


def phrases_for(writer: Writer, groups: tuple[str, ...] | None = None) -> list[Phrase]:
    """The phrases this kind of writer may pick, in book order (optionally only some groups)."""
    return [phrase for phrase in PHRASES.values()
            if GROUPS[phrase.group].writer == writer and (groups is None or phrase.group in groups)]


def groups_of(phrases: list[Phrase]) -> list[tuple[Group, list[Phrase]]]:
    """Phrases grouped the way a coach thinks, each group once, in book order."""
    grouped: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase.group, []).append(phrase)
    return [(GROUPS[key], items) for key, items in grouped.items()]


# Languages a coach books an interpreter for, most asked first in Dutch municipalities
# (refugees' languages; fa_AF is Dari); names come from CLDR in the reader's language.
INTERPRETER_LANGUAGES = ("ar", "ti", "am", "fa", "fa_AF", "ps", "so", "ku", "ckb", "tr", "uk", "ru", "en", "fr")
