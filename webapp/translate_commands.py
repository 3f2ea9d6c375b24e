"""`flask translate ...`: keep the four catalogs in step with the code."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
SOURCE_LOCALE = "en"


@click.group()
def translate():
    """Extract, update and compile translations."""


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate.command("update")
def update():
    """Extract every wrapped string and merge it into each catalog (new ones stay empty)."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "N_", "-o", str(TEMPLATE),
             "--no-location", "--sort-output", "--project", "Mijn Week", ".")
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "--no-fuzzy-matching",
             "--ignore-obsolete")
    fill_source_catalog()


def fill_source_catalog() -> None:
    """The message ids are English, so the English catalog is the ids themselves."""
    path = TRANSLATIONS / SOURCE_LOCALE / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=SOURCE_LOCALE)
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)


@translate.command("compile")
def compile_catalogs():
    """Compile every catalog to the .mo files Flask-Babel reads."""
    _pybabel("compile", "--statistics", "-d", str(TRANSLATIONS))
