"""Organisations and the places where activities happen."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from ..forms import FlaskForm
from ..schedule.forms import at_most as _limit


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Fill in a name.")), _limit(160)])


class LocationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Fill in a name.")), _limit(160)])
    organisation_id = SelectField(_l("Organisation"), coerce=int)
    address = StringField(_l("Street and number"), validators=[_limit(200)])
    city = StringField(_l("Town"), validators=[_limit(100)])
    directions = TextAreaField(_l("How to find it (you may leave this empty)"), validators=[_limit(1000)])
