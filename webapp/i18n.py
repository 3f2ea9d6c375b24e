"""The locale in one function, and what follows from it (text direction, names)."""
from __future__ import annotations

from flask import request, session
from flask_babel import refresh
from flask_login import current_user

# Each language named in its own script, as people recognise it.
LANGUAGES: dict[str, str] = {
    "nl": "Nederlands",
    "en": "English",
    "ar": "العربية",
    "ti": "ትግርኛ",
}
RIGHT_TO_LEFT = {"ar"}
DEFAULT_LOCALE = "nl"


def N_(text: str) -> str:
    """Mark a string for extraction only: it is translated later, in the reader's language."""
    return text


def select_locale() -> str:
    """The user's saved language, else an explicit choice, else the browser's, else Dutch.

    Flask-Babel calls this once per request and caches the answer.
    """
    locale = None
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        locale = current_user.locale
    if locale is None and session.get("locale") in LANGUAGES:
        locale = session["locale"]
    if locale is None:
        locale = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE
    return locale


def writing_language(user) -> str:
    """The language a person writes their own text in: their own language (staff: Dutch unless
    they chose another)."""
    return user.locale if user.locale in LANGUAGES else DEFAULT_LOCALE


def shows_dutch_words(user, locale: str) -> bool:
    """Whether to show the Dutch word beside each activity and main button.

    On by default for everyone who reads the app in another language: these are
    the words people hear at school and at work every day.
    """
    if user is not None and user.is_authenticated and user.show_dutch_words is not None:
        return user.show_dutch_words
    return locale != "nl"


def text_direction(locale: str) -> str:
    return "rtl" if locale in RIGHT_TO_LEFT else "ltr"


def remember_choice(locale: str) -> None:
    """Store an explicit language choice for this browser and, when signed in, the account."""
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
    refresh()
