"""The web manifest, in the visitor's language."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, make_response, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..i18n import text_direction
from .icons import app_icon, badge_icon

bp = Blueprint("pwa", __name__)

THEME_COLOUR = "#1d5c96"


ICON_SIZES = (192, 512)


def _png(data: bytes):
    response = make_response(data)
    response.mimetype = "image/png"
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 86400
    return response


@bp.get("/icons/icon-<int:size>.png")
def icon(size: int):
    if size not in ICON_SIZES:
        abort(404)
    return _png(app_icon(size, safe_zone=0.8))


@bp.get("/icons/maskable-<int:size>.png")
def maskable_icon(size: int):
    if size not in ICON_SIZES:
        abort(404)
    return _png(app_icon(size, safe_zone=0.6))


@bp.get("/icons/badge-96.png")
def badge():
    return _png(badge_icon(96))


@bp.get("/manifest.webmanifest")
def manifest():
    locale = str(get_locale())
    response = jsonify({
        "name": "Mijn Week",
        "short_name": "Mijn Week",
        "description": _("Your week in one place: Dutch class, work, appointments and your language buddy."),
        "lang": locale,
        "dir": text_direction(locale),
        "start_url": url_for("schedule.week"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [{"src": url_for("pwa.icon", size=size), "sizes": f"{size}x{size}", "type": "image/png"}
                  for size in ICON_SIZES]
        + [{"src": url_for("pwa.maskable_icon", size=size), "sizes": f"{size}x{size}", "type": "image/png",
            "purpose": "maskable"} for size in ICON_SIZES],
    })
    response.mimetype = "application/manifest+json"
    response.vary.update(["Accept-Language", "Cookie"])
    return response
