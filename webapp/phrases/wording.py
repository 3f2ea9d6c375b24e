"""What one person wrote for another: phrases (keys with parameters) and maybe their own text.

A `Wording` is stored as JSON, never as rendered text:
``{"phrases": [{"key": "in_room", "params": {"room": "2.14"}}], "text": "…", "lang": "nl", "by": "coach"}``.
`read` turns it into the reader's language: each phrase translated, the own text as written
with its language and, when the reader reads another language, a label saying who wrote it
and in which language ("Your coach wrote, in Dutch:").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from babel import Locale
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

from .book import PHRASES, ParamKind, Phrase

log = logging.getLogger(__name__)

# Unicode first-strong and pop-directional isolates: a room name like "B-2.14" keeps its own
# order inside an Arabic sentence, in HTML and in a notification alike (where <bdi> cannot go).
ISOLATE, END_ISOLATE = "\u2068", "\u2069"


@dataclass(frozen=True)
class PhraseUse:
    """One phrase as picked: its key and the values of its gaps."""

    key: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, key: str, **params) -> PhraseUse:
        return cls(key, tuple(sorted((name, str(value)) for name, value in params.items())))

    @property
    def phrase(self) -> Phrase | None:
        return PHRASES.get(self.key)

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")


@dataclass(frozen=True)
class Wording:
    phrases: tuple[PhraseUse, ...] = ()
    text: str = ""  # the writer's own words, shown as written
    lang: str = ""  # the language of `text`
    by: str = ""  # the writer's role ("coach", "buddy", "participant"), for the label

    def __bool__(self) -> bool:
        return bool(self.phrases or self.text)

    @classmethod
    def own(cls, text: str, lang: str, by: str = "") -> Wording:
        return cls(text=text.strip(), lang=lang if text.strip() else "", by=by)

    @classmethod
    def of(cls, *keys: str | PhraseUse, text: str = "", lang: str = "", by: str = "") -> Wording:
        uses = tuple(key if isinstance(key, PhraseUse) else PhraseUse(key) for key in keys)
        return cls(uses, text.strip(), lang if text.strip() else "", by)

    def to_json(self) -> dict:
        if not self:
            return {}
        data: dict = {"phrases": [{"key": use.key, "params": dict(use.params)} for use in self.phrases]}
        if self.text:
            data |= {"text": self.text, "lang": self.lang}
        if self.by:
            data["by"] = self.by
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> Wording:
        if not data:
            return EMPTY
        uses = tuple(PhraseUse(str(item["key"]), tuple(sorted((str(k), str(v)) for k, v in item.get("params", {}).items())))
                     for item in data.get("phrases", []))
        return cls(uses, str(data.get("text", "")), str(data.get("lang", "")), str(data.get("by", "")))


EMPTY = Wording()


def written_by(writer, phrases=(), text: str = "") -> Wording:
    """What `writer` (a User) wrote: the picked phrases, and own text in the writer's language."""
    from ..i18n import writing_language

    text = (text or "").strip()
    return Wording(tuple(phrases), text, writing_language(writer) if text else "", writer.role.value)


class WordingType(TypeDecorator):
    """A `Wording` in a JSON column; an empty one is stored as {}."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return {}
        if not isinstance(value, Wording):
            raise TypeError(f"a wording, not {type(value).__name__}: phrases and own text with its language")
        return value.to_json()

    def process_result_value(self, value, dialect):
        return Wording.from_json(value)


def language_name(code: str, locale: str) -> str:
    """A language's name in the reader's language (CLDR), e.g. "Tigrinya" or "التغرينية"."""
    names = Locale.parse(locale).languages
    return names.get(code) or Locale.parse("en").languages.get(code) or code


def _value(param_kind: ParamKind, value: str, locale: str, when: str) -> str:
    if param_kind == ParamKind.LANGUAGE:
        return language_name(value, locale)
    if param_kind == ParamKind.ROOM:
        return f"{ISOLATE}{value}{END_ISOLATE}"
    if param_kind == ParamKind.WHEN:
        return when
    return value  # times are "14:30" and numbers Western digits in every language, as on Dutch clocks


def sentence(use: PhraseUse, locale: str, when: str = "") -> str | None:
    """One phrase in `locale` with its gaps filled in; None for a key the book no longer has."""
    phrase = use.phrase
    if phrase is None:
        log.warning("phrase %r is not in the phrase book", use.key)
        return None
    values = {param.name: _value(param.kind, use.param(param.name), locale, when) for param in phrase.params}
    with force_locale(locale):
        return _(phrase.text, **values) if values else _(phrase.text)


@dataclass(frozen=True)
class Reading:
    """A wording as one reader reads it."""

    sentences: list[str] = field(default_factory=list)  # in the reader's language
    text: str = ""  # the own text, as written
    lang: str = ""  # its language
    label: str = ""  # "Your coach wrote, in Dutch:" when the reader reads another language

    def __bool__(self) -> bool:
        return bool(self.sentences or self.text)

    def plain(self) -> str:
        """All of it as one line of plain text (a notification, a calendar's description)."""
        parts = [" ".join(self.sentences)] if self.sentences else []
        if self.text:
            parts.append(f"{self.label} {self.text}".strip())
        return " ".join(parts)


def when_of(starts_at: datetime | None, locale: str) -> str:
    """The day and time an activity starts, for a phrase's %(when)s."""
    if starts_at is None:
        return ""
    from ..formatting import clock, short_day

    with force_locale(locale):
        return f"{short_day(starts_at)} {clock(starts_at)}"


def read(wording: Wording, locale: str, starts_at: datetime | None = None) -> Reading:
    """The wording in the reader's `locale`; `starts_at` fills in a message's %(when)s."""
    if not wording:
        return Reading()
    when = when_of(starts_at, locale) if any(use.phrase and use.phrase.needs_event for use in wording.phrases) else ""
    sentences = [text for use in wording.phrases if (text := sentence(use, locale, when))]
    label = own_text_label(wording, locale) if wording.text else ""
    return Reading(sentences, wording.text, wording.lang, label)


def same_language(first: str, second: str) -> bool:
    return first.split("_")[0].split("-")[0] == second.split("_")[0].split("-")[0]


def own_text_label(wording: Wording, locale: str) -> str:
    """Who wrote the own text and in which language, in the reader's language; empty when the
    reader reads the language it is written in."""
    if not wording.lang or same_language(wording.lang, locale):
        return ""
    with force_locale(locale):
        language = language_name(wording.lang, locale)
        if wording.by == "coach":
            return _("Your coach wrote, in %(language)s:", language=language)
        if wording.by == "buddy":
            return _("Your language buddy wrote, in %(language)s:", language=language)
        return _("Written in %(language)s:", language=language)
