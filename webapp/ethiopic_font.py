"""The Ge'ez web font, cut at set-up to the letters Tigrinya is written with.

    python -m webapp.ethiopic_font SOURCE.woff2 TARGET.woff2      (make setup does this)
    python -m webapp.ethiopic_font                                (prints the characters kept)

A phone without an Ethiopic font downloads it for Tigrinya text; the whole Noto Sans Ethiopic
(every Ethiopic block, 75 KB a weight) more than doubled that phone's first load. What is kept:

- the Tigrinya syllabary: every syllable of the Ethiopic block (U+1200-U+135A) of the series
  Tigrinya writes, all seven orders and the -wa forms, the Tigrinya ones included (ቐ U+1250-125D,
  ኸ U+12B8-12C5), and ሠ, ኀ and ፀ, which Tigrinya in Ethiopia still writes. So any name or text a
  coach or participant types in Tigrinya is drawn, not only the app's own words. Left out are
  the letters only other languages of Ethiopia write (ሇ U+1207, the ዸ and ጘ series U+12F8-12FF
  and U+1318-131F, Amharic's ፘ ፙ ፚ U+1358-135A), the combining marks U+135D-135F, and the
  Ethiopic digits U+1369-137C: the app writes times and dates with 0-9, as CLDR's Tigrinya does,
  and the digits with their contextual forms would add 2.5 KB a weight;
- Ethiopic punctuation U+1360-1368 (፡ ። ፣ ፤ ...);
- and, whatever they are, the Ethiopic characters of what the app itself writes in Tigrinya: the
  catalog, CLDR's Tigrinya days, months and language names, the demo's Tigrinya names.

The outlines are kept as they are, with the font's marks and contextual alternates, but without
hinting (phones do not use it) and without kerning: for these letters the kerning (GPOS) is two
thirds of the font, 36 KB a weight with it and 11 KB without, and it only narrows a line of
Tigrinya by about 2 %. The subset is made again when this file, the catalog or the demo changes.
"""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent
TIGRINYA_CATALOG = ROOT / "translations" / "ti" / "LC_MESSAGES" / "messages.po"
# The blocks of the Ethiopic script (Ethiopic, Supplement, Extended, Extended-A, Extended-B): Ge'ez
# text wherever it is. app.css's unicode-range is the first, U+1200-139F, a superset of the subset.
ETHIOPIC_BLOCKS = ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F), (0x1E7E0, 0x1E7FF))
SYLLABLES = (0x1200, 0x135A)
NOT_TIGRINYA = {0x1207, *range(0x12F8, 0x1300), *range(0x1318, 0x1320), *range(0x1358, 0x135B)}
PUNCTUATION = (0x1360, 0x1368)  # ፠ ፡ ። ፣ ፤ ፥ ፦ ፧ ፨
# pyftsubset's options besides the characters: the default layout features but kerning (that keeps
# calt, mark and mkmk), no hinting, no vertical metrics; the names a browser shows, the copyright
# and the licence (SIL Open Font License) stay in the file.
SUBSET_OPTIONS = ("--flavor=woff2", "--layout-features-=kern", "--no-hinting",
                  "--drop-tables+=FFTM,vhea,vmtx,STAT", "--name-IDs=0,1,2,3,4,6,13,14")


def is_ethiopic(character: str) -> bool:
    return any(first <= ord(character) <= last for first, last in ETHIOPIC_BLOCKS)


def _catalog_text() -> str:
    with TIGRINYA_CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ti")
    return "".join(text or "" for message in catalog
                   for text in (message.string if isinstance(message.string, tuple) else (message.string,)))


def _cldr_text() -> str:
    from .i18n import LANGUAGES
    from .phrases.book import INTERPRETER_LANGUAGES

    cldr = Locale.parse("ti")
    names = [*cldr.days["format"]["wide"].values(), *cldr.days["format"]["abbreviated"].values(),
             *cldr.months["format"]["wide"].values(), *cldr.months["format"]["abbreviated"].values(),
             *(cldr.languages.get(code, "") for code in (*INTERPRETER_LANGUAGES, *LANGUAGES)),
             *LANGUAGES.values()]
    return "".join(names)


def _demo_names() -> str:
    from .demo.seed import PARTICIPANTS

    return "".join(name for name, _phone, locale in PARTICIPANTS if locale == "ti")


def tigrinya_syllabary() -> str:
    """The syllables and punctuation Tigrinya is written with (the gaps Unicode leaves in the
    block, such as U+1249, are no characters)."""
    codes = [*range(SYLLABLES[0], SYLLABLES[1] + 1), *range(PUNCTUATION[0], PUNCTUATION[1] + 1)]
    return "".join(chr(code) for code in codes if code not in NOT_TIGRINYA and unicodedata.name(chr(code), ""))


def tigrinya_characters() -> str:
    """Every character the subset keeps: the syllabary and whatever Ge'ez the app writes, sorted."""
    text = tigrinya_syllabary() + _catalog_text() + _cldr_text() + _demo_names()
    return "".join(sorted({character for character in text if is_ethiopic(character)}))


def subset(source: Path, target: Path) -> None:
    """pyftsubset SOURCE --text=... --output-file=TARGET with SUBSET_OPTIONS."""
    from fontTools import subset as pyftsubset

    target.parent.mkdir(parents=True, exist_ok=True)
    pyftsubset.main([str(source), f"--text={tigrinya_characters()}", f"--output-file={target}", *SUBSET_OPTIONS])


if __name__ == "__main__":
    if len(sys.argv) == 1:
        print(tigrinya_characters())
    else:
        subset(Path(sys.argv[1]), Path(sys.argv[2]))
