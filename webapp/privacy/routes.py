"""Everyone's own data as a page and a download; an admin erases a participant."""
from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.auth import role_required
from ..accounts.models import Role
from ..accounts.queries import get_participant_for_admin_or_404
from ..extensions import db
from .services import erase_participant, participants_for_admin, personal_data

bp = Blueprint("privacy", __name__)


@bp.get("/settings/my-data")
@login_required
def my_data():
    return render_template("privacy/my_data.html", data=personal_data(current_user))


@bp.get("/settings/my-data.json")
@login_required
def my_data_download():
    body = json.dumps(personal_data(current_user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="mijn-week-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/participants")
@role_required(Role.ADMIN)
def participants():
    return render_template("privacy/participants.html", participants=participants_for_admin())


@bp.route("/admin/participants/<int:participant_id>/erase", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def erase(participant_id: int):
    participant = get_participant_for_admin_or_404(participant_id, current_user)
    problem = None
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            name = participant.display_name
            erase_participant(current_user, participant)
            db.session.commit()
            flash(_("%(name)s and all their data are deleted.", name=name), "info")
            return redirect(url_for("privacy.participants"), 303)
        problem = _("Tick the box to confirm that everything of this person may be deleted.")
    return render_template("privacy/erase.html", participant=participant, problem=problem), 400 if problem else 200
