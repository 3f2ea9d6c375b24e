"""Proposing, moving and cancelling a buddy meeting."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Optional, ValidationError

from ..forms import FlaskForm
from ..phrases.book import Writer
from ..phrases.forms import PhrasesField
from ..schedule.forms import at_most, own_text, within_planning_years

REASON_MAX = 200


def _end_after_start(start_field, end_field):
    if start_field.data and end_field.data and end_field.data <= start_field.data:
        raise ValidationError(_l("The end time must be after the start time."))


class SlotForm(FlaskForm):
    """A day and a time span."""

    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Fill in a date.")), within_planning_years])
    start = TimeField(_l("From"), validators=[InputRequired(message=_l("Fill in a start time."))])
    end = TimeField(_l("Until"), validators=[InputRequired(message=_l("Fill in an end time."))])

    def validate_end(self, field):
        _end_after_start(self.start, field)


class ProposeForm(SlotForm):
    location_id = SelectField(_l("Place"), coerce=int)
    note_phrases = PhrasesField(_l("Note: ready-made sentences, in your match's own language"),
                                groups=("bring", "where", "help"))
    note = own_text(500)
    send_as_written = BooleanField(_l("Send my own text as written"))
    other_day_1 = DateField(_l("Another possible date"), validators=[Optional(), within_planning_years])
    other_start_1 = TimeField(_l("From"), validators=[Optional()])
    other_day_2 = DateField(_l("Another possible date"), validators=[Optional(), within_planning_years])
    other_start_2 = TimeField(_l("From"), validators=[Optional()])

    def alternatives(self) -> list[tuple]:
        """The extra times offered, each as long as the main one."""
        pairs = [(self.other_day_1.data, self.other_start_1.data), (self.other_day_2.data, self.other_start_2.data)]
        return [pair for pair in pairs if pair[0] and pair[1]]


class ReasonFields:
    """Why a meeting moves or is cancelled: sentences the other reads in their own language, and own text.

    A buddy picks from the staff sentences, a participant from their reasons (`for_writer`)."""

    reason_phrases = PhrasesField(_l("Why? Choose one or more sentences"), groups=("changes",))
    reason = TextAreaField(_l("Or write it yourself"), validators=[at_most(REASON_MAX)])
    send_as_written = BooleanField(_l("Send my own text as written"))

    def for_writer(self, role_value: str):
        if role_value == "participant":
            self.reason_phrases.writer, self.reason_phrases.groups = Writer.PARTICIPANT, ("reasons",)
        return self


class MoveForm(ReasonFields, SlotForm):
    pass


class CancelForm(ReasonFields, FlaskForm):
    """Cancelling always says why, so the other person is not left guessing."""

    def validate_reason(self, field):
        if not self.reason_phrases.data and not (field.data or "").strip():
            raise ValidationError(_l("Say why: choose a sentence or write your own text."))
