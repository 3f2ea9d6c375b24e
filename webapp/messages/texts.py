"""Message templates: gettext strings with parameters, rendered in each reader's own language.

A coach writes once; each participant reads it in their language and the coach reads the
Dutch version. Parameters are stored as plain values (an event id), and turned into words
(a day and time) in the reader's language when the message is shown.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from ..i18n import N_
from ..schedule.models import Event


@dataclass(frozen=True)
class MessageText:
    label: object  # what the coach picks from
    text: str  # the msgid; %(when)s is the related event's day and time
    needs_event: bool = False


COACH_TEMPLATES: dict[str, MessageText] = {
    "appointment_reminder": MessageText(
        _l("Appointment reminder"), N_("Remember our appointment on %(when)s. See you then!"), needs_event=True),
    "appointment_moved": MessageText(
        _l("Appointment moved"), N_("Our appointment has moved. The new time is %(when)s."), needs_event=True),
    "bring_documents": MessageText(
        _l("Bring your documents"), N_("Please bring your documents to our appointment on %(when)s: your ID and your letters."),
        needs_event=True),
    "class_cancelled": MessageText(
        _l("Class cancelled"), N_("Your Dutch class on %(when)s is cancelled. You do not have to go."), needs_event=True),
    "please_call_me": MessageText(
        _l("Please call me"), N_("Please call me when you can.")),
}

QUICK_REPLIES: dict[str, MessageText] = {
    "reply_ok": MessageText(
        _l("OK"), N_("OK")),
    "reply_late": MessageText(
        _l("I'll be late"), N_("I'll be late.")),
    "reply_cannot_come": MessageText(
        _l("I can't come"), N_("I can't come.")),
    "reply_call_me": MessageText(
        _l("Please call me"), N_("Please call me.")),
}

ALL_TEXTS = COACH_TEMPLATES | QUICK_REPLIES

def render_text(template_key: str | None, body: str, event: Event | None, locale: str) -> str:
    """The words of a message in `locale`; free text stays as written."""
    if not template_key:
        return body
    from ..formatting import clock, short_day

    with force_locale(locale):
        when = f"{short_day(event.starts_at)} {clock(event.starts_at)}" if event else ""
        return gettext(ALL_TEXTS[template_key].text, when=when)
