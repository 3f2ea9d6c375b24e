"""Mijn Week can be installed: Chromium itself says so, through the DevTools protocol.

`Page.getInstallabilityErrors` is the check behind Chrome's install prompt (Lighthouse no
longer has a PWA category). A normal Playwright context is incognito-like and always reports
`in-incognito`, so these tests open a persistent context (a real profile in a tmp folder) on
the live app of tests/browser/conftest.py, the way /work/shared/BROWSER-TESTS.md describes.

The install page is checked in the same browser: Chromium fires `beforeinstallprompt` for an
installable page, and the page's one button opens the browser's dialog (stubbed here: a
headless browser cannot answer it).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from webapp.accounts.models import Role, User
from webapp.accounts.services import hash_secret, normalise_phone
from webapp.extensions import db
from webapp.timeutil import now_utc

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE_VIEWPORT, PageProblems

pytestmark = pytest.mark.browser

PIN = "480153"
PHONE = "0612345301"  # apart from the numbers of the other browser tests on the same live app

# The browser's own install dialog, stubbed: prompt() is recorded, and the person says yes.
ACCEPTING_PROMPT = """
BeforeInstallPromptEvent.prototype.prompt = function () { window.__promptedByTest = true; return Promise.resolve(); };
Object.defineProperty(BeforeInstallPromptEvent.prototype, "userChoice", {
  get() { return Promise.resolve({outcome: "accepted", platform: "web"}); },
});
"""


@pytest.fixture(scope="module")
def amina(live_app) -> str:
    """An activated participant who reads Arabic; returns her phone number."""
    with live_app.app_context():
        db.session.add(User(role=Role.PARTICIPANT, display_name="Amina Installeert", phone=normalise_phone(PHONE),
                            locale="ar", secret_hash=hash_secret(PIN), activated_at=now_utc()))
        db.session.commit()
        db.session.remove()
    return PHONE


@pytest.fixture
def profile(browser, live_server, tmp_path):
    """`with profile(locale) as (context, page, cdp):` a persistent (not incognito) Chromium profile."""

    @contextmanager
    def opened(locale: str = "nl-NL", **options) -> Iterator:
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / f"profile-{locale}-{time.monotonic_ns()}"), executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS, base_url=live_server, viewport=PHONE_VIEWPORT, locale=locale,
            timezone_id="Europe/Amsterdam", **options)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield context, page, context.new_cdp_session(page)
        finally:
            context.close()

    return opened


def _sign_in(page, phone: str) -> None:
    page.goto("/login")
    page.locator("input[name=phone]").fill(phone)
    page.locator("input[name=pin]").fill(PIN)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert urlsplit(page.url).path == "/week", f"could not sign in: still on {page.url}"


def _wait_for_service_worker(page) -> None:
    """Until /sw.js (registered by static/js/push.js) is activated and controls the page."""
    deadline = time.monotonic() + 15
    while True:
        state = page.evaluate("""navigator.serviceWorker.getRegistration("/").then((registration) => ({
            script: registration && registration.active && registration.active.scriptURL,
            state: registration && registration.active && registration.active.state,
            controlled: Boolean(navigator.serviceWorker.controller)}))""")
        if state["state"] == "activated" and state["script"].endswith("/sw.js"):
            if state["controlled"]:
                return
            page.reload()  # the first load is not controlled unless the worker claims it
        assert time.monotonic() < deadline, f"the service worker did not become active: {state}"
        page.wait_for_timeout(200)


def test_the_week_is_installable_in_chromium(profile, amina, live_server):
    with profile() as (context, page, cdp):
        problems = PageProblems(page)
        _sign_in(page, amina)
        _wait_for_service_worker(page)
        assert urlsplit(page.url).path == "/week"

        # The whole list, unfiltered: nothing may stand in the way of installing.
        assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}

        manifest = cdp.send("Page.getAppManifest")
        assert urlsplit(manifest["url"]).path == "/manifest.webmanifest"
        assert manifest["errors"] == []
        read = json.loads(manifest["data"])
        assert (read["start_url"], read["display"]) == ("/week", "standalone")
        assert cdp.send("Page.getAppId") == {"appId": f"{live_server}/week", "recommendedId": "/week"}
        assert problems.items == []

        # The check is not empty by accident: a manifest without icons is refused, in this same profile.
        def without_icons(route):
            broken = json.loads(route.fetch().text())
            broken["icons"] = []
            route.fulfill(status=200, content_type="application/manifest+json", body=json.dumps(broken))

        context.route("**/manifest.webmanifest*", without_icons)
        page.reload()
        errors = [error["errorId"] for error in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
        assert "manifest-missing-suitable-icon" in errors


def test_chromium_reads_the_manifest_in_the_persons_own_language(profile, amina):
    with profile("nl-NL") as (_context, page, cdp):  # a Dutch phone; Amina reads Arabic
        _sign_in(page, amina)
        manifest = json.loads(cdp.send("Page.getAppManifest")["data"])
        assert (manifest["lang"], manifest["dir"]) == ("ar", "rtl")


def test_install_page_offers_the_browsers_own_dialog(profile):
    with profile("en-GB", extra_http_headers={"Accept-Language": "en"}) as (context, page, _cdp):
        context.add_init_script(ACCEPTING_PROMPT)
        problems = PageProblems(page)
        page.goto("/install")  # anonymous: people may read it before they have an account
        offer = page.locator('[data-install="offer"] button')
        offer.wait_for(state="visible", timeout=10_000)  # Chromium fired beforeinstallprompt
        assert page.locator('[data-install="installed"]').is_hidden()
        offer.click()
        page.locator('[data-install="done"]').wait_for(state="visible")
        assert page.evaluate("window.__promptedByTest") is True
        assert offer.is_hidden()
        assert page.locator(".install-steps > li").count() == 8  # the steps stay
        assert problems.items == []


def test_install_page_in_the_installed_app_says_it_is_there(browser, live_server):
    """On an iPhone's home screen (navigator.standalone) the page says so and offers nothing."""
    context = browser.new_context(base_url=live_server, viewport=PHONE_VIEWPORT, locale="en-GB",
                                  extra_http_headers={"Accept-Language": "en"})
    try:
        context.add_init_script("Object.defineProperty(navigator, 'standalone', {value: true});")
        page = context.new_page()
        problems = PageProblems(page)
        page.goto("/install")
        page.locator('[data-install="installed"]').wait_for(state="visible")
        assert page.locator('[data-install="offer"]').is_hidden()
        assert problems.items == []
    finally:
        context.close()


def test_install_page_in_arabic_reads_right_to_left(browser, live_server, artifacts_dir):
    context = browser.new_context(base_url=live_server, viewport=PHONE_VIEWPORT, locale="ar",
                                  extra_http_headers={"Accept-Language": "ar"})
    try:
        page = context.new_page()
        problems = PageProblems(page)
        page.goto("/install")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        # The drawings mirror (Arabic phones put the menu on the left); nothing else is flipped.
        transforms = page.evaluate("[...document.querySelectorAll('.install-steps svg')]"
                                   ".map((svg) => getComputedStyle(svg).transform)")
        assert transforms == ["matrix(-1, 0, 0, 1, 0, 0)"] * 8
        assert page.evaluate("getComputedStyle(document.querySelector('.install-steps')).direction") == "rtl"
        # In each step the drawing comes first, from the right.
        for step in page.locator(".install-steps > li").all():
            drawing, words = step.locator("svg").bounding_box(), step.locator("span").bounding_box()
            assert drawing["x"] > words["x"], "the drawing should stand right of the words in Arabic"
        page.screenshot(path=str(artifacts_dir / "install-ar.png"), full_page=True)
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert problems.items == []
    finally:
        context.close()
