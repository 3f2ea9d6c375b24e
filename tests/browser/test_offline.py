"""Without signal, in real Chromium: the week last seen opens with an "offline" notice, the
next week too, a page never seen gives the offline page, and signing out empties what the
phone kept of that person. Playwright's offline mode cuts the network for the whole context,
service worker included."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import OFFLINE_READER_PHONE as PHONE
from .conftest import OFFLINE_READER_PIN as PIN
from .conftest import PHONE_VIEWPORT

pytestmark = pytest.mark.browser
SLOW = 20000  # ms: a service worker that the browser stopped starts again first, slowly on a busy machine

SAVED_PAGES = """async () => {
  const cache = await caches.open("pages");
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}"""


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="ti", timezone_id="Europe/Amsterdam",
                                  base_url=live_server, service_workers="allow")
    yield context
    context.close()


def _sign_in(page) -> None:
    page.goto("/login")
    page.locator("input[name=phone]").fill(PHONE)
    page.locator("input[name=pin]").fill(PIN)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/week"))


def _wait_for_saved(page, paths: set[str]) -> None:
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)
    for _ in range(200):
        if paths <= set(page.evaluate(SAVED_PAGES)):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"saved pages {page.evaluate(SAVED_PAGES)}, expected at least {paths}")


def test_the_week_opens_without_signal_and_sign_out_forgets_it(context, reader):
    this_week = reader
    page = context.new_page()
    _sign_in(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the service worker controls the page, and it keeps what it shows
    _wait_for_saved(page, {"/week", f"/week/{this_week.shifted(1)}"})
    expect(page.locator("#offline-notice")).to_be_hidden()

    context.set_offline(True)
    page.goto("/week")
    notice = page.locator("#offline-notice")
    expect(notice).to_be_visible(timeout=SLOW)
    expect(notice).to_contain_text(re.compile(r"\d\d:\d\d"))
    expect(page.locator(".card", has_text="Taalles B1")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ti")

    # Next week with the arrow: the swap finds no network and opens the saved page instead.
    page.locator("#week a[rel=next]").click()
    page.wait_for_url(re.compile(rf"/week/{this_week.shifted(1)}$"), timeout=SLOW)
    expect(page.locator(".card", has_text="Werkplek")).to_be_visible(timeout=SLOW)
    expect(page.locator("#offline-notice")).to_be_visible()

    page.goto("/messages")  # never opened: the offline page, in the person's language
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("a.btn-primary[href='/week']")).to_be_visible(timeout=SLOW)
    expect(page.locator("html")).to_have_attribute("lang", "ti")

    context.set_offline(False)
    page.goto("/settings")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(re.compile(r"/login"))
    page.wait_for_function("""async () => !(await caches.keys()).includes("pages")""", timeout=10000)

    context.set_offline(True)
    page.goto(f"/week/{this_week}")
    expect(page.locator(".card", has_text="Taalles B1")).to_have_count(0)


def test_static_files_have_hashed_names_and_no_request_leaves_the_site(context, reader, live_server):
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _sign_in(page)
    assets = [url for url in requested if "/assets/" in url]
    assert assets and all(re.search(r"\.[0-9a-f]{10}\.(css|js|woff2)$", url) for url in assets), assets
    assert all(url.startswith(live_server) for url in requested), [u for u in requested
                                                                   if not u.startswith(live_server)]


def test_a_new_version_waits_for_refresh_then_takes_over(context, reader, monkeypatch):
    from webapp.notify import routes

    page = context.new_page()
    _sign_in(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)
    first = page.evaluate("caches.keys()")
    prompt = page.locator("#update-ready")
    expect(prompt).to_be_hidden()

    # A release: the service worker's files change, so its version does.
    monkeypatch.setattr(routes, "PRECACHED_FILES", (*routes.PRECACHED_FILES, "css/staff.css"))
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    expect(prompt).to_be_visible(timeout=20000)
    assert set(first) <= set(page.evaluate("caches.keys()")), "the old version keeps serving until Refresh"

    with page.expect_navigation():
        prompt.locator("button").click()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)
    expect(page.locator("#update-ready")).to_be_hidden()
    static = [name for name in page.evaluate("caches.keys()") if name.startswith("static-")]
    assert len(static) == 1 and static[0] not in first, "the new version took over and the old files went"
