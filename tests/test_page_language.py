"""Every page each role can reach, in every language, shows only words of that language.

The visible text of a page, less data (names, places: isolated in <bdi>), text marked with
its language (what people wrote, the Dutch words, language names) and the brand, may only
use words that occur in that locale's catalog or in CLDR's day, month and language names. So an
unwrapped string, an untranslated entry or an English error page is caught in any page.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from webapp.demo.seed import seed_demo
from webapp.extensions import db
from webapp.i18n import LANGUAGES
from webapp.phrases.book import INTERPRETER_LANGUAGES

from .pages import reachable_pages, viewers_of

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NOT_SHOWN = {"head", "script", "style", "svg", "template", "bdi", "noscript", "textarea"}
READ_ALOUD_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-offline", "data-failed"}


class VisibleText(HTMLParser):
    """Collects what a person sees or hears that is written by the app in the page language."""

    def __init__(self, page_locale: str):
        super().__init__(convert_charrefs=True)
        self.page_locale = page_locale
        self.skipping: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.skipping) and self.skipping[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Text marked with its own language is someone's writing (or a Dutch word), not the app's.
        other_language = tag != "html" and "lang" in attributes
        skip = self.hidden or tag in NOT_SHOWN or other_language or attributes.get("translate") == "no"
        if not skip:
            self.parts.extend(value for name, value in attrs if name in READ_ALOUD_ATTRIBUTES and value)
        if tag not in VOID:
            self.skipping.append((tag, skip))

    def handle_endtag(self, tag):
        while self.skipping:
            open_tag, _ = self.skipping.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def allowed_words(locale: str) -> set[str]:
    with (ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    words: set[str] = set()
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            words.update(word.casefold() for word in WORD.findall(re.sub(r"%\(\w+\)[sd]", " ", text or "")))
    for name in LANGUAGES.values():  # each language is named in its own script everywhere
        words.update(word.casefold() for word in WORD.findall(name))
    cldr = Locale.parse(locale)
    # Languages are named by CLDR in the page's language (an interpreter, "written in …").
    language_names = {code: cldr.languages.get(code, "") for code in (*INTERPRETER_LANGUAGES, *LANGUAGES)}
    for names in (cldr.days["format"]["wide"], cldr.days["format"]["abbreviated"],
                  cldr.months["format"]["wide"], cldr.months["format"]["abbreviated"], language_names):
        for name in names.values():
            words.update(word.casefold() for word in WORD.findall(name))
    return words


@pytest.fixture
def demo(app):
    result = seed_demo()
    db.session.commit()
    return result


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_page_speaks_only_its_language(app, demo, locale):
    vocabulary = allowed_words(locale)
    viewers = viewers_of(demo)
    clients = {}
    for person in viewers.values():
        if person is not None:
            person.locale = locale
    db.session.commit()
    problems = []
    pages = reachable_pages(app, demo)
    for page in pages:
        client = clients.setdefault(page.role, app.test_client(user=viewers[page.role]) if viewers[page.role]
                                    else app.test_client())
        response = client.get(page.path, headers={"Accept-Language": locale})
        if response.status_code in (301, 302, 303):
            continue
        html = response.get_data(as_text=True)
        assert f'<html lang="{locale}"' in html, (page, response.status_code)
        parser = VisibleText(locale)
        parser.feed(html)
        strangers = sorted({word for word in WORD.findall(" ".join(parser.parts))
                            if word.casefold() not in vocabulary})
        if strangers:
            problems.append(f"{page.role} {page.path} ({response.status_code}): {strangers[:8]}")
    assert len(pages) >= 40
    assert not problems, "\n".join(problems)
