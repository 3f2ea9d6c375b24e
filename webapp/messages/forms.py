"""Writing a message to one participant or a group."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import BooleanField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import FlaskForm
from ..phrases.book import Writer
from ..phrases.forms import PhrasesField
from .services import BODY_MAX


class ComposeForm(FlaskForm):
    recipients = SelectMultipleField(_l("To"), coerce=int, widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput())
    phrases = PhrasesField(_l("Ready-made sentences (each participant reads them in their language)"),
                           writer=Writer.STAFF)
    event_id = SelectField(_l("About which appointment"), coerce=int)
    send_as_written = BooleanField(_l("Send my own text as written"))
    body = TextAreaField(_l("Your own text (shown as you write it, not translated)"), validators=[Length(
        max=BODY_MAX, message=lazy_ngettext("Please write at most %(num)d character.",
                                            "Please write at most %(num)d characters.", BODY_MAX))])

    def validate_recipients(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one participant."))

    def validate_body(self, field):
        if not self.phrases.data and not (field.data or "").strip():
            raise ValidationError(_l("Choose a sentence or write your own text."))
