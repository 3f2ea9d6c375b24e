"""The Ge'ez web font is cut at set-up to what Mijn Week writes in Tigrinya, and misses none of it."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from webapp.demo.seed import PARTICIPANTS
from webapp.ethiopic_font import TIGRINYA_CATALOG, is_ethiopic, tigrinya_characters

FONTS = Path(__file__).resolve().parents[1] / "webapp" / "static" / "vendor" / "fonts"
WEIGHTS = ("400", "700")
SOURCE = Path(__file__).resolve().parents[1] / "node_modules" / "@fontsource" / "noto-sans-ethiopic" / "files"


def characters_of(font: Path) -> set[str]:
    if not font.exists():
        pytest.fail(f"{font} is missing: `make test` builds it (make setup)", pytrace=False)
    return {chr(code) for code in TTFont(font).getBestCmap()}


def catalog_characters() -> set[str]:
    with TIGRINYA_CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ti")
    return {character for message in catalog
            for text in (message.string if isinstance(message.string, tuple) else (message.string,))
            for character in text or "" if is_ethiopic(character)}


@pytest.mark.parametrize("weight", WEIGHTS)
def test_every_character_of_the_tigrinya_catalog_and_demo_names_is_in_the_font(weight):
    in_font = characters_of(FONTS / f"noto-sans-ethiopic-{weight}.woff2")
    names = {character for name, _phone, locale in PARTICIPANTS if locale == "ti"
             for character in name if is_ethiopic(character)}
    wanted = catalog_characters() | names | set(tigrinya_characters())
    assert len(catalog_characters()) > 100
    assert not wanted - in_font, f"missing from the {weight} font: {''.join(sorted(wanted - in_font))}"


@pytest.mark.parametrize("weight", WEIGHTS)
def test_the_font_is_a_subset_not_the_whole_script(weight):
    in_font = {character for character in characters_of(FONTS / f"noto-sans-ethiopic-{weight}.woff2")
               if is_ethiopic(character)}
    whole = {character for character in characters_of(SOURCE / f"noto-sans-ethiopic-ethiopic-{weight}-normal.woff2")
             if is_ethiopic(character)}
    assert in_font == set(tigrinya_characters()) and len(in_font) < len(whole) / 2
