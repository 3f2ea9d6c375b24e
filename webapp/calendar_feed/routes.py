"""The feed (no sign-in: calendar apps cannot sign in) and making or renewing its address."""
from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db, limiter
from .services import (
    build_calendar,
    find_owner,
    make_feed,
    offers_feed,
    renew_feed,
)

bp = Blueprint("calendar_feed", __name__)

# Short: a calendar app that looks again soon after a change should get the change.
FEED_MAX_AGE = 600


def _feed_key() -> str:
    """Rate-limit key per feed; hashed, so no token ends up in the limiter's storage or log."""
    token = (request.view_args or {}).get("token", "")
    return "calendar-feed:" + hashlib.sha256(token.encode()).hexdigest()[:32]


# Per feed: a leaked address cannot be hammered. Per address a lot more, because Google
# Calendar fetches everyone's subscribed calendars from a few shared machines.
@bp.get("/calendar/<token>.ics")
@limiter.limit("600 per hour")
@limiter.limit("60 per hour", key_func=_feed_key)
def feed(token: str):
    """The person's calendar as iCalendar; an unknown, renewed or disabled address is a 404."""
    owner = find_owner(token)
    if owner is None:
        abort(404)
    body = build_calendar(owner)
    db.session.commit()  # extending recurring series may have added occurrences
    response = make_response(body)
    response.content_type = "text/calendar; charset=utf-8"
    response.cache_control.private = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/settings/calendar")
@login_required
@limiter.limit("20 per hour")
def save():
    """Make the person's calendar address, or (intent=renew) replace it with a new one."""
    if not offers_feed(current_user):
        abort(404)
    if request.form.get("intent") == "renew":
        renew_feed(current_user)
        message = _("You have a new calendar address. The old address does not work any more. "
                    "Add the new address to your phone.")
    else:
        # A second tap on "Make my calendar address" keeps the address that the first one made.
        make_feed(current_user)
        message = _("Your calendar address is ready. Add it to your phone with the steps below.")
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("accounts.settings", _anchor="calendar"), 303)


