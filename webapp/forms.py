"""The base of every form: WTForms' own messages in our words and catalogs.

WTForms writes some errors itself (a date that is no date, a choice that was not offered) and
translates them with its own catalogs, which have no Tigrinya and lack some Arabic; these few are
ours instead, so they read like the rest of the app in every language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as FlaskWTFForm
from flask_wtf.i18n import translations as wtforms_translations

CHOOSE_AN_OPTION = _l("Choose one of the options.")
OWN_WORDS = {
    "Not a valid date value.": _l("This is not a date. Choose a date."),
    "Not a valid time value.": _l("This is not a time. Write a time like 14:30."),
    "Not a valid choice.": CHOOSE_AN_OPTION,
    "Invalid Choice: could not coerce.": CHOOSE_AN_OPTION,
    "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE_AN_OPTION,
    "'%(value)s' is not a valid choice for this field.": CHOOSE_AN_OPTION,
}


class OwnWordsFirst:
    """WTForms' translations object: our words where we have them, else WTForms' catalog."""

    def gettext(self, string: str) -> str:
        own = OWN_WORDS.get(string)
        return str(own) if own is not None else wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        own = OWN_WORDS.get(singular)
        return str(own) if own is not None else wtforms_translations.ngettext(singular, plural, n)


OWN_WORDS_FIRST = OwnWordsFirst()


class FlaskForm(FlaskWTFForm):
    """Flask-WTF's form (CSRF and all) with WTForms' own messages in our words."""

    class Meta:
        def get_translations(self, form):
            return OWN_WORDS_FIRST
