"""Proposing, moving and cancelling a buddy meeting."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Optional, ValidationError

from ..forms import FlaskForm
from ..schedule.forms import at_most, within_planning_years

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
    note = TextAreaField(_l("Note (you may leave this empty)"), validators=[at_most(500)])
    other_day_1 = DateField(_l("Another possible date"), validators=[Optional(), within_planning_years])
    other_start_1 = TimeField(_l("From"), validators=[Optional()])
    other_day_2 = DateField(_l("Another possible date"), validators=[Optional(), within_planning_years])
    other_start_2 = TimeField(_l("From"), validators=[Optional()])

    def alternatives(self) -> list[tuple]:
        """The extra times offered, each as long as the main one."""
        pairs = [(self.other_day_1.data, self.other_start_1.data), (self.other_day_2.data, self.other_start_2.data)]
        return [pair for pair in pairs if pair[0] and pair[1]]


class MoveForm(SlotForm):
    reason = TextAreaField(_l("Why? (you may leave this empty)"), validators=[at_most(REASON_MAX)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why? (you may leave this empty)"), validators=[at_most(REASON_MAX)])
