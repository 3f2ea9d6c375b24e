"""The answer to an invitation, and what a coach plans."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
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
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import FlaskForm
from ..phrases.book import INTERPRETER_LANGUAGES
from ..phrases.forms import PhrasesField, language_choices
from .models import AttendanceStatus, DeclineReason

REASON_TEXT_MAX = 200


def at_most(characters: int) -> Length:
    """A length limit whose message agrees with the number in every language."""
    return Length(max=characters, message=lazy_ngettext(
        "Please write at most %(num)d character.", "Please write at most %(num)d characters.", characters))


PLANNING_YEARS = (date(2000, 1, 1), date(2100, 12, 31))


def within_planning_years(_form, field) -> None:
    """A date like 0001-01-01 or 9999-12-31 is no plan, and cannot even be turned into UTC."""
    if field.data and not PLANNING_YEARS[0] <= field.data <= PLANNING_YEARS[1]:
        raise ValidationError(_l("Choose a date closer to today."))


def needed_when_weekly(form, field) -> None:
    """The last day of a weekly series: needed then, and nothing to check when left empty otherwise.

    (WTForms' Optional() would end the checks before validate_until could ask for it.)"""
    if field.raw_data and field.raw_data[0].strip():
        return
    field.errors[:] = []  # "not a date" for an empty field
    raise StopValidation(_l("Fill in the last day.") if form.repeat.data == "weekly" else None)


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


def interpreter_choices() -> list[SelectChoice]:
    """"No interpreter", then the languages one can be booked for, named in the page's language."""
    return [SelectChoice("", _l("No interpreter"))] + [SelectChoice(code, name) for code, name in language_choices()]


# Own text beside the phrases: said plainly that it reaches everyone as it is written.
OWN_TEXT = _l("Your own text (shown as you write it, not translated; you may leave this empty)")
REASON_GROUPS = ("changes", "help", "where")


def own_text(characters: int) -> TextAreaField:
    return TextAreaField(OWN_TEXT, validators=[at_most(characters)])


class CancelForm(FlaskForm):
    """Why an activity is cancelled: ready-made sentences and maybe own text, both shown to everyone concerned."""

    reason_phrases = PhrasesField(_l("Reason: ready-made sentences, in each participant's language"),
                                  groups=REASON_GROUPS)
    reason = own_text(REASON_TEXT_MAX)
    send_as_written = BooleanField(_l("Send my own text as written"))
    scope = RadioField(_l("Cancel"), default="this", validate_choice=False, choices=[
        SelectChoice("this", _l("Only this one")), SelectChoice("following", _l("This one and all later ones"))])

    def validate_reason(self, field):
        if not self.reason_phrases.data and not (field.data or "").strip():
            raise ValidationError(_l("Say why: choose a sentence or write your own text."))


class PlanForm(FlaskForm):
    """What a coach plans: who, what, where, when, and whether it repeats weekly."""

    people = SelectMultipleField(_l("For whom"), coerce=int, validate_choice=True,
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    kind = SelectField(_l("Kind of activity"))
    title = StringField(_l("Title (you may leave this empty)"), validators=[at_most(160)])
    location_id = SelectField(_l("Place"), coerce=int)
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Fill in a date.")), within_planning_years])
    start = TimeField(_l("From"), validators=[InputRequired(message=_l("Fill in a start time."))])
    end = TimeField(_l("Until"), validators=[InputRequired(message=_l("Fill in an end time."))])
    # Anything but "weekly" plans once, and anything but "following" changes only this one: an odd value
    # (only a hand-made request sends one) is not worth an error that has no place on the page.
    repeat = RadioField(_l("Repeat"), default="once", validate_choice=False, choices=[
        SelectChoice("once", _l("Once")), SelectChoice("weekly", _l("Every week"))])
    weekdays = SelectMultipleField(_l("On these days"), coerce=int, validate_choice=False,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    until = DateField(_l("Last day"), validators=[needed_when_weekly, within_planning_years])
    note_phrases = PhrasesField(_l("Note for the participants: ready-made sentences, in their own language"))
    note = own_text(2000)
    interpreter = SelectField(_l("Interpreter"), default="", validate_choice=False)
    # Only when changing: why it changed, shown beside "Moved to …" in everyone's language.
    reason_phrases = PhrasesField(_l("Reason for the change: ready-made sentences (you may leave this empty)"),
                                  groups=REASON_GROUPS)
    reason = own_text(REASON_TEXT_MAX)
    send_as_written = BooleanField(_l("Send my own text as written"))
    scope = RadioField(_l("Change"), default="this", validate_choice=False, choices=[
        SelectChoice("this", _l("Only this one")), SelectChoice("following", _l("This one and all later ones"))])
    save_anyway = BooleanField(_l("Save anyway"))

    def validate_people(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one participant."))

    def validate_interpreter(self, field):
        if field.data and field.data not in INTERPRETER_LANGUAGES:
            raise ValidationError(_l("Choose a language from the list."))

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
        if self.day.errors or field.errors:
            return  # what is wrong with the dates themselves is said already
        if self.day.data and not self.day.data <= field.data <= self.day.data + timedelta(days=366):
            raise ValidationError(_l("The last day must be after the date, at most a year later."))
        days_in_span = {(self.day.data + timedelta(days=offset)).weekday()
                        for offset in range(min(7, (field.data - self.day.data).days + 1))}
        if not days_in_span & set(self.weekdays.data or []):
            # Saved, such a series would be in nobody's week.
            raise ValidationError(_l("None of the chosen days falls between the date and the last day."))
