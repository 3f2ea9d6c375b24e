"""Every page, for every role, in every language, audited in Chromium on a small phone.

One crawl per locale (cached for the module) visits every page of `tests.pages.reachable_pages`
over the demo data, as each of the five viewers, in one browser context per viewer and
locale, with `bypass_csp=True` so axe-core can be injected. Each audited
page is checked for:

- axe-core violations (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA), at 360x740;
- target size at 360x740: every visible a[href], button, input, select, textarea and
  summary is at least 44x44 CSS px (the rule is spelled out in `TARGET_SIZE_JS`);
- structure: exactly one <h1>, exactly one <main>, <html lang> is the locale and
  <html dir> is rtl for Arabic only;
- reflow at 320 CSS px wide (what 1280 px at 400% zoom, or a 640 px window at 200%, is):
  the page does not scroll sideways.

What is audited: every page that answers 200 at its own address for a role, in every
locale. The rest is audited once: redirects once per viewer, locale and landing page
(anonymous visitors are sent to the sign-in page with a "please sign in" notice), error
pages once per locale and status (they are one template). A redirect that lands on one of
the viewer's own pages unchanged (a signed-in person opening /login) is not audited again.
Pages with closed <details> (the week's "I can't come") are measured closed and open, and
axe-core runs with them open. A GET route that answers with a fragment instead of a page,
or with a server error, fails the structure test.

Speed: which paths answer what is asked once per viewer through the request API, and only
pages that are audited are opened. The five viewers of a locale are crawled in turn, one
step each (`_round_robin`): while axe-core runs in one page, the next page is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import LOCALES, PHONE_VIEWPORT

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
# Only css-orientation-lock reads the style sheets (axe fetches and parses them again on
# every run for it, a fifth of axe's time). Pages share their style sheets (app.css, and
# staff.css for staff), so in each context it runs once per set of style sheets.
AXE_OPTIONS_AFTER_FIRST = AXE_OPTIONS | {"preload": {"assets": ["media"]},
                                         "rules": {"css-orientation-lock": {"enabled": False}}}
VIEWERS = ("anonymous", "participant", "buddy", "coach", "admin")
NARROW_VIEWPORT = {"width": 320, "height": 640}
MIN_TARGET = 44

# The target-size rule, in words:
# - Checked: a[href], button, input (not type=hidden), select, textarea and summary that are
#   rendered (Element.checkVisibility: not display:none, not inside a closed <details>, not
#   visibility:hidden) and have a box. Something placed off-screen until it gets focus (the
#   skip link) is measured while focused.
# - Size: the border box from getBoundingClientRect() must be >= 44x44 CSS px. For a checkbox
#   or radio button, clicking its <label> works too, so the input OR one of its labels must be
#   >= 44x44.
# - Exempt: an inline text link in running text, like WCAG 2.5.5/2.5.8's "inline" exception:
#   an <a> whose computed display is `inline` and whose nearest block container (p, li, td,
#   dd, ...) holds letters or digits outside the link. A link that is a paragraph of its own
#   is not running text, and must be 44x44 like a button.
TARGET_SIZE_JS = """
(min) => {
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    for (const attr of ['type', 'name', 'value', 'href']) {
      if (el.hasAttribute(attr)) name += `[${attr}="${el.getAttribute(attr).slice(0, 40)}"]`;
    }
    const text = (el.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    if (!block) return false;
    const around = block.textContent.replace(el.textContent, '');
    return /[\\p{L}\\p{N}]/u.test(around);
  };
  const box = (el) => {
    let rect = el.getBoundingClientRect();
    if (rect.bottom + scrollY <= 0 || rect.right + scrollX <= 0 || rect.left + scrollX >= document.documentElement.scrollWidth) {
      el.focus({preventScroll: true});
      rect = el.getBoundingClientRect();
      el.blur();
    }
    return rect;
  };
  const big = (rect) => rect.width >= min - 0.01 && rect.height >= min - 0.01;
  const small = [];
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({checkOpacity: false, checkVisibilityCSS: true})) continue;
    const rect = box(el);
    if (rect.width === 0 && rect.height === 0) continue;
    if (inRunningText(el)) continue;
    if (big(rect)) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      if ([...(el.labels || [])].some((label) => big(label.getBoundingClientRect()))) continue;
    }
    small.push(`${describe(el)} is ${Math.round(rect.width * 10) / 10}x${Math.round(rect.height * 10) / 10}`);
  }
  return small;
}
"""

STRUCTURE_JS = """
() => ({
  h1: document.querySelectorAll('h1').length,
  main: document.querySelectorAll('main').length,
  lang: document.documentElement.getAttribute('lang'),
  dir: document.documentElement.getAttribute('dir'),
  closedDetails: document.querySelectorAll('details:not([open])').length,
  styleSheets: [...document.styleSheets].map((sheet) => sheet.href || 'inline').sort().join(' '),
})
"""

# Sideways scrolling, and the outermost elements that stick out of the viewport.
REFLOW_JS = """
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || (rect.right <= width + 0.5 && rect.left >= -0.5)) continue;
    if (out.some((outer) => outer.contains(el))) continue;
    out.push(el);
  }
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  return `scrollWidth ${root.scrollWidth} > clientWidth ${width}; sticking out: ` +
    out.slice(0, 5).map((el) => {
      const rect = el.getBoundingClientRect();
      return `${name(el)} [${Math.round(rect.left)}..${Math.round(rect.right)}]`;
    }).join(', ');
}
"""


@dataclass
class Audit:
    locale: str
    viewer: str
    path: str
    status: int
    landing: str  # where the browser ended up (path and query) after redirects
    violations: list[str] = field(default_factory=list)
    small_targets: list[str] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)
    overflow: str | None = None

    @property
    def where(self) -> str:
        shown = self.path if self.landing == self.path else f"{self.path} -> {self.landing}"
        return f"[{self.locale}] {self.viewer} GET {shown} ({self.status})"


def _axe_violations(result: dict) -> list[str]:
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"][:5]:
            target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
            found.append(f"{violation['id']} ({violation['impact']}): {target} :: {violation['help']}")
        if len(violation["nodes"]) > 5:
            found.append(f"{violation['id']}: ... and {len(violation['nodes']) - 5} more elements")
    return found


def _check_structure(audit: Audit, structure: dict) -> None:
    expected_dir = "rtl" if audit.locale == "ar" else "ltr"
    if structure["h1"] != 1:
        audit.structure.append(f"{structure['h1']} <h1> elements, expected exactly 1")
    if structure["main"] != 1:
        audit.structure.append(f"{structure['main']} <main> elements, expected exactly 1")
    if structure["lang"] != audit.locale:
        audit.structure.append(f'<html lang="{structure["lang"]}">, expected "{audit.locale}"')
    if structure["dir"] != expected_dir:
        audit.structure.append(f'<html dir="{structure["dir"]}">, expected "{expected_dir}"')


def _audit(page, audit: Audit, style_sheets_checked: set):
    """Audit the page just loaded. A generator: it yields while axe-core runs in the page, so
    the crawl can load and measure another viewer's page meanwhile (see `_round_robin`).

    A page with closed <details> (the week's "I can't come") is measured closed and open;
    axe-core runs once, with every <details> open, so it sees the hidden forms as well.
    """
    structure, audit.small_targets = page.evaluate(
        f"min => [({STRUCTURE_JS})(), ({TARGET_SIZE_JS})(min)]", MIN_TARGET)
    _check_structure(audit, structure)
    has_details = structure["closedDetails"] > 0
    page.set_viewport_size(NARROW_VIEWPORT)
    try:
        closed, opened = page.evaluate(f"""open => {{
            const closed = ({REFLOW_JS})();
            if (!open) return [closed, null];
            document.querySelectorAll('details').forEach((d) => {{ d.open = true; }});
            return [closed, ({REFLOW_JS})()];
        }}""", has_details)
    finally:
        page.set_viewport_size(PHONE_VIEWPORT)
    audit.overflow = "; ".join(filter(None, [closed, opened and f"with <details> open: {opened}"])) or None
    if has_details:
        audit.small_targets += [f"with <details> open: {small}"
                                for small in page.evaluate(TARGET_SIZE_JS, MIN_TARGET)]

    new_sheets = structure["styleSheets"] not in style_sheets_checked
    style_sheets_checked.add(structure["styleSheets"])
    page.evaluate("options => { window.__axeRun = axe.run(document, options); }",
                  AXE_OPTIONS if new_sheets else AXE_OPTIONS_AFTER_FIRST)
    yield
    audit.violations = _axe_violations(page.evaluate("() => window.__axeRun"))


@dataclass(frozen=True)
class Visit:
    """What a viewer gets for a path, found once through the request API (it is the same in
    every locale): the final status, the path it ended on, and whether <main> starts with
    a notice (the "please sign in" message after a redirect)."""

    path: str
    status: int
    landing: str
    notice: bool
    document: bool  # a whole HTML document, not a fragment or another kind of file


def _visits_of(context, paths: list[str]) -> list[Visit]:
    visits = []
    for path in paths:
        answer = context.request.get(path)
        body = answer.text() if answer.headers.get("content-type", "").startswith("text/") else ""
        visits.append(Visit(path, answer.status, urlsplit(answer.url).path,
                            'class="notice' in body[body.find("<main"):body.find("</main>")],
                            body.lstrip()[:15].lower() == "<!doctype html>"))
    return visits


def _crawl_as(open_as, viewer: str, paths: list[str], locale: str, audits: list[Audit],
              errors_seen: set, visits_cache: dict):
    """Audit what `viewer` sees of `paths` in `locale` (a generator, like `_audit`).

    Only pages that are audited are opened in the browser: every page that answers 200 at
    its own address; once, a redirect to a page with a notice; error pages once per locale
    and status, for whichever viewer meets them first (`errors_seen`).
    """
    seen: set[tuple] = set()
    style_sheets_checked: set[str] = set()  # by css-orientation-lock, in this context
    # Service workers are blocked: the app registers one on every signed-in page, and it
    # would sit between each page load and the server without changing what is audited.
    with open_as(viewer, locale, bypass_csp=True, service_workers="block") as (context, page):
        # axe-core comes with every document of this context. This is what
        # page.add_script_tag(path=AXE_JS) does after each load, but that sends 550 kB through
        # the Playwright driver for every page and made the crawl about 40% slower.
        # Both need bypass_csp=True once the app sends a strict Content-Security-Policy.
        context.add_init_script(path=str(AXE_JS))
        if viewer not in visits_cache:
            visits_cache[viewer] = _visits_of(context, paths)
        direct = {visit.path: visit for visit in visits_cache[viewer]}
        for visit in visits_cache[viewer]:
            if visit.status == 200 and visit.landing == visit.path:
                key, keys = ("own page", visit.path), seen
            elif visit.status == 200:
                own = direct.get(visit.landing)
                if own and own.status == 200 and own.landing == own.path and own.notice == visit.notice:
                    continue  # lands on the viewer's own page as it is, audited as such
                key, keys = ("redirect", visit.landing, visit.notice), seen
            else:
                key, keys = ("error", visit.status), errors_seen
            if key in keys:
                continue
            keys.add(key)
            if visit.status >= 500 or not visit.document:
                audit = Audit(locale, viewer, visit.path, visit.status, visit.landing)
                audit.structure.append("a server error" if visit.status >= 500 else
                                       "not an HTML document (a fragment or a file): add its endpoint "
                                       "to NOT_PAGES in tests/pages.py")
                audits.append(audit)
                continue
            response = page.goto(visit.path)
            assert response is not None, f"no response for {viewer} {visit.path}"
            url = urlsplit(page.url)
            audit = Audit(locale, viewer, visit.path, response.status,
                          url.path + (f"?{url.query}" if url.query else ""))
            audits.append(audit)
            yield from _audit(page, audit, style_sheets_checked)


def _round_robin(generators) -> None:
    """Run the generators to the end, one step of each in turn: while one page runs axe-core
    in its own renderer process, the next viewer's page is loaded and measured."""
    active = list(generators)
    try:
        while active:
            for generator in list(active):
                try:
                    next(generator)
                except StopIteration:
                    active.remove(generator)
    finally:
        for generator in active:
            generator.close()


def _crawl(open_as, pages, locale: str, visits_cache: dict) -> list[Audit]:
    audits: list[Audit] = []
    errors_seen: set[tuple] = set()
    _round_robin(_crawl_as(open_as, viewer, [p.path for p in pages if p.role == viewer], locale, audits,
                           errors_seen, visits_cache)
                 for viewer in VIEWERS)
    audits.sort(key=lambda a: (VIEWERS.index(a.viewer), a.path))
    return audits


@pytest.fixture(scope="module")
def audits(open_as, demo_site):
    """`audits(locale)`: the crawl of that locale, run once for this module."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing at {AXE_JS}: run `make setup` (npm ci).", pytrace=False)
    pages = demo_site.reachable_pages()
    done: dict[str, list[Audit]] = {}
    visits: dict[str, list[Visit]] = {}  # per viewer, found in the first crawl

    def of(locale: str) -> list[Audit]:
        if locale not in done:
            done[locale] = _crawl(open_as, pages, locale, visits)
        return done[locale]

    return of


def _report(problems: list[tuple[Audit, list[str]]]) -> str:
    lines = []
    for audit, items in problems:
        lines.append(audit.where)
        lines.extend(f"    {item}" for item in items)
    return "\n".join(lines)


@pytest.mark.browser
@pytest.mark.parametrize("locale", LOCALES)
def test_each_role_reaches_its_own_pages(audits, locale):
    """Sanity check of the crawl: everyone signed in, and each role's home page was audited."""
    own = {(a.viewer, a.path) for a in audits(locale) if a.status == 200 and a.landing == a.path}
    for expected in [("anonymous", "/login"), ("participant", "/week"), ("buddy", "/week"),
                     ("coach", "/coach"), ("admin", "/admin")]:
        assert expected in own, f"[{locale}] {expected} was not audited as a 200 page; audited: {sorted(own)}"


@pytest.mark.browser
@pytest.mark.parametrize("locale", LOCALES)
def test_axe_finds_no_violations(audits, locale):
    problems = [(a, a.violations) for a in audits(locale) if a.violations]
    assert not problems, f"axe-core violations in {locale}:\n{_report(problems)}"


@pytest.mark.browser
@pytest.mark.parametrize("locale", LOCALES)
def test_touch_targets_are_at_least_44px(audits, locale):
    problems = [(a, a.small_targets) for a in audits(locale) if a.small_targets]
    assert not problems, (f"targets smaller than {MIN_TARGET}x{MIN_TARGET} CSS px at 360x740 "
                          f"in {locale}:\n{_report(problems)}")


@pytest.mark.browser
@pytest.mark.parametrize("locale", LOCALES)
def test_one_h1_a_main_and_the_right_language(audits, locale):
    problems = [(a, a.structure) for a in audits(locale) if a.structure]
    assert not problems, f"page structure in {locale}:\n{_report(problems)}"


@pytest.mark.browser
@pytest.mark.parametrize("locale", LOCALES)
def test_no_sideways_scrolling_at_320px(audits, locale):
    problems = [(a, [a.overflow]) for a in audits(locale) if a.overflow]
    assert not problems, f"horizontal scrolling at 320 CSS px in {locale}:\n{_report(problems)}"
