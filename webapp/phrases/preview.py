"""How a wording will read for each of its readers, and who would get own text untranslated.

Staff see this next to the form before they save: the sentences in every reader's language,
and by name who does not read the language of their own text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..accounts.models import Role, User
from ..accounts.queries import caseload
from ..i18n import text_direction, writing_language
from .wording import Reading, Wording, language_name, read, same_language


@dataclass(frozen=True)
class LanguagePreview:
    """What the readers of one language read."""

    locale: str
    language: str  # its name, in the writer's language
    readers: list[User]
    reading: Reading
    untranslated: bool  # the own text is in another language than theirs

    @property
    def direction(self) -> str:
        return text_direction(self.locale)


@dataclass(frozen=True)
class Preview:
    languages: list[LanguagePreview] = field(default_factory=list)
    own_text_language: str = ""  # in the writer's language

    @property
    def untranslated_readers(self) -> list[tuple[User, str]]:
        """(reader, their language's name) for everyone who gets the own text untranslated."""
        return [(reader, part.language) for part in self.languages if part.untranslated for reader in part.readers]

    def __bool__(self) -> bool:
        return bool(self.languages)


def untranslated_for(wording: Wording, readers: list[User]) -> list[User]:
    """The readers who do not read the language the own text is written in."""
    if not wording.text:
        return []
    return [reader for reader in readers if not same_language(writing_language(reader), wording.lang)]


def preview(wording: Wording, readers: list[User], starts_at=None) -> Preview:
    """The wording as each language among `readers` reads it (languages named in the page's language)."""
    page = str(get_locale())
    by_locale: dict[str, list[User]] = {}
    for reader in sorted(readers, key=lambda person: person.display_name):
        by_locale.setdefault(writing_language(reader), []).append(reader)
    untranslated = {reader.id for reader in untranslated_for(wording, readers)}
    return Preview(
        [LanguagePreview(locale, language_name(locale, page), people, read(wording, locale, starts_at),
                         any(person.id in untranslated for person in people))
         for locale, people in sorted(by_locale.items())],
        language_name(wording.lang, page) if wording.text else "")


UNTRANSLATED = _l("Your own text is not translated for everyone. Tick “Send my own text as written”, "
                  "or choose ready-made sentences.")


def check_own_text(wording: Wording, readers: list[User], confirmed: bool, starts_at=None) -> tuple[Preview, str | None]:
    """The preview for the form, and what to say when own text would reach someone who reads
    another language without the writer having said that is what they want."""
    shown = preview(wording, readers, starts_at)
    return shown, None if confirmed or not untranslated_for(wording, readers) else str(UNTRANSLATED)


def readers_for(writer: User, people_ids: list[int] | None = None, event=None, participant: User | None = None
                ) -> list[User]:
    """Who will read what `writer` writes: chosen people of a coach's caseload, an activity's other
    participants, or a buddy's match. Visibility stays with the query helpers (a foreign id reads as none)."""
    if event is not None:
        return [attendance.user for attendance in event.attendances
                if attendance.user_id != writer.id and attendance.user.role == Role.PARTICIPANT]
    if participant is not None:
        return [participant]
    if writer.role == Role.COACH:
        wanted = set(people_ids or [])
        return [person for person in caseload(writer) if person.id in wanted]
    abort(404)
