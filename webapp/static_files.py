"""Static files under content-hashed names (`css/app.3f9a1c2b7d.css`), cached for a year.

Our own scripts and stylesheets are served minified (rjsmin, rcssmin: comments and spaces
are for their readers, not for phones on prepaid data); the files in the tree stay as written.

Written here because Flask-Static-Digest, the maintained Flask option, neither rewrites the
`url()` references inside stylesheets (our fonts) nor serves its hashed copies with a long
cache; this is a few dozen lines with no build step and no generated files. A name whose
hash is not the current content's is a 404: a page never gets a mix of two versions.
"""
from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import (
    Flask,
    abort,
    current_app,
    make_response,
    request,
    send_from_directory,
    url_for,
)

ONE_YEAR = 365 * 86400
PRECOMPRESSED = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")
CSS_URL = re.compile(r"""url\((["']?)(?!data:|https?:|/)([^"')]+)\1\)""")


@dataclass(frozen=True)
class Digests:
    """Every static file's hash, and the stylesheets rewritten to point at hashed names."""

    hashes: dict[str, str]
    rewritten: dict[str, bytes]  # what is served instead of the file: minified, with hashed url()s

    def hashed_name(self, filename: str) -> str:
        stem, dot, suffix = filename.rpartition(".")
        return f"{stem}.{self.hashes[filename]}.{suffix}" if dot else filename


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def build(folder: Path) -> Digests:
    """Hash every file; stylesheets last, after their `url()`s point at hashed names."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    hashes: dict[str, str] = {}
    rewritten: dict[str, bytes] = {}
    for path in (p for p in files if p.suffix != ".css"):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".js" and not path.name.endswith(".min.js"):
            rewritten[name] = rjsmin.jsmin(path.read_text("utf-8")).encode()
        hashes[name] = _digest(rewritten.get(name) or path.read_bytes())
    for path in (p for p in files if p.suffix == ".css"):
        name = path.relative_to(folder).as_posix()
        directory = posixpath.dirname(name)

        def to_hashed(match: re.Match) -> str:
            target = posixpath.normpath(posixpath.join(directory, match.group(2)))
            if target not in hashes:
                return match.group(0)
            stem, _, suffix = target.rpartition(".")
            relative = posixpath.relpath(f"{stem}.{hashes[target]}.{suffix}", directory)
            return f'url("{relative}")'

        text = rcssmin.cssmin(CSS_URL.sub(to_hashed, path.read_text("utf-8"))).encode()
        rewritten[name] = text
        hashes[name] = _digest(text)
    return Digests(hashes, rewritten)


def digests() -> Digests:
    """The current hashes; rebuilt on every call while debugging, so edits show at once."""
    state = current_app.extensions["static_digests"]
    if current_app.debug or state.get("digests") is None:
        state["digests"] = build(Path(current_app.static_folder))
    return state["digests"]


def asset_url(filename: str) -> str:
    """The URL of a static file under its content-hashed name (for templates and the service worker)."""
    return url_for("hashed_static", name=digests().hashed_name(filename))


@lru_cache(maxsize=64)
def _brotli(filename: str, digest: str) -> bytes:
    """Compressed once per file version at Brotli's best level (too slow per request, fine once)."""
    found = digests()
    data = found.rewritten.get(filename) or (Path(current_app.static_folder) / filename).read_bytes()
    return brotli.compress(data, quality=11)


def serve_hashed(name: str):
    """A static file by its hashed name, cacheable for a year; any other hash is a 404.

    Text files go out Brotli-compressed at the highest level when the browser takes it
    (Flask-Compress leaves an encoded response alone); fonts are compressed already.
    """
    match = HASHED.match(name)
    if not match:
        abort(404)
    filename = match["stem"] + match["suffix"]
    found = digests()
    if found.hashes.get(filename) != match["digest"]:
        abort(404)
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if mimetype in PRECOMPRESSED and "br" in request.accept_encodings:
        response = make_response(_brotli(filename, match["digest"]))
        response.headers["Content-Encoding"] = "br"
        response.vary.add("Accept-Encoding")
        response.mimetype = mimetype
    elif mimetype in PRECOMPRESSED or filename in found.rewritten:
        # In memory rather than streamed, so Flask-Compress gzips it for browsers without Brotli.
        response = make_response(found.rewritten.get(filename) or
                                 (Path(current_app.static_folder) / filename).read_bytes())
        response.mimetype = mimetype
    else:
        response = send_from_directory(current_app.static_folder, filename, max_age=ONE_YEAR, etag=False,
                                       conditional=False)
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    return response


def register(app: Flask) -> None:
    app.extensions["static_digests"] = {}
    app.add_url_rule("/assets/<path:name>", "hashed_static", serve_hashed)
    app.add_template_global(asset_url)
