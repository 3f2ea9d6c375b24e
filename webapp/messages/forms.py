"""Writing a message to one participant or a group."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import FlaskForm
from .services import BODY_MAX


class ComposeForm(FlaskForm):
    recipients = SelectMultipleField(_l("To"), coerce=int, widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput())
    template_key = SelectField(_l("Message"))
    event_id = SelectField(_l("About which appointment"), coerce=int)
    body = TextAreaField(_l("Your own text (shown as you write it)"), validators=[Length(
        max=BODY_MAX, message=lazy_ngettext("Please write at most %(num)d character.",
                                            "Please write at most %(num)d characters.", BODY_MAX))])

    def validate_recipients(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one participant."))

    def validate_body(self, field):
        if self.template_key.data == "" and not (field.data or "").strip():
            raise ValidationError(_l("Choose a message or write your own text."))
