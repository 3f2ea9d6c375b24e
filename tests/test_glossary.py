"""One word for one thing: every catalog uses the terms of docs/glossary.md.

The glossary is a markdown table `| concept | en | nl | ar | ti |`. For each row, every
message whose English msgid contains the `en` term (whole words, any case) must have a
translation containing one of the accepted forms of that row's term, in every form of
a plural. The Dutch term of each activity kind is the Dutch word the app shows under it.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from webapp.schedule.kinds import KIND_STYLES
from webapp.schedule.models import EventKind

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
HEADER = "| concept | en | nl | ar | ti |"
COLUMNS = ("concept", "en", "nl", "ar", "ti")
LOCALES = ("nl", "ar", "ti")
VARIANT_SEPARATOR = " / "
# Names are data, never terms: "Mijn Week" does not use the concept "week".
NAMES = ("Mijn Week",)
# Every one of these must have a row, whether or not a string uses it yet.
REQUIRED_CONCEPTS = (
    "Dutch class", "workplace", "Connection Café", "appointment with your coach", "language buddy",
    "training", "I'll come", "I can't come", "cancelled", "moved", "reminder", "coach",
    "participant", "PIN", "week", "today", "tomorrow", "sign in", "sign out", "settings",
)
# Arabic short vowels, shadda, sukun, tanween, dagger alef and tatweel: written or not,
# the word is the same.
ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


class GlossaryNote(UserWarning):
    """Information about the glossary that is no failure."""


@dataclass(frozen=True)
class Row:
    concept: str
    terms: dict  # column -> tuple of accepted forms, the preferred one first


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u00a0", " ")
    text = ARABIC_MARKS.sub("", text)
    return re.sub(r"\s+", " ", text).casefold()


def parse_glossary(text: str) -> list[Row]:
    lines = [line.strip() for line in text.splitlines()]
    assert HEADER in lines, f"docs/glossary.md needs a table headed exactly {HEADER!r}"
    start = lines.index(HEADER)
    separator = lines[start + 1] if start + 1 < len(lines) else ""
    assert re.fullmatch(r"\|(\s*:?-+:?\s*\|){5}", separator), f"no table separator under the header: {separator!r}"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(COLUMNS), f"a glossary row needs {len(COLUMNS)} cells: {line!r}"
        assert all(cells), f"a glossary row has an empty cell: {line!r}"
        terms = {}
        for column, cell in zip(COLUMNS[1:], cells[1:]):
            forms = tuple(form.strip() for form in cell.split(VARIANT_SEPARATOR))
            assert all(forms), f"an empty form in {cell!r} ({line!r})"
            terms[column] = forms
        rows.append(Row(concept=cells[0], terms=terms))
    return rows


def english_patterns(row: Row) -> list[re.Pattern]:
    return [re.compile(r"(?<!\w)" + re.escape(normalise(term)) + r"(?!\w)") for term in row.terms["en"]]


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def without_names(text: str) -> str:
    """The msgid without brand names and placeholders: `%(activity)s` is not the word "activity"."""
    for name in NAMES:
        text = text.replace(name, " ")
    return PLACEHOLDER.sub(" ", text)


def as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def messages_using(row: Row, messages) -> list:
    """The messages whose msgid (singular or plural) contains one of the row's English terms."""
    patterns = english_patterns(row)
    found = []
    for message in messages:
        if not message.id:
            continue
        ids = [normalise(without_names(text)) for text in as_tuple(message.id)]
        if any(pattern.search(text) for pattern in patterns for text in ids):
            found.append(message)
    return found


def problems(row: Row, locale: str, messages) -> list[str]:
    """Every translation of a message using the concept that lacks the glossary's term."""
    accepted = [normalise(form) for form in row.terms[locale]]
    wrong = []
    for message in messages_using(row, messages):
        for text in as_tuple(message.string):
            if not any(form in normalise(text) for form in accepted):
                wrong.append(f"{row.concept!r}: {as_tuple(message.id)[0]!r} -> {text!r} "
                             f"(use {' / '.join(row.terms[locale])})")
    return wrong


def load_catalog(locale: str):
    with (ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def label_msgid(label) -> str:
    """The English msgid behind a lazy string from `_l(...)`."""
    args = getattr(label, "_args", None)
    return args[0] if args else str(label)


@pytest.fixture(scope="module")
def glossary() -> list[Row]:
    return parse_glossary(GLOSSARY.read_text(encoding="utf-8"))


def test_glossary_rows_are_unique(glossary):
    assert glossary, "docs/glossary.md has no rows"
    concepts = [normalise(row.concept) for row in glossary]
    assert len(concepts) == len(set(concepts)), "a concept is listed twice"
    english = [normalise(term) for row in glossary for term in row.terms["en"]]
    assert len(english) == len(set(english)), "an English term belongs to two concepts"


def test_every_required_concept_is_listed(glossary):
    listed = {normalise(row.concept) for row in glossary}
    missing = [concept for concept in REQUIRED_CONCEPTS if normalise(concept) not in listed]
    assert not missing, f"add these concepts to docs/glossary.md: {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_uses_the_glossary_term(glossary, locale):
    catalog = list(load_catalog(locale))
    found = [problem for row in glossary for problem in problems(row, locale, catalog)]
    assert not found, f"{locale} strays from docs/glossary.md:\n" + "\n".join(found)


def test_activity_kinds_use_the_dutch_word_of_the_app(glossary):
    dutch = {message.id: message.string for message in load_catalog("nl") if isinstance(message.id, str)}
    for kind, style in KIND_STYLES.items():
        if kind is EventKind.OTHER:
            continue
        msgid = label_msgid(style.label)
        # The row whose English term is the longest found in the label: "Appointment with
        # your coach" is its own concept, not "coach" or "appointment".
        matching = [(max(len(term) for term in row.terms["en"]), row) for row in glossary
                    if any(pattern.search(normalise(msgid)) for pattern in english_patterns(row))]
        assert matching, f"no glossary row for the activity kind {msgid!r}"
        row = max(matching, key=lambda pair: pair[0])[1]
        assert len(row.terms["nl"]) == 1, f"{row.concept!r}: an activity kind has one Dutch word"
        assert normalise(row.terms["nl"][0]) == normalise(style.dutch_word), (
            f"{row.concept!r}: the glossary says {row.terms['nl'][0]!r}, kinds.py shows {style.dutch_word!r}")
        assert normalise(style.dutch_word) in normalise(dutch[msgid]), (
            f"nl translates {msgid!r} as {dutch[msgid]!r}, without the Dutch word {style.dutch_word!r}")


def test_concepts_without_strings_are_kept_for_later(glossary):
    """Informational: a concept no string uses yet stays listed; this never fails."""
    english = list(load_catalog("en"))
    waiting = [row.concept for row in glossary if not messages_using(row, english)]
    if waiting:
        warnings.warn(GlossaryNote(f"glossary concepts no string uses yet: {', '.join(waiting)}"))


def test_the_check_catches_a_stray_word(glossary):
    """The check fails where it should: a wrong word, and one wrong plural form."""
    rows = {normalise(row.concept): row for row in glossary}
    come, participant = rows[normalise("I'll come")], rows[normalise("participant")]
    catalog = Catalog(locale="nl")
    catalog.add("You said: I'll come", "Je zei: ik ga")
    assert problems(come, "nl", list(catalog))
    catalog = Catalog(locale="nl")
    catalog.add("You said: I'll come", "Je zei: Ik kom")
    assert not problems(come, "nl", list(catalog))
    catalog = Catalog(locale="nl")
    catalog.add(("%(num)d participant", "%(num)d participants"), ("%(num)d deelnemer", "%(num)d cursisten"))
    assert len(problems(participant, "nl", list(catalog))) == 1
    catalog = Catalog(locale="nl")
    catalog.add("QR code to open Mijn Week", "QR-code om Mijn Week te openen")
    assert not messages_using(rows[normalise("week")], list(catalog)), "a name is no term"
