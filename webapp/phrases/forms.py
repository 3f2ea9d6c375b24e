"""Picking phrases in a form: checkboxes grouped as in the book, with a field for each gap.

Written by hand because no WTForms field reads a variable set of inputs per choice (a phrase
and its room, time or language); it keeps what was typed when something is wrong.
"""
from __future__ import annotations

import re

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.utils import unset_value

from .book import (
    INTERPRETER_LANGUAGES,
    PHRASES,
    Param,
    ParamKind,
    Phrase,
    Writer,
    groups_of,
    phrases_for,
)
from .wording import PhraseUse, language_name

MAX_PHRASES = 8
ROOM_MAX = 20
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
GAP = "[…]"  # where the writer fills in a time, a room, a language


def phrase_label(phrase: Phrase) -> str:
    """The phrase in the page's language with "[…]" in its gaps, as the writer picks it."""
    values = {param.name: GAP for param in phrase.params}
    return _(phrase.text, **values) if values else _(phrase.text)


def language_choices() -> list[tuple[str, str]]:
    """Languages an interpreter can be booked for, named in the page's language."""
    locale = str(get_locale())
    return [(code, language_name(code, locale)) for code in INTERPRETER_LANGUAGES]


def _check(param: Param, value: str, label: str) -> str | None:
    """What is wrong with a typed gap, in the page's language; None when it is fine."""
    if param.kind == ParamKind.TIME and not CLOCK.match(value):
        return _("Fill in a time like 14:30 for “%(phrase)s”.", phrase=label)
    if param.kind == ParamKind.LANGUAGE and value not in INTERPRETER_LANGUAGES:
        return _("Choose a language from the list for “%(phrase)s”.", phrase=label)
    if param.kind == ParamKind.ROOM and not (0 < len(value) <= ROOM_MAX and value.isprintable()):
        return _("Write the room for “%(phrase)s”, in at most %(num)d characters.", phrase=label, num=ROOM_MAX)
    if param.kind == ParamKind.NUMBER and not (value.isascii() and value.isdigit()
                                               and param.minimum <= int(value) <= param.maximum):
        return _("Fill in a number from %(first)d to %(last)d for “%(phrase)s”.",
                 first=param.minimum, last=param.maximum, phrase=label)
    return None


def parse_phrases(formdata, name: str) -> tuple[list[str], dict[tuple[str, str], str], tuple[PhraseUse, ...]]:
    """The keys ticked in the checkboxes called `name`, what was typed in each gap, and the phrases
    of the book among them with their gaps filled in (checked by PhrasesField.pre_validate)."""
    chosen = list(dict.fromkeys(value.strip() for value in formdata.getlist(name)))
    prefix = f"{name}-"
    typed = {}
    for field_name in formdata:
        if field_name.startswith(prefix) and field_name.count("-") >= 2:
            key, _dash, param = field_name[len(prefix):].rpartition("-")
            typed[(key, param)] = (formdata.get(field_name) or "").strip()
    uses = tuple(PhraseUse.of(key, **{param.name: typed.get((key, param.name), "")
                                      for param in PHRASES[key].typed_params})
                 for key in chosen if key in PHRASES)
    return chosen, typed, uses


class PhrasesField(Field):
    """Zero or more phrases of the book; `data` is a tuple of `PhraseUse`.

    The checkboxes are named after the field, each gap `<field>-<phrase key>-<gap>`.
    """

    def __init__(self, label=None, validators=None, writer: Writer = Writer.STAFF,
                 groups: tuple[str, ...] | None = None, max_phrases: int = MAX_PHRASES, **kwargs):
        super().__init__(label or _l("Ready-made sentences"), validators, **kwargs)
        self.writer, self.groups, self.max_phrases = writer, groups, max_phrases
        self.chosen: list[str] = []
        self.typed: dict[tuple[str, str], str] = {}

    def offered(self) -> list[Phrase]:
        return phrases_for(self.writer, self.groups)

    def grouped(self):
        return groups_of(self.offered())

    def param_name(self, phrase: Phrase, param: Param) -> str:
        return f"{self.name}-{phrase.key}-{param.name}"

    label_of = staticmethod(phrase_label)
    language_choices = staticmethod(language_choices)

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        uses = tuple(self.default or ()) if data is unset_value or data is None else tuple(data)
        self.object_data = uses
        self.chosen = [use.key for use in uses]
        self.typed = {(use.key, name): value for use in uses for name, value in use.params}
        self.data = uses
        if formdata is not None:
            self.chosen, self.typed, self.data = parse_phrases(formdata, self.name)

    def pre_validate(self, form):
        offered = {phrase.key for phrase in self.offered()}
        if any(key not in offered for key in self.chosen):
            self.errors.append(_("Choose sentences from the list."))
            return
        if len(self.chosen) > self.max_phrases:
            self.errors.append(ngettext("Choose at most %(num)d sentence.", "Choose at most %(num)d sentences.",
                                        self.max_phrases))
        for key in self.chosen:
            phrase = PHRASES[key]
            for param in phrase.typed_params:
                problem = _check(param, self.typed.get((key, param.name), ""), phrase_label(phrase))
                if problem:
                    self.errors.append(problem)

    def needs_event(self) -> bool:
        return any(PHRASES[key].needs_event for key in self.chosen if key in PHRASES)
