"""Static files under hashed names, compression, the service worker's version and the offline page."""
from __future__ import annotations

import re

import brotli

from webapp.accounts.models import Role
from webapp.static_files import build


def test_static_files_are_served_under_their_hash_for_a_year(app, client, tmp_path):
    page = client.get("/login").get_data(as_text=True)
    stylesheet = re.search(r'href="(/assets/css/app\.[0-9a-f]{10}\.css)"', page).group(1)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    font = re.search(r'url\("\.\./(vendor/fonts/[^"]+\.[0-9a-f]{10}\.woff2)"\)', response.get_data(as_text=True))
    assert font, "the stylesheet points at the fonts' hashed names"
    assert client.get("/assets/" + font.group(1)).status_code == 200
    assert client.get(stylesheet.replace(stylesheet[-15:-5], "0123456789")).status_code == 404
    assert client.get("/assets/css/app.css").status_code == 404


def test_a_changed_file_gets_a_new_name_and_so_does_the_stylesheet_using_it(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "a.woff2").write_bytes(b"one")
    (tmp_path / "css" / "app.css").write_text('@font-face { src: url("../fonts/a.woff2"); }')
    before = build(tmp_path)
    (tmp_path / "fonts" / "a.woff2").write_bytes(b"two")
    after = build(tmp_path)
    assert before.hashes["fonts/a.woff2"] != after.hashes["fonts/a.woff2"]
    assert before.hashes["css/app.css"] != after.hashes["css/app.css"]
    assert f'url("../fonts/a.{after.hashes["fonts/a.woff2"]}.woff2")' in after.rewritten["css/app.css"].decode()


def test_pages_and_static_files_are_compressed(app, make_user, login_as):
    person = make_user(Role.PARTICIPANT)
    client = login_as(person)
    response = client.get("/week", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "br"
    assert "<html" in brotli.decompress(response.data).decode()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_no_page_refers_to_another_site(app, make_user, login_as):
    client = login_as(make_user(Role.PARTICIPANT))
    page = client.get("/week").get_data(as_text=True)
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)


def test_service_worker_precaches_hashed_files_and_its_version_follows_them(app, client, monkeypatch):
    first = client.get("/sw.js").get_data(as_text=True)
    assert re.search(r'"/assets/js/app\.[0-9a-f]{10}\.js"', first)
    assert '"/offline"' in first
    from webapp import static_files

    digests = static_files.digests()
    changed = static_files.Digests({**digests.hashes, "js/app.js": "fedcba9876"}, digests.rewritten)
    monkeypatch.setattr(static_files, "digests", lambda: changed)
    second = client.get("/sw.js").get_data(as_text=True)
    version = re.compile(r'const VERSION = "([0-9a-f]+)"')
    assert version.search(first).group(1) != version.search(second).group(1)


def test_offline_page_and_sign_out_clears_the_browser_cache(app, make_user, login_as):
    person = make_user(Role.PARTICIPANT)
    client = login_as(person)
    assert client.get("/offline").status_code == 200
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache"'


def test_scripts_go_out_brotli_or_gzip_and_without_page_only_headers(app, client):
    from webapp.static_files import asset_url

    with app.test_request_context():
        script = asset_url("vendor/htmx.min.js")
    with_brotli = client.get(script, headers={"Accept-Encoding": "br, gzip"})
    assert with_brotli.headers["Content-Encoding"] == "br"
    assert brotli.decompress(with_brotli.data).startswith(b"var htmx") or b"htmx" in brotli.decompress(
        with_brotli.data)[:200]
    assert client.get(script, headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    assert "Content-Security-Policy" not in with_brotli.headers
