"""Every catalog complete, in step with the code, with the right plural rules and placeholders."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webapp.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
PLURAL_RULES = {
    "en": "nplurals=2; plural=(n != 1);",
    "nl": "nplurals=2; plural=(n != 1);",
    # Tigrinya counts 0 and 1 as singular; CLDR's Arabic six forms in its own order.
    "ti": "nplurals=2; plural=(n > 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}


def catalog(locale: str):
    with (ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def extracted_ids(tmp_path_factory) -> set:
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "-o", str(target), "."], check=True, cwd=ROOT)
    with target.open("rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(locale):
    for message in catalog(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{locale}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{locale}: fuzzy {message.id!r}"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_placeholders_are_the_same_as_the_source(locale):
    for message in catalog(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{locale}: {message.id!r} -> {text!r}"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_plural_rule(locale):
    assert catalog(locale).plural_forms == PLURAL_RULES[locale]


@pytest.mark.parametrize("locale", LANGUAGES)
def test_catalog_holds_every_string_of_the_code(locale, extracted_ids):
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog(locale) if message.id}
    missing = extracted_ids - ids
    assert not missing, f"run `make translations`; {locale} lacks {sorted(missing)[:5]}"


def test_arabic_plural_forms_pick_the_right_word(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("ar"):
        forms = {n: ngettext("%(num)d activity this week", "%(num)d activities this week", n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values())) == 6, forms
