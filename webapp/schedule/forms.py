"""The answer to an invitation, and what a coach plans."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from datetime import timedelta

from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .models import AttendanceStatus, DeclineReason

REASON_TEXT_MAX = 200


def at_most(characters: int) -> Length:
    """A length limit whose message agrees with the number in every language."""
    return Length(max=characters, message=lazy_ngettext(
        "Please write at most %(num)d character.", "Please write at most %(num)d characters.", characters))


class AnswerForm(FlaskForm):
    answer = StringField(validators=[
        DataRequired(message=_l("Choose an answer.")),
        AnyOf([AttendanceStatus.CONFIRMED.value, AttendanceStatus.DECLINED.value],
              message=_l("Choose an answer.")),
    ])
    reason = RadioField(
        _l("Why can't you come?"),
        choices=[SelectChoice(reason.value) for reason in DeclineReason],
        validate_choice=False,  # checked in validate_reason, only when declining
    )
    reason_text = TextAreaField(_l("Tell us more (you may leave this empty)"), validators=[at_most(REASON_TEXT_MAX)])

    def validate_reason(self, field):
        if self.answer.data != AttendanceStatus.DECLINED.value:
            return
        if field.data not in {reason.value for reason in DeclineReason}:
            raise ValidationError(_l("Choose why you can't come."))


class PlanForm(FlaskForm):
    """What a coach plans: who, what, where, when, and whether it repeats weekly."""

    people = SelectMultipleField(_l("For whom"), coerce=int, validate_choice=True,
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    kind = SelectField(_l("Kind of activity"))
    title = StringField(_l("Title (you may leave this empty)"), validators=[at_most(160)])
    location_id = SelectField(_l("Place"), coerce=int)
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Fill in a date."))])
    start = TimeField(_l("From"), validators=[InputRequired(message=_l("Fill in a start time."))])
    end = TimeField(_l("Until"), validators=[InputRequired(message=_l("Fill in an end time."))])
    repeat = RadioField(_l("Repeat"), default="once", choices=[
        SelectChoice("once", _l("Once")), SelectChoice("weekly", _l("Every week"))])
    weekdays = SelectMultipleField(_l("On these days"), coerce=int, validate_choice=False,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    until = DateField(_l("Last day"), validators=[Optional()])
    note = TextAreaField(_l("Note for the participant (you may leave this empty)"), validators=[at_most(2000)])
    scope = RadioField(_l("Change"), default="this", choices=[
        SelectChoice("this", _l("Only this one")), SelectChoice("following", _l("This one and all later ones"))])
    save_anyway = BooleanField(_l("Save anyway"))

    def validate_people(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one participant."))

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end time must be after the start time."))

    def validate_weekdays(self, field):
        if self.repeat.data != "weekly":
            return
        if not field.data or not set(field.data) <= set(range(7)):
            raise ValidationError(_l("Choose the days of the week."))

    def validate_until(self, field):
        if self.repeat.data != "weekly":
            return
        if not field.data:
            raise ValidationError(_l("Fill in the last day."))
        if self.day.data and not self.day.data <= field.data <= self.day.data + timedelta(days=366):
            raise ValidationError(_l("The last day must be after the date, at most a year later."))
