"""The Ge'ez web font is cut at set-up to the Tigrinya syllabary, and misses nothing Mijn Week writes.

The woff2 files are built by `make setup` (pyftsubset, webapp/ethiopic_font.py); when one is
missing these tests fail, and say which command builds it, instead of skipping.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from webapp.demo.seed import PARTICIPANTS
from webapp.ethiopic_font import (
    TIGRINYA_CATALOG,
    is_ethiopic,
    tigrinya_characters,
    tigrinya_syllabary,
)

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "webapp" / "static" / "vendor" / "fonts"
SOURCE = ROOT / "node_modules" / "@fontsource" / "noto-sans-ethiopic" / "files"
WEIGHTS = ("400", "700")
# Names as people write them in Ge'ez; none of them is in the catalog. ሄ ሴ ቬ ኤ ፀ ... were boxes with
# a font cut to the catalog's own letters.
TYPED_NAMES = ("ዮናስ ተስፋይ", "ሕወት ገብረማርያም", "ሄለን", "ሙሴ", "ቬሮኒካ", "ኤልሳ ሃብተጽዮን", "ፀጋ", "ዓወት",
               "ቸርነት", "ጎይትኦም ሓጎስ", "ኸድጃ", "ቐሺ ያዕቆብ", "ፍዮሪ ወልደሚካኤል")


def font(weight: str) -> TTFont:
    path = FONTS / f"noto-sans-ethiopic-{weight}.woff2"
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: `make test` builds it (pyftsubset, see the Makefile)",
                    pytrace=False)
    return TTFont(path)


def characters_of(weight: str) -> set[str]:
    return {chr(code) for code in font(weight).getBestCmap()}


def catalog_characters() -> set[str]:
    """The Ethiopic characters of every msgstr (plural forms too) of the Tigrinya catalog."""
    with TIGRINYA_CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ti")
    return {character for message in catalog if message.id
            for text in (message.string if isinstance(message.string, tuple) else (message.string,))
            for character in text or "" if is_ethiopic(character)}


def demo_name_characters() -> set[str]:
    return {character for name, _phone, locale in PARTICIPANTS if locale == "ti"
            for character in name if is_ethiopic(character)}


@pytest.mark.parametrize("weight", WEIGHTS)
def test_every_ethiopic_character_of_the_tigrinya_catalog_and_demo_names_is_in_the_font(weight):
    in_font = characters_of(weight)
    wanted = catalog_characters() | demo_name_characters()
    assert len(catalog_characters()) > 100  # the catalog was read
    assert not wanted - in_font, f"missing from the {weight} font: {' '.join(sorted(wanted - in_font))}"


@pytest.mark.parametrize("weight", WEIGHTS)
def test_names_people_type_in_tigrinya_are_in_the_font(weight):
    in_font = characters_of(weight)
    syllabary = set(tigrinya_syllabary())
    tigrinya_only = {chr(code) for code in (*range(0x1250, 0x125E), *range(0x12B8, 0x12C6))} & syllabary
    assert len(syllabary) > 300 and len(tigrinya_only) == 24  # ቐ and ኸ, with their -wa forms
    assert not syllabary - in_font, f"missing from the {weight} font: {' '.join(sorted(syllabary - in_font))}"
    typed = {character for name in TYPED_NAMES for character in name if is_ethiopic(character)}
    assert not typed - in_font, f"missing from the {weight} font: {' '.join(sorted(typed - in_font))}"


@pytest.mark.parametrize("weight", WEIGHTS)
def test_the_font_is_cut_to_tigrinya_without_kerning(weight):
    cut = font(weight)
    in_font = {character for character in characters_of(weight) if is_ethiopic(character)}
    assert in_font == set(tigrinya_characters())
    whole = {chr(code) for code in TTFont(SOURCE / f"noto-sans-ethiopic-ethiopic-{weight}-normal.woff2").getBestCmap()}
    assert {character for character in whole if is_ethiopic(character)} - in_font, "nothing was cut"
    assert not any(0x1369 <= ord(character) <= 0x137C or ord(character) >= 0x1380 for character in in_font)
    features = {record.FeatureTag for record in cut["GPOS"].table.FeatureList.FeatureRecord}
    assert "kern" not in features, features
    assert "fpgm" not in cut and "prep" not in cut, "hinting was kept"
    # Both weights go into the Tigrinya first load (budget 70 KB, bench/page_weight.py).
    size = (FONTS / f"noto-sans-ethiopic-{weight}.woff2").stat().st_size
    assert size < 14 * 1024, f"the {weight} font is {size:,} bytes"


def test_the_stylesheet_asks_for_the_font_for_every_character_it_has():
    css = (ROOT / "webapp" / "static" / "css" / "app.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*\{([^}]*Mijn Week Ethiopic[^}]*)\}", css)
    assert len(faces) == len(WEIGHTS)
    for face, weight in zip(faces, WEIGHTS, strict=True):
        assert f"font-weight: {weight}" in face and f"noto-sans-ethiopic-{weight}.woff2" in face
        declared = re.search(r"unicode-range:([^;]+);", face).group(1).upper()
        ranges = [(int(low, 16), int(high or low, 16))
                  for low, high in re.findall(r"U\+([0-9A-F]+)(?:-([0-9A-F]+))?", declared)]
        assert ranges, face
        outside = {character for character in characters_of(weight) if is_ethiopic(character)
                   and not any(low <= ord(character) <= high for low, high in ranges)}
        assert not outside, f"unicode-range {ranges} leaves out {' '.join(sorted(outside))}"
