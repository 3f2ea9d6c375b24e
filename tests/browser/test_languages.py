"""The participant's week in all four languages, on a small phone, with real fonts.

- `<html lang>` is the locale and `<html dir>` is rtl for Arabic only.
- Ge'ez (Tigrinya) and Arabic text is drawn with a font that has those letters: Chromium's
  DevTools protocol (`CSS.getPlatformFontsForNode`) tells which fonts drew the text of the
  week heading, the day headings, the activity names and the answer buttons.
- A screenshot of today's part of the week per language goes to docs/screenshots/ (README).
- The bundled Ethiopic web font is served for phones without one, and a page without Ge'ez
  text downloads no font at all.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from .conftest import LOCALES

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Letters of each script (Ethiopic, Ethiopic Supplement/Extended/Extended-A/B; Arabic blocks and
# presentation forms), and what Chromium calls a font that has them. On Debian with
# fonts-noto-core Chromium reports "Noto Sans Ethiopic" and "Noto Naskh Arabic"; phones
# report e.g. "Abyssinica SIL", "Nyala", "Kefa", "Geeza Pro", "Noto Kufi Arabic", and our own
# web font is "Mijn Week Ethiopic".
SCRIPTS = {
    "ti": (re.compile(r"[\u1200-\u139F\u2D80-\u2DDF\uAB00-\uAB2F\U0001E7E0-\U0001E7FF]"),
           re.compile(r"Ethiopic|Abyssinica|Nyala|Kefa", re.IGNORECASE)),
    "ar": (re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]"),
           re.compile(r"Arabic|Naskh|Kufi|Geeza", re.IGNORECASE)),
}
# The elements whose text is checked: the week heading, the day headings (and the "today"
# label and "nothing planned" in them), the activity names, the answer buttons' own words
# (their Dutch subtitle, lang=nl, is left out), and the answer status line.
FONT_CHECKED = ("#week-title", ".day h2", ".card-title h3",
                ".answer-buttons .btn > span:not(.dutch-word)", ".answer .status")


def _platform_font_problems(context, page, locale: str) -> tuple[list[str], set[str]]:
    """Check with CSS.getPlatformFontsForNode that this locale's script is drawn with a real font.

    For each element (its text and its descendants' text): at least one font of the script
    drew glyphs, no font without the script's name drew more glyphs than there are
    characters outside the script (a missing glyph would be drawn as a box by such a font,
    and Arabic ligatures make counting the script's own glyphs unreliable), and every font
    is a real, named one.
    """
    letters, font_name = SCRIPTS[locale]
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    problems: list[str] = []
    checked: set[str] = set()  # selectors with at least one element in this script
    for selector in FONT_CHECKED:
        node_ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
        for node_id in node_ids:
            remote = cdp.send("DOM.resolveNode", {"nodeId": node_id})["object"]
            rendered = cdp.send("Runtime.callFunctionOn", {
                "objectId": remote["objectId"], "returnByValue": True,
                "functionDeclaration": "function () { return this.checkVisibility() ? this.innerText : null; }",
            })["result"].get("value")
            if not rendered or not letters.search(rendered):
                continue
            checked.add(selector)
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
            described = ", ".join(f"{f['familyName']} ({f['postScriptName']}): {f['glyphCount']} glyphs"
                                  for f in fonts)
            where = f"{selector} {rendered.strip()!r} drawn with [{described}]"
            own = sum(f["glyphCount"] for f in fonts if font_name.search(f["familyName"]))
            others = sum(f["glyphCount"] for f in fonts if not font_name.search(f["familyName"]))
            outside = len(letters.sub("", re.sub(r"\s+", "", rendered)))
            spaces = len(re.findall(r"\s+", rendered.strip()))
            if own == 0:
                problems.append(f"{where}: no font for this script drew anything")
            if others > outside + spaces:
                problems.append(f"{where}: fonts without this script drew {others} glyphs for "
                                f"{outside + spaces} other characters: letters fell back to a missing-glyph box")
            if any(not f["familyName"].strip() or "last resort" in f["familyName"].lower() for f in fonts):
                problems.append(f"{where}: a fallback font without a name")
    cdp.detach()
    return problems, checked


@pytest.mark.browser
@pytest.mark.parametrize("locale", LOCALES)
def test_week_in_each_language(open_as, locale):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with open_as("participant", locale) as (context, page):
        page.goto("/week")
        page.evaluate("document.fonts.ready.then(() => true)")
        html = page.locator("html")
        assert html.get_attribute("lang") == locale
        assert html.get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")

        if locale == "ti":
            assert page.evaluate("""document.fonts.check('16px "Noto Sans Ethiopic"', 'ሰሙን')""")

        today = page.locator(".day.is-today")
        assert today.count() == 1, "the week has no section marked as today"
        today.evaluate("section => { section.scrollIntoView({block: 'start'}); window.scrollBy(0, -12); }")
        page.screenshot(path=str(SCREENSHOTS / f"week-{locale}.png"), animations="disabled", caret="hide")

        if locale in SCRIPTS:
            # This week, and next week too: late on a Sunday this week may have nothing left
            # to answer, while next week always has the buddy meeting to answer.
            problems, checked = _platform_font_problems(context, page, locale)
            page.goto(page.locator("#week a[rel=next]").get_attribute("href"))
            more_problems, more_checked = _platform_font_problems(context, page, locale)
            missing = set(FONT_CHECKED) - checked - more_checked
            assert not missing, f"no element with {locale} text found for {sorted(missing)}"
            assert not problems + more_problems, f"fonts on the {locale} week:\n" + "\n".join(problems + more_problems)


ETHIOPIC_FACE_JS = """
() => {
  const faces = [];
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (rule instanceof CSSFontFaceRule && /Mijn Week Ethiopic/.test(rule.style.getPropertyValue('font-family'))) {
        faces.push({
          sheet: sheet.href,
          weight: rule.style.getPropertyValue('font-weight'),
          src: rule.style.getPropertyValue('src'),
          unicodeRange: rule.style.getPropertyValue('unicode-range'),
        });
      }
    }
  }
  return {faces, family: getComputedStyle(document.documentElement).fontFamily};
}
"""


def _font_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if (
        request.resource_type == "font" or re.search(r"\.(woff2?|ttf|otf)(\?|$)", request.url)) else None)
    return seen


@pytest.mark.browser
def test_ethiopic_web_font_is_served_but_only_fetched_when_needed(open_as):
    with open_as("participant", "en") as (context, page):
        fonts_fetched = _font_requests(page)
        page.goto("/week")
        page.evaluate("document.fonts.ready.then(() => true)")
        found = page.evaluate(ETHIOPIC_FACE_JS)

        assert "Mijn Week Ethiopic" in found["family"], f"the root font stack misses it: {found['family']}"
        by_weight = {face["weight"]: face for face in found["faces"]}
        assert set(by_weight) == {"400", "700"}, f"@font-face rules for Mijn Week Ethiopic: {found['faces']}"
        for weight, face in by_weight.items():
            assert "U+1200-139F" in face["unicodeRange"].upper(), face
            urls = re.findall(r'url\("?([^")]+)"?\)', face["src"])
            assert len(urls) == 1 and re.search(rf"noto-sans-ethiopic-{weight}\.[0-9a-f]{{10}}\.woff2$", urls[0]), face
            url = urljoin(face["sheet"], urls[0])
            assert re.search(rf"/assets/vendor/fonts/noto-sans-ethiopic-{weight}\.[0-9a-f]{{10}}\.woff2$", url), url
            response = context.request.get(url)
            assert response.status == 200, f"GET {url}: {response.status}"
            assert response.body()[:4] == b"wOF2", f"GET {url} is not a WOFF2 file"

        # English text is outside the face's unicode-range: the English week fetches no font.
        assert fonts_fetched == [], f"the English week downloaded fonts: {fonts_fetched}"

    # On this machine Noto Sans Ethiopic is installed and comes first in the font stack, so
    # the Tigrinya week draws Ge'ez without downloading the web font either.
    with open_as("participant", "ti") as (context, page):
        fonts_fetched = _font_requests(page)
        page.goto("/week")
        page.evaluate("document.fonts.ready.then(() => true)")
        assert page.locator("#week-title").inner_text().startswith("ሰሙን")
        assert fonts_fetched == [], f"the Tigrinya week downloaded fonts despite a local one: {fonts_fetched}"
