"""Read a day aloud: the button shows only when the phone has a voice for the page's language,
and it speaks that day's items in that language. Headless Chromium has no voices, so the
phone's voices are stood in for before the page's scripts run (speechSynthesis itself is the
browser's; only getVoices and speak are replaced, to observe what the page asks for)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PHONE_VIEWPORT, READER_NOTE
from .test_offline import _sign_in

pytestmark = pytest.mark.browser

VOICES = """(languages) => {
  window.__spoken = [];
  const voices = languages.map((lang) => ({ lang, name: "test " + lang, default: false, localService: true,
                                            voiceURI: "test-" + lang }));
  speechSynthesis.getVoices = () => voices;
  speechSynthesis.speak = (utterance) => window.__spoken.push({ text: utterance.text, lang: utterance.lang });
}"""


def _phone(browser, live_server, voices: list[str]):
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="ti", timezone_id="Europe/Amsterdam",
                                  base_url=live_server)
    context.add_init_script(f"({VOICES})({voices!r})")
    return context


def test_a_day_is_read_in_the_page_language_when_the_phone_has_that_voice(browser, live_server, reader):
    context = _phone(browser, live_server, ["en-GB", "ti-ER"])
    page = context.new_page()
    _sign_in(page)
    day = page.locator(".day", has_text="Taalles B1")
    button = day.locator("[data-read-aloud]")
    expect(button).to_be_visible()
    expect(page.locator(".day.is-empty [data-read-aloud]")).to_have_count(0)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "ti-ER"
    assert "Taalles B1" in spoken[0]["text"] and re.search(r"09:00", spoken[0]["text"])
    assert READER_NOTE not in spoken[0]["text"]  # Dutch text is not read with a Tigrinya voice
    context.close()


def test_own_text_is_read_with_a_voice_of_its_own_language(browser, live_server, reader):
    context = _phone(browser, live_server, ["ti-ER", "nl-NL"])
    page = context.new_page()
    _sign_in(page)
    own = page.locator(".own-text", has_text=READER_NOTE)
    expect(own.locator('[lang="nl"]')).to_have_text(READER_NOTE)
    button = own.locator("[data-read-text]")
    expect(button).to_be_visible()
    button.click()
    assert page.evaluate("window.__spoken") == [{"text": READER_NOTE, "lang": "nl-NL"}]
    context.close()


def test_no_button_for_own_text_without_a_voice_for_its_language(browser, live_server, reader):
    context = _phone(browser, live_server, ["ti-ER"])
    page = context.new_page()
    _sign_in(page)
    expect(page.locator(".own-text", has_text=READER_NOTE).locator("[data-read-text]")).to_be_hidden()
    context.close()


def test_no_button_without_a_voice_for_the_language(browser, live_server, reader):
    context = _phone(browser, live_server, ["en-GB", "nl-NL"])
    page = context.new_page()
    _sign_in(page)
    expect(page.locator(".day", has_text="Taalles B1").locator("[data-read-aloud]")).to_be_hidden()
    context.close()
