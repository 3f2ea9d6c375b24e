"""The web manifest, in the visitor's language."""
from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..i18n import text_direction

bp = Blueprint("pwa", __name__)

THEME_COLOUR = "#1d5c96"


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
    })
    response.mimetype = "application/manifest+json"
    response.vary.update(["Accept-Language", "Cookie"])
    return response
