"""The cut Ge'ez web font draws every character Mijn Week writes in Tigrinya, by itself.

Debian's Chromium has Noto Sans Ethiopic installed, so a page would use that; here the subset
is loaded as the only Ethiopic font (a FontFace from its bytes), every character of it is
drawn, and the DevTools protocol tells which fonts drew the glyphs: the subset alone, with no
fallback to a system font for a character it lacks.
"""
from __future__ import annotations

import base64
from pathlib import Path

import pytest

from webapp.ethiopic_font import tigrinya_characters

pytestmark = pytest.mark.browser

FONTS = Path(__file__).resolve().parents[2] / "webapp" / "static" / "vendor" / "fonts"


@pytest.mark.parametrize("weight", ["400", "700"])
def test_the_subset_draws_all_tigrinya_text_itself(browser, weight):
    font = FONTS / f"noto-sans-ethiopic-{weight}.woff2"
    if not font.exists():
        pytest.fail(f"{font} is missing: `make test` builds it", pytrace=False)
    text = tigrinya_characters()
    page = browser.new_page()
    page.set_content(f'<html lang="ti"><body><p id="t" style="font: {weight} 24px Subset, sans-serif">{text}</p>'
                     "</body></html>")
    page.evaluate("""async ([data, weight]) => {
        const face = new FontFace("Subset", `url(data:font/woff2;base64,${data})`, { weight });
        document.fonts.add(await face.load());
        await document.fonts.ready;
    }""", [base64.b64encode(font.read_bytes()).decode(), weight])
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#t"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    page.close()
    assert [font["isCustomFont"] for font in fonts] == [True], fonts
    assert fonts[0]["glyphCount"] >= len(text), fonts
