"""Push devices, reminder choices, the test reminder, the service worker and its offline page."""
from __future__ import annotations

import hashlib
import json

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import render_error
from ..extensions import db, limiter
from ..i18n import LANGUAGES
from ..schedule.models import EventKind
from ..static_files import asset_url
from . import planner, subscriptions
from .models import PushSubscription
from .sender import send_due

bp = Blueprint("notify", __name__)


def _json_error(message: str, status: int = 400):
    return jsonify({"error": message}), status


@bp.post("/push/subscriptions")
@login_required
@limiter.limit("30 per hour")
def subscribe():
    if (request.content_length or 0) > subscriptions.MAX_BODY_BYTES:
        return _json_error(_("This is too large to be a push subscription."), 413)
    try:
        fields = subscriptions.parse(request.get_json(silent=True))
    except subscriptions.InvalidSubscription as problem:
        return _json_error(str(problem))
    subscription = subscriptions.save(current_user, fields, request.headers.get("User-Agent", ""))
    db.session.commit()
    return jsonify({"id": subscription.id}), 201


@bp.delete("/push/subscriptions")
@login_required
def unsubscribe():
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict) or not isinstance(body.get("endpoint"), str):
        return _json_error(_("This is not a push subscription."))
    if not subscriptions.remove(current_user, body["endpoint"]):
        return _json_error(_("This device is not known."), 404)
    db.session.commit()
    return "", 204


@bp.post("/push/devices/<int:device_id>/remove")
@login_required
def remove_device(device_id: int):
    device = db.session.scalars(select(PushSubscription).where(
        PushSubscription.id == device_id, PushSubscription.user_id == current_user.id)).first()
    if device is None:
        return _json_error(_("This device is not known."), 404) if request.is_json else render_error(
            404, _("This device is not known."))
    db.session.delete(device)
    db.session.commit()
    flash(_("Removed. This device gets no more reminders."), "info")
    return redirect(url_for("accounts.settings"), 303)


@bp.post("/push/test")
@login_required
@limiter.limit("10 per hour")
def test_reminder():
    planner.plan_test(current_user)
    db.session.commit()
    if current_app.config.get("PUSH_SEND_TEST_AT_ONCE", True):
        send_due()
    flash(_("A test reminder is on its way. If nothing arrives within a minute, remove this device and turn reminders on again."), "info")
    return redirect(url_for("accounts.settings"), 303)


@bp.post("/settings/reminders")
@login_required
def save_reminder_kinds():
    chosen = [kind.value for kind in EventKind if request.form.get(f"kind_{kind.value}")]
    current_user.reminder_kinds = chosen
    current_user.notification_details = request.form.get("details") == "y"
    db.session.commit()
    flash(_("Saved."), "info")
    return redirect(url_for("accounts.settings"), 303)


# Pages kept for reading without signal; coach and admin pages are not (shared office computers).
PERSONAL_PAGES = ("/week", "/messages", "/settings", "/buddy", "/install")
PRECACHED_FILES = ("css/app.css", "vendor/htmx.min.js", "js/app.js", "js/push.js")


@bp.get("/sw.js")
def service_worker():
    """The service worker: its version is the hash of what it caches and of its own code."""
    fallback = {}
    for locale in LANGUAGES:
        with force_locale(locale):
            fallback[locale] = {"title": "Mijn Week", "body": _("You have a new reminder. Open Mijn Week to see it.")}
    precache = [asset_url(name) for name in PRECACHED_FILES] + [
        url_for("pwa.icon", size=192), url_for("pwa.badge")]
    source = current_app.jinja_env.loader.get_source(current_app.jinja_env, "notify/sw.js")[0]
    version = hashlib.sha256(json.dumps([precache, fallback, source]).encode()).hexdigest()[:12]
    response = make_response(render_template(
        "notify/sw.js", fallback=fallback, precache=precache, version=version,
        offline_url=url_for("notify.offline"), personal_prefixes=PERSONAL_PAGES))
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True
    return response


@bp.get("/offline")
def offline():
    """What the service worker shows for a page it never saved, when there is no signal."""
    return render_template("notify/offline.html")
