"""The answer to an invitation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from .models import AttendanceStatus, DeclineReason

REASON_TEXT_MAX = 200


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
    reason_text = TextAreaField(_l("Tell us more (you may leave this empty)"), validators=[
        Length(max=REASON_TEXT_MAX, message=_l("Please write at most %(max)d characters.")),
    ])

    def validate_reason(self, field):
        if self.answer.data != AttendanceStatus.DECLINED.value:
            return
        if field.data not in {reason.value for reason in DeclineReason}:
            raise ValidationError(_l("Choose why you can't come."))
