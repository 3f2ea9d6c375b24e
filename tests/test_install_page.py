"""Installable: the web manifest in the reader's language, and the "put Mijn Week on your home
screen" page for Android and iPhone. Chromium's own verdict is in tests/browser/test_installable.py."""
from __future__ import annotations

import gzip
import re
import struct
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.accounts.models import Role
from webapp.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = "Your week in one place: Dutch class, work, appointments and your language buddy."


class Outline(HTMLParser):
    """The parts of the install page the tests look at."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.h1 = 0
        self.h2: list[str] = []
        self.step_counts: list[int] = []  # <li> per <ol class="install-steps">
        self.drawings: list[dict] = []  # attributes of each step's <svg>
        self.scripts: list[dict] = []
        self.stylesheets: list[str] = []
        self.inline_styles = 0
        self._in_h2 = self._in_steps = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.inline_styles += 1
        if tag == "h1":
            self.h1 += 1
        elif tag == "h2":
            self._in_h2 = True
            self.h2.append("")
        elif tag == "ol" and "install-steps" in attributes.get("class", "").split():
            self._in_steps = True
            self.step_counts.append(0)
        elif tag == "li" and self._in_steps:
            self.step_counts[-1] += 1
        elif tag == "svg" and self._in_steps:
            self.drawings.append(attributes)
        elif tag == "script":
            self.scripts.append(attributes)
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False
        elif tag == "ol":
            self._in_steps = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    return parsed


def _page(client, locale: str = "en"):
    response = client.get("/install", headers={"Accept-Language": locale})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_install_page_is_open_to_everyone(app, make_user, login_as):
    anonymous = _page(app.test_client())
    participant = make_user(Role.PARTICIPANT)
    signed_in = _page(login_as(participant))
    for html in (anonymous, signed_in):
        page = outline(html)
        assert page.h1 == 1
        assert "<h1>Put Mijn Week on your home screen</h1>" in html
        assert page.h2 == ["Android (Chrome)", "iPhone (Safari)"]
        assert page.step_counts == [4, 4]
    assert 'class="bottom-bar"' not in anonymous and 'class="bottom-bar"' in signed_in  # the normal layout


def test_install_page_steps_are_words_with_small_decorative_drawings(app):
    html = _page(app.test_client())
    page = outline(html)
    assert len(page.drawings) == 8
    for drawing in page.drawings:
        assert drawing["aria-hidden"] == "true" and drawing["focusable"] == "false"
        assert "flip-rtl" in drawing["class"].split()
    drawings = re.findall(r'<svg class="flip-rtl".*?</svg>', html, re.DOTALL)
    assert len(drawings) == 8
    for svg in drawings:
        assert len(svg.encode()) < 700, svg  # a few hundred bytes each
    text = unescape(html)
    for words in ("Open Mijn Week in Chrome.", "Tap 'Install'.", "Open Mijn Week in Safari.",
                  "Scroll down and tap 'Add to Home Screen'.", "Tap 'Add'."):
        assert words in text
    # The theme colour marks what to tap.
    assert "#1d5c96" in html


def test_install_page_is_light_and_keeps_to_the_content_security_policy(app):
    html = _page(app.test_client())
    assert len(gzip.compress(html.encode())) < 12 * 1024
    page = outline(html)
    assert page.inline_styles == 0
    assert all(script.get("src") for script in page.scripts), "no inline scripts: the CSP forbids them"
    install_js = [script for script in page.scripts if "install" in script["src"]]
    assert len(install_js) == 1 and "defer" in install_js[0]
    assert app.test_client().get(install_js[0]["src"]).status_code == 200


def test_install_page_links_its_own_stylesheet(app):
    stylesheets = outline(_page(app.test_client())).stylesheets
    install_css = [href for href in stylesheets if "install" in href]
    assert len(install_css) == 1
    assert app.test_client().get(install_css[0]).status_code == 200


def test_install_page_in_arabic_is_right_to_left(app):
    html = _page(app.test_client(), "ar")
    assert '<html lang="ar" dir="rtl">' in html


# --- The manifest --------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_has_what_installing_needs(app):
    client = app.test_client()
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["id"] == "/week"
    assert manifest["name"] == manifest["short_name"] == "Mijn Week"
    assert manifest["description"] == DESCRIPTION
    assert (manifest["lang"], manifest["dir"]) == ("en", "ltr")
    assert manifest["start_url"] == "/week" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["background_color"] == "#ffffff"
    # The same colour as the page's <meta name="theme-color">, so nothing flashes on opening.
    theme = re.search(r'<meta name="theme-color" content="([^"]+)">', _page(client))
    assert theme and manifest["theme_color"] == theme.group(1) == "#1d5c96"

    icons = {(icon["purpose"], icon["sizes"]): icon for icon in manifest["icons"]}
    assert set(icons) == {(purpose, size) for purpose in ("any", "maskable") for size in ("192x192", "512x512")}
    for (purpose, size), icon in icons.items():
        assert icon["type"] == "image/png"
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        width, height = _png_size(image.data)
        assert f"{width}x{height}" == size
    assert icons["any", "512x512"]["src"] != icons["maskable", "512x512"]["src"]


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_manifest_speaks_the_visitors_language(app, locale):
    manifest = app.test_client().get("/manifest.webmanifest", headers={"Accept-Language": locale}).get_json()
    with force_locale(locale):
        expected = _(DESCRIPTION)
    assert (manifest["lang"], manifest["dir"]) == (locale, "rtl" if locale == "ar" else "ltr")
    assert manifest["description"] == expected
    assert manifest["name"] == "Mijn Week"  # the product name stays as it is (docs/translating.md)


def test_manifest_in_arabic_for_an_arabic_reader_and_when_the_page_asks(app, make_user, login_as):
    arabic = re.compile(r"[\u0600-\u06FF]")
    # The person's own language, whatever the phone's is.
    reader = make_user(Role.PARTICIPANT, locale="ar")
    own = login_as(reader).get("/manifest.webmanifest", headers={"Accept-Language": "nl"}).get_json()
    assert own["lang"] == "ar" and arabic.search(own["description"])
    # The page names its language (browsers fetch a manifest without cookies).
    response = app.test_client().get("/manifest.webmanifest?lang=ar", headers={"Accept-Language": "nl"})
    asked = response.get_json()
    assert asked["lang"] == "ar" and asked["dir"] == "rtl" and arabic.search(asked["description"])
    assert "Accept-Language" not in response.vary
    # An unknown language falls back to the visitor's.
    assert app.test_client().get("/manifest.webmanifest?lang=xx",
                                 headers={"Accept-Language": "ti"}).get_json()["lang"] == "ti"
