"""The Ge'ez web font, cut at set-up to the characters Mijn Week shows in Tigrinya.

    python -m webapp.ethiopic_font SOURCE.woff2 TARGET.woff2

A phone without an Ethiopic font downloads it for Tigrinya text; the full Noto Sans Ethiopic
(every Ethiopic block, 75 KB a weight) would double that phone's first load. The characters
kept are those of the Tigrinya catalog and of what CLDR writes in Tigrinya (days, months,
language names), the demo's Tigrinya names, the language's own name, and Ethiopic punctuation.
What staff or participants type (a room, own text) in other Ge'ez letters is drawn by the
phone's own font where it has one. The subset is made again whenever the catalog changes.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent
TIGRINYA_CATALOG = ROOT / "translations" / "ti" / "LC_MESSAGES" / "messages.po"
# Ethiopic, Ethiopic Supplement, Extended, Extended-A and Extended-B: what app.css's unicode-range covers.
ETHIOPIC_BLOCKS = ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F), (0x1E7E0, 0x1E7FF))
PUNCTUATION = "".join(chr(code) for code in range(0x1360, 0x1369))  # ፠ ፡ ። ፣ ፤ ፥ ፦ ፧ ፨
# Kept as shaped: the font's own features (ligatures, marks), and no hinting (phones don't use it).
SUBSET_OPTIONS = ("--flavor=woff2", "--layout-features=*", "--no-hinting", "--desubroutinize",
                  "--drop-tables+=FFTM", "--name-IDs=1,2,3,4,6")


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


def tigrinya_characters() -> str:
    """Every Ethiopic character Mijn Week itself writes, sorted."""
    text = _catalog_text() + _cldr_text() + _demo_names() + PUNCTUATION
    return "".join(sorted({character for character in text if is_ethiopic(character)}))


def subset(source: Path, target: Path) -> None:
    from fontTools import subset as fonttools_subset

    target.parent.mkdir(parents=True, exist_ok=True)
    fonttools_subset.main([str(source), f"--text={tigrinya_characters()}", f"--output-file={target}",
                           *SUBSET_OPTIONS])


if __name__ == "__main__":
    subset(Path(sys.argv[1]), Path(sys.argv[2]))
