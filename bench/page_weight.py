"""Page weight: the bytes a phone downloads for the first load of the week and for a week swap.

    .venv/bin/python -m bench.page_weight [--locales nl,ar,en,ti] [--database-url postgresql://...]

Builds the app on a temporary database through the real migrations, fills in the demo
(`flask demo seed`: Farid reads Dutch, Amina Arabic, Grace English, Yonas Tigrinya), serves it
on 127.0.0.1 with a real HTTP server, signs each participant in through the sign-in form (phone
and PIN) and then, like a phone with an empty cache:

- GET /week with `Accept-Encoding: br, gzip`, and everything that page pulls in: stylesheets,
  scripts, the icon, the manifest, the service worker that push.js registers, images and fonts
  the stylesheets refer to; a font with a `unicode-range` only when the page has text in that
  range (the Ethiopic font for Tigrinya), as a browser decides;
- GET /week/<next week> with `HX-Request: true`: the partial a previous/next swap gets.

Every byte counted is a body byte as it came over the wire (compressed when the server
compressed it; chunked framing removed); headers are shown apart. Next to the totals it puts the
week's own information: the UTF-8 bytes of the title, times and place of each of its activities.
Exits 1 when a language is over its first-load budget (35 KB; 70 KB for Tigrinya, whose page on
a phone without an Ethiopic font also downloads the two weights of the Ge'ez web font, cut to the
Tigrinya syllabary) or over 3 KB for a swap, in every language (DESIGN.md; 1 KB = 1,024 bytes).
See bench/README.md.
"""
from __future__ import annotations

import argparse
import re
import sys
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

from .support import (
    BROWSER_ENCODINGS,
    Client,
    Reply,
    build_app,
    kib,
    load_average,
    sign_in_participant,
    temporary_database,
)

FIRST_LOAD_BUDGET = 35 * 1024
# Tigrinya: the page with both weights of the Ge'ez web font that a phone without an Ethiopic font
# downloads (cut to the Tigrinya syllabary at set-up, webapp/ethiopic_font.py).
TIGRINYA_FIRST_LOAD_BUDGET = 70 * 1024
FIRST_LOAD_BUDGETS = {"nl": FIRST_LOAD_BUDGET, "ar": FIRST_LOAD_BUDGET, "en": FIRST_LOAD_BUDGET,
                      "ti": TIGRINYA_FIRST_LOAD_BUDGET}
SWAP_BUDGET = 3 * 1024  # every language, Tigrinya too
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/130.0 Mobile Safari/537.36")


# -- what a page pulls in ------------------------------------------------------------------------------

class PageParser(HTMLParser):
    """The URLs a browser fetches for this HTML, and the text it draws (for font ranges)."""

    FETCHED_LINKS = frozenset({"stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.assets: list[tuple[str, str]] = []  # (kind, url)
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "link":
            rels = set((values.get("rel") or "").lower().split())
            for rel in sorted(rels & self.FETCHED_LINKS):
                if values.get("href"):
                    self.assets.append((rel, values["href"]))
                    break
        elif tag == "script":
            if values.get("src"):
                self.assets.append(("script", values["src"]))
            self._skip += 1
        elif tag == "style":
            self._skip += 1
        elif tag in ("img", "source") and values.get("src"):
            self.assets.append(("image", values["src"]))
        elif tag in ("input", "textarea", "button") and (values.get("value") or values.get("placeholder")):
            self.text.append(values.get("value") or values.get("placeholder") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@dataclass
class FontFace:
    family: str
    weight: str
    url: str
    ranges: list[tuple[int, int]] = field(default_factory=list)  # empty: every character

    def covers(self, text: str) -> bool:
        if not self.ranges:
            return bool(text.strip())
        return any(low <= ord(char) <= high for char in set(text) for low, high in self.ranges)


def _unicode_ranges(value: str) -> list[tuple[int, int]]:
    ranges = []
    for part in value.split(","):
        part = part.strip().upper().removeprefix("U+")
        if "-" in part:
            low, high = part.split("-", 1)
            ranges.append((int(low, 16), int(high, 16)))
        elif "?" in part:
            ranges.append((int(part.replace("?", "0"), 16), int(part.replace("?", "F"), 16)))
        elif part:
            ranges.append((int(part, 16), int(part, 16)))
    return ranges


def parse_css(css: str) -> tuple[list[FontFace], list[str], set[str]]:
    """(@font-face rules, other url()s and @imports, font families used outside @font-face)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    faces = []
    for block in re.findall(r"@font-face\s*\{([^}]*)\}", css):
        declarations = {name.strip().lower(): value.strip()
                        for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", block)}
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", declarations.get("src", ""))
        if urls:
            faces.append(FontFace(declarations.get("font-family", "").strip("'\" "),
                                  declarations.get("font-weight", "400"), urls[0],
                                  _unicode_ranges(declarations.get("unicode-range", ""))))
    rest = re.sub(r"@font-face\s*\{[^}]*\}", "", css)
    others = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", rest)
    others += re.findall(r"@import\s+['\"]([^'\"]+)['\"]", rest)
    families = set()
    for value in re.findall(r"font(?:-family)?\s*:\s*([^;}]+)", rest):
        families.update(name.strip().strip("'\"") for name in value.split(","))
    return faces, [url for url in others if not url.startswith("data:") and not url.startswith("#")], families


SERVICE_WORKER = re.compile(r"serviceWorker\.register\(\s*['\"]([^'\"]+)['\"]")


@dataclass
class Item:
    label: str
    kind: str
    reply: Reply
    again: bool = False  # fetched a second time (the first answer was not cacheable)

    @property
    def size(self) -> int:
        return len(self.reply.body)

    @property
    def uncompressed(self) -> int:
        return len(self.reply.text().encode("utf-8")) if self.reply.encoding != "identity" else self.size


@dataclass
class Load:
    locale: str
    items: list[Item]
    swap: Item
    information: int
    swap_information: int
    notes: list[str]

    @property
    def first_load(self) -> int:
        return sum(item.size for item in self.items)

    @property
    def header_bytes(self) -> int:
        return sum(item.reply.header_bytes for item in self.items)


def cacheable(reply: Reply) -> bool:
    """Whether a browser would answer a second request for this URL from its HTTP cache."""
    control = (reply.headers.get("Cache-Control") or "").lower()
    if "no-store" in control or "no-cache" in control:
        return False
    match = re.search(r"max-age=(\d+)", control)
    return bool(match and int(match.group(1)) > 0) or "immutable" in control


def _json_constants(script: str) -> dict[str, object]:
    import json

    found = {}
    for name, value in re.findall(r"const\s+(\w+)\s*=\s*(\[[^;]*\]|\"[^\"]*\")\s*;", script):
        try:
            found[name] = json.loads(value)
        except ValueError:
            pass
    return found


def precached_urls(script: str) -> list[str]:
    """The URLs a service worker's install step stores with cache.addAll(...): literal strings and
    the JSON constants (const NAME = [...] / "...") named in its argument."""
    constants = _json_constants(script)
    urls = []
    for argument in re.findall(r"addAll\(([^;]*?)\)\s*\)?\s*;", script):
        urls += re.findall(r"[\"']([^\"']+)[\"']", argument)
        for name in re.findall(r"\b([A-Z_][A-Z0-9_]*)\b", argument):
            value = constants.get(name)
            urls += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [url for url in urls if isinstance(url, str) and url.startswith("/")]


class Loader:
    """Fetches like a browser with an empty cache: each URL once, again only when not cacheable."""

    def __init__(self, client: Client, headers: dict, notes: list[str]):
        self.client, self.headers, self.notes = client, headers, notes
        self.items: list[Item] = []
        self.fetched: dict[str, Reply] = {}

    def fetch(self, url: str, kind: str, base: str = "/week", label: str | None = None) -> Reply | None:
        parsed = urlparse(urljoin(base, url))
        if parsed.netloc and parsed.netloc != f"{self.client.host}:{self.client.port}":
            self.notes.append(f"not counted, another site: {url}")
            return None
        path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        earlier = self.fetched.get(path)
        if earlier is not None and cacheable(earlier):
            return None
        reply = self.client.get(path, headers=self.headers | ({"Accept": "text/html"} if kind in ("html", "saved page")
                                                             else {}))
        if reply.status != 200:
            self.notes.append(f"{path} answered {reply.status}")
        self.fetched[path] = reply
        self.items.append(Item(label or path, kind, reply, again=earlier is not None))
        return reply


def first_load(client: Client, headers: dict, notes: list[str]) -> list[Item]:
    """GET /week and everything it pulls in, as a phone with an empty cache:

    1. the page, its stylesheets, scripts, icon and manifest, and what the stylesheets refer to;
    2. fonts whose unicode-range covers text on the page (and whose family the CSS uses);
    3. the service worker a script registers, and what its install step stores (cache.addAll)
       that the HTTP cache does not already hold;
    4. the pages the week asks the service worker to keep for reading offline
       (`data-save-for-offline`), fetched right after the load.
    """
    loader = Loader(client, headers, notes)
    page = loader.fetch("/week", "html", label="/week")
    if page is None or page.status != 200 or 'id="week"' not in page.text():
        raise RuntimeError(f"/week answered {page.status if page else '?'} without the week")
    html = page.text()
    parser = PageParser()
    parser.feed(html)
    page_text = "".join(parser.text)
    queue = list(parser.assets)
    stylesheets, workers = [], []
    while queue:
        kind, url = queue.pop(0)
        path = urlparse(urljoin("/week", url)).path
        reply = loader.fetch(url, kind)
        if reply is None:
            continue
        if kind == "stylesheet" or path.endswith(".css"):
            faces, others, families = parse_css(reply.text())
            stylesheets.append((path, faces, families))
            queue += [("css url", urljoin(path, other)) for other in others]
        elif kind in ("script", "modulepreload") or path.endswith(".js"):
            for found in SERVICE_WORKER.findall(reply.text()):
                if found not in workers:
                    workers.append(found)
        elif kind == "manifest":
            notes.append("manifest icons not counted (a browser fetches one when it offers to install the app)")
    for path, faces, families in stylesheets:
        for face in faces:
            if face.family not in families:
                continue
            if not face.covers(page_text):
                notes.append(f"not downloaded for this text: {face.family} {face.weight} ({urlparse(face.url).path})")
                continue
            url = urljoin(path, face.url)
            loader.fetch(url, "font", label=f"{url.rsplit('/', 1)[-1]} ({face.family} {face.weight})")
    for worker in workers:
        script = loader.fetch(worker, "service worker")
        if script is None:
            continue
        for url in precached_urls(script.text()):
            loader.fetch(url, "precache")
    saved = re.findall(r'data-save-for-offline="([^"]*)"', html)
    if saved and workers:
        for url in " ".join(saved).split():
            loader.fetch(url, "saved page")
    return loader.items


# -- the week's own information ------------------------------------------------------------------------

def week_information(app, user_id: int, week) -> int:
    """UTF-8 bytes of what the week says about each activity: what (kind in the reader's language and
    the title when there is one), when (start and end time), where (place name and address)."""
    from flask_babel import force_locale

    from webapp.accounts.models import User
    from webapp.extensions import db
    from webapp.formatting import clock
    from webapp.schedule.kinds import KIND_STYLES
    from webapp.schedule.services import build_week

    with app.test_request_context("/week"):
        person = db.session.get(User, user_id)
        view = build_week(person, week)
        parts = []
        with force_locale(person.locale):
            for day in view.days:
                for attendance in day.items:
                    event = attendance.event
                    what = str(KIND_STYLES[event.kind].label)
                    if event.title and event.title != what:
                        what += " " + event.title
                    when = f"{clock(event.starts_at)}–{clock(event.ends_at)}"
                    where = ""
                    if event.location:
                        where = " ".join(part for part in (event.location.name, event.location.map_query) if part)
                    parts.append(f"{what}\n{when}\n{where}")
        db.session.rollback()
        db.session.remove()
    return len("\n".join(parts).encode("utf-8"))


# -- the run ---------------------------------------------------------------------------------------------

def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="bench-http")
    thread.start()
    return server


def measure(app, port: int, person, next_week) -> Load:
    from webapp.demo.seed import DEMO_PIN
    from webapp.timeutil import IsoWeek, today_local

    notes: list[str] = []
    headers = {"Accept-Encoding": BROWSER_ENCODINGS, "Accept-Language": person.locale, "User-Agent": PHONE_USER_AGENT}
    client = Client("127.0.0.1", port, headers={"User-Agent": PHONE_USER_AGENT})
    try:
        sign_in_participant(client, person.phone, DEMO_PIN)
        items = first_load(client, headers, notes)
        swap_reply = client.get(f"/week/{next_week}", headers=headers | {
            "HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:{port}/week", "HX-Target": "week",
            "Accept": "text/html"})
        if swap_reply.status != 200 or "<html" in swap_reply.text()[:500].lower():
            notes.append(f"the swap answered {swap_reply.status} with a whole page, not the partial")
        swap = Item(f"/week/{next_week} (HX-Request)", "swap", swap_reply)
    finally:
        client.close()
    this_week = IsoWeek.containing(today_local())
    return Load(person.locale, items, swap, week_information(app, person.id, this_week),
                week_information(app, person.id, next_week), notes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.page_weight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--locales", default="nl,ar,en,ti",
                        help="participants of the demo by language (nl,ar,en,ti)")
    parser.add_argument("--database-url", help="PostgreSQL URL (a temporary schema); default a temporary SQLite file")
    args = parser.parse_args(argv)
    args.locales = [code.strip() for code in args.locales.split(",") if code.strip()]
    unknown = set(args.locales) - {"nl", "ar", "en", "ti"}
    if unknown or not args.locales:
        parser.error(f"--locales takes nl, ar, en, ti (not {', '.join(sorted(unknown))})")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from webapp.demo.seed import seed_demo
    from webapp.extensions import db
    from webapp.timeutil import IsoWeek, today_local

    with temporary_database(args.database_url, prefix="page-weight") as database:
        print(f"Page weight: the demo on {database.described}, served on 127.0.0.1, "
              f"Accept-Encoding: {BROWSER_ENCODINGS}", file=sys.stderr)
        app = build_app(database)
        with app.app_context():
            result = seed_demo()
            db.session.commit()
            people = {}
            for person in result.participants:  # the first of each language (Yonas for ti, not Hiwet)
                people.setdefault(person.locale, person)
            db.session.remove()
        next_week = IsoWeek.containing(today_local()).shifted(1)
        server = serve(app)
        try:
            loads = [measure(app, server.port, people[locale], next_week) for locale in args.locales]
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    return report(loads, next_week)


def _key(item: Item) -> str:
    """One row per resource across languages (the manifest's ?lang= differs), marked when fetched twice."""
    label = re.sub(r"([?&]lang=)[\w-]+", r"\1..", item.label)
    return label + (" (again)" if item.again else "")


def report(loads: list[Load], next_week) -> int:
    names = {"nl": "Farid (nl)", "ar": "Amina (ar)", "en": "Grace (en)", "ti": "Yonas (ti)"}
    keys: list[str] = []
    for load in loads:
        for item in load.items:
            if _key(item) not in keys:
                keys.append(_key(item))
    first = loads[0]
    width = max(44, max(len(key) for key in keys) + 2)
    columns = " ".join(f"{names[load.locale]:>11}" for load in loads)
    print()
    print(f"  {'first load, body bytes as sent':{width}} {'pulled by':<14} {'enc':>8} {columns} {'uncompressed':>13}")
    for key in keys:
        found = [next((item for item in load.items if _key(item) == key), None) for load in loads]
        sample = next(item for item in found if item)
        print(f"  {key:{width}} {sample.kind:<14} {sample.reply.encoding:>8} "
              + " ".join(f"{item.size:>11,}" if item else f"{'-':>11}" for item in found)
              + f" {sample.uncompressed:>13,}")
    print("  " + "-" * (width + 25 + 12 * len(loads) + 14))
    pad = f"{'':<14} {'':>8}"

    def row(label: str, values: list[str], tail: str = "") -> None:
        print(f"  {label:{width}} {pad} " + " ".join(f"{value:>11}" for value in values) + tail)

    row("first load of the week", [f"{load.first_load:,}" for load in loads])
    row("  in KB", [kib(load.first_load) for load in loads])
    row("  budget", [kib(FIRST_LOAD_BUDGETS[load.locale]) for load in loads])
    row("  response headers besides (HTTP/1.1)", [f"{load.header_bytes:,}" for load in loads])
    print(f"  {'week swap ' + str(next_week):{width}} {'HX-Request':<14} {first.swap.reply.encoding:>8} "
          + " ".join(f"{load.swap.size:>11,}" for load in loads) + f" {first.swap.uncompressed:>13,}")
    row("  in KB (budget 3 KB)", [kib(load.swap.size) for load in loads])
    row("information in this week (UTF-8)", [f"{load.information:,}" for load in loads])
    row("  first load / information", [f"{load.first_load / max(load.information, 1):.0f}x" for load in loads])
    row("information in the next week (UTF-8)", [f"{load.swap_information:,}" for load in loads])
    row("  swap / information", [f"{load.swap.size / max(load.swap_information, 1):.1f}x" for load in loads])
    print(f"  ({load_average()}; 1 KB = 1,024 bytes; the Tigrinya page includes the Ethiopic web font a phone "
          f"without one downloads)")

    for note in sorted({note for load in loads for note in load.notes}):
        print(f"  note: {note}")
    uncompressed_text = sorted({_key(item) for load in loads for item in load.items + [load.swap]
                                if item.reply.encoding == "identity" and item.kind not in ("font", "icon", "image")
                                and item.size >= 500})
    if uncompressed_text:
        print(f"  note: sent without compression: {', '.join(uncompressed_text)}")

    missed = []
    for load in loads:
        budget = FIRST_LOAD_BUDGETS[load.locale]
        if load.first_load > budget:
            biggest = sorted(load.items, key=lambda item: item.size, reverse=True)[:4]
            missed.append(f"{names[load.locale]}: first load {kib(load.first_load)} > {kib(budget)}; largest: "
                          + ", ".join(f"{_key(item)} {kib(item.size)}" for item in biggest))
        if load.swap.size > SWAP_BUDGET:
            missed.append(f"{names[load.locale]}: week swap {kib(load.swap.size)} > 3 KB")
    for load in loads:
        fonts = sum(item.size for item in load.items if item.kind == "font")
        if fonts:
            print(f"  {names[load.locale]}: of the first load {kib(load.first_load)}, fonts are {kib(fonts)}"
                  f" (without them {kib(load.first_load - fonts)})")
    for line in missed:
        print(f"BUDGET MISSED: {line}")
    if not missed:
        print("OK: within budget (first load <= 35 KB, Tigrinya with its font <= 70 KB; swap <= 3 KB)")
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
