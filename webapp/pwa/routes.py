"""The app on the phone: the web manifest in the reader's language, its icons, and the
page that shows how to put Mijn Week on the home screen."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from ..i18n import LANGUAGES, text_direction
from .icons import app_icon, badge_icon

bp = Blueprint("pwa", __name__)

THEME_COLOUR = "#1d5c96"
BACKGROUND_COLOUR = "#ffffff"
# The installed app's identity. Chrome derived it from start_url before it was written
# down, so it stays "/week": phones that installed Mijn Week keep one app, not two.
APP_ID = "/week"

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


def _manifest(locale: str) -> dict:
    return {
        "id": APP_ID,
        # The product name stays as it is in every language (docs/translating.md).
        "name": "Mijn Week",
        "short_name": "Mijn Week",
        "description": _("Your week in one place: Dutch class, work, appointments and your language buddy."),
        "lang": locale,
        "dir": text_direction(locale),
        "start_url": url_for("schedule.week"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [{"src": url_for("pwa.icon", size=size), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any"} for size in ICON_SIZES]
        + [{"src": url_for("pwa.maskable_icon", size=size), "sizes": f"{size}x{size}", "type": "image/png",
            "purpose": "maskable"} for size in ICON_SIZES],
    }


@bp.get("/manifest.webmanifest")
def manifest():
    """The manifest in `?lang=` when the page names its language, else in the visitor's.

    Browsers fetch a manifest without cookies (unless the link says
    crossorigin="use-credentials"), so without `lang` a signed-in person's own language
    is not known here and the phone's Accept-Language decides.
    """
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        with force_locale(asked):
            response = jsonify(_manifest(asked))
    else:
        response = jsonify(_manifest(str(get_locale())))
        response.vary.update(["Accept-Language", "Cookie"])
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/install")
def install():
    """How to put Mijn Week on the home screen, for Android and iPhone; open to everyone."""
    return render_template("pwa/install.html")
