"""Every page each role reaches, in every language, is valid HTML for the Nu HTML Checker.

What is checked: every path of `tests.pages.reachable_pages` over the demo data, fetched
through the request API of a signed-in browser context (no page is rendered), for each of
the five viewers in each of the four locales, as the server answers it after redirects:
pages, the sign-in page a redirect lands on, and the translated error pages. Each path is
asked a second time as an htmx swap (`HX-Request: true`); where that answers with a
fragment instead of a page (the week, a participant's week), the fragment is checked too,
wrapped in a minimal document of the page's language (`WRAPPER`; its line numbers are
those of the fragment). The partials only POSTs return (an answered card, the overlap and
phrase previews) are the same templates as in the pages that include them, so they are not
asked separately; nor are the two polled/refreshed GET fragments in `NOT_PAGES`
(`messages.badge`, `buddies.busy`), which every signed-in page or the buddy's proposal page
includes.

The checker (vnu.jar from the vnu-jar npm package, run by Java) starts once over all files,
with `--errors-only`: a JVM start costs a second or two. Any error fails the test, listed
with the page, its line and the checker's message. Java and the jar are found at fixed
places; without them the test fails, naming `make test`, which installs both.
"""
from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import LOCALES

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
JAVA = Path("/usr/bin/java")
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VIEWERS = ("anonymous", "participant", "buddy", "coach", "admin")
# A fragment is checked inside this document; the fragment starts on the wrapper's 2nd line.
WRAPPER = ('<!DOCTYPE html><html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">'
           '<title>fragment</title></head><body>\n{fragment}\n</body></html>\n')
WRAPPER_LINES = 1
# Checked with the pages: the checker must find its one error (an htmx attribute without
# `data-`), or it did not really read the files.
CANARY = ("canary.html", ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>canary</title>'
                          '</head><body><p hx-get="/">canary</p></body></html>\n'))


@dataclass(frozen=True)
class Checked:
    """One file given to the checker: what was asked for, and how its lines map back."""

    where: str  # "[locale] viewer GET path (status)", with the landing page after a redirect
    line_offset: int = 0  # lines the wrapper adds before a fragment


def _is_document(body: str) -> bool:
    return body.lstrip()[:15].lower() == "<!doctype html>"


def _html(answer) -> str | None:
    if not answer.headers.get("content-type", "").startswith("text/html"):
        return None
    return answer.text()


def _collect(open_as, demo_site, directory: Path) -> dict[str, Checked]:
    """Fetch every page for every viewer and locale into `directory`; file name -> what it is.

    A landing page reached from several paths (anonymous visitors all land on /login) is
    written once per viewer, locale and status.
    """
    by_role: dict[str, list[str]] = defaultdict(list)
    for page in demo_site.reachable_pages():
        by_role[page.role].append(page.path)
    files: dict[str, Checked] = {}

    def write(body: str, checked: Checked) -> None:
        name = f"{len(files):04d}.html"
        (directory / name).write_text(body, encoding="utf-8")
        files[name] = checked

    for locale in LOCALES:
        for viewer in VIEWERS:
            seen: set[tuple[str, int]] = set()
            with open_as(viewer, locale) as (context, _page):
                for path in by_role[viewer]:
                    answer = context.request.get(path)
                    landing = urlsplit(answer.url)
                    landed = landing.path + (f"?{landing.query}" if landing.query else "")
                    body = _html(answer)
                    shown = path if landed == path else f"{path} -> {landed}"
                    where = f"[{locale}] {viewer} GET {shown} ({answer.status})"
                    if body is None:
                        continue  # another kind of file: the accessibility test names those
                    if (landed, answer.status) not in seen:
                        seen.add((landed, answer.status))
                        write(body, Checked(where))
                    if answer.status != 200 or landed != path:
                        continue
                    swap = context.request.get(path, headers={"HX-Request": "true"}, max_redirects=0)
                    fragment = _html(swap)
                    if fragment is None or _is_document(fragment):
                        continue
                    write(WRAPPER.format(lang=locale, dir="rtl" if locale == "ar" else "ltr",
                                         fragment=fragment),
                          Checked(f"[{locale}] {viewer} GET {path} as an htmx swap ({swap.status})",
                                  WRAPPER_LINES))
    return files


def _run_checker(directory: Path, names: list[str]) -> list[dict]:
    """The checker's messages (errors only) for these files, in one JVM."""
    finished = subprocess.run(
        [str(JAVA), "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--exit-zero-always",
         *(str(directory / name) for name in names)],
        capture_output=True, text=True, timeout=300, check=False)
    try:
        return json.loads(finished.stderr)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"the Nu HTML Checker did not answer in JSON (exit {finished.returncode}):\n"
                    f"{finished.stderr[-3000:]}{finished.stdout[-1000:]}", pytrace=False)


def test_every_page_is_valid_html(open_as, demo_site, tmp_path):
    missing = [f"{what} at {where}" for what, where in (("Java", JAVA), ("the Nu HTML Checker", VNU_JAR))
               if not where.exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing: run `make test`, which installs Java "
                    "(default-jre-headless) and vnu.jar (npm package vnu-jar).", pytrace=False)
    files = _collect(open_as, demo_site, tmp_path)
    assert len(files) >= 100, f"only {len(files)} pages fetched"
    (tmp_path / CANARY[0]).write_text(CANARY[1], encoding="utf-8")
    problems: dict[str, list[str]] = defaultdict(list)
    canary_found = False
    for message in _run_checker(tmp_path, [CANARY[0], *sorted(files)]):
        name = Path(unquote(urlsplit(message.get("url", "")).path)).name
        if name == CANARY[0]:
            canary_found = canary_found or "hx-get" in message.get("message", "")
            continue
        checked = files.get(name, Checked(message.get("url", "?")))
        line = message.get("lastLine", message.get("firstLine", 0)) - checked.line_offset
        extract = " ".join(message.get("extract", "").split())[:120]
        problems[checked.where].append(f"line {line}: {message.get('message')}"
                                       + (f"  [{extract}]" if extract else ""))
    assert canary_found, "the Nu HTML Checker missed the error in its canary file: did it check the pages?"
    count = sum(len(items) for items in problems.values())
    assert not problems, (f"the Nu HTML Checker found {count} errors in {len(problems)} of {len(files)} "
                          "pages:\n" + "\n".join(f"{where}\n" + "\n".join(f"    {item}" for item in items)
                                                for where, items in sorted(problems.items())))
