import json
import pytest

@pytest.mark.browser
@pytest.mark.parametrize("locale", ["ti", "ar"])
def test_explore(open_as, demo_site, locale):
    with open_as("participant", locale) as (context, page):
        page.goto("/week")
        print(page.url, page.locator("html").get_attribute("lang"))
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable"); cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        for sel in ["h1", ".day h2", ".day h2 span", "h3", ".answer-buttons .btn", ".answer-buttons .btn > span"]:
            ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": sel})["nodeIds"]
            for nid in ids[:4]:
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": nid})["fonts"]
                html = cdp.send("DOM.getOuterHTML", {"nodeId": nid})["outerHTML"][:120]
                print(sel, html.replace("\n"," "), fonts)
        print(page.evaluate("""document.fonts.check('16px "Noto Sans Ethiopic"', 'ሰሙን')"""))
