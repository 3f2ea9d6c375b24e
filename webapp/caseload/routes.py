"""The coach's caseload, a participant's page, and marking who came."""
from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import role_required
from ..accounts.models import BuddyMatch, Role
from ..accounts.queries import get_participant_or_404
from ..audit.services import history
from ..buddies.services import buddies as all_buddies
from ..buddies.services import held_counts
from ..errors import render_error
from ..extensions import db, htmx
from ..schedule.models import Presence
from ..schedule.queries import get_attendance_for_staff_or_404
from ..schedule.routes import wants_fragment
from ..schedule.services import PresenceRefused, build_week, mark_presence
from ..timeutil import IsoWeek, today_local
from .services import attendance_chart, caseload_overview, switch_off, switch_on

bp = Blueprint("caseload", __name__, url_prefix="/coach")


@bp.get("")
@role_required(Role.COACH)
def overview():
    return render_template("caseload/overview.html", rows=caseload_overview(current_user))


def _participant_week(participant, week: IsoWeek):
    view = build_week(participant, week, viewer=current_user)
    db.session.commit()  # extending recurring series may have added occurrences
    links = {
        "week_link": lambda target: url_for("caseload.participant_week", participant_id=participant.id,
                                            week_id=str(target)),
        "this_week_link": url_for("caseload.participant", participant_id=participant.id),
    }
    return view, links


@bp.get("/participants/<int:participant_id>")
@role_required(Role.COACH)
def participant(participant_id: int):
    person = get_participant_or_404(participant_id, current_user)
    view, links = _participant_week(person, IsoWeek.containing(today_local()))
    return _participant_page(person, view, links)


@bp.get("/participants/<int:participant_id>/week/<week_id>")
@role_required(Role.COACH)
def participant_week(participant_id: int, week_id: str):
    person = get_participant_or_404(participant_id, current_user)
    try:
        week = IsoWeek.parse(week_id)
    except ValueError:
        return render_error(400, _("This week does not exist. Weeks look like 2026-W48."))
    view, links = _participant_week(person, week)
    if wants_fragment():
        response = make_response(render_template("schedule/_week.html", view=view, week_is_section=True, **links))
        response.vary.add("HX-Request")
        return response
    return _participant_page(person, view, links)


def _participant_page(person, view, links):
    matches = db.session.scalars(
        db.select(BuddyMatch).where(BuddyMatch.participant_id == person.id, BuddyMatch.until.is_(None))
    ).all()
    matched = {buddy_match.buddy_id for buddy_match in matches}
    weeks, chart = attendance_chart(person)
    return render_template("caseload/participant.html", person=person, view=view, buddies=matches,
                           held_counts=held_counts(current_user),
                           available_buddies=[buddy for buddy in all_buddies() if buddy.id not in matched],
                           chart_weeks=weeks, chart=chart, changes=history(person), **links)


@bp.post("/attendances/<int:attendance_id>/presence")
@role_required(Role.COACH)
def presence(attendance_id: int):
    attendance = get_attendance_for_staff_or_404(attendance_id, current_user)
    choice = request.form.get("presence", "")
    if choice not in {value.value for value in Presence}:
        return render_error(400, _("Choose whether the person came."))
    problem = None
    try:
        mark_presence(attendance, Presence(choice), current_user)
        db.session.commit()
    except PresenceRefused:
        problem = _("You can mark this once the activity has started, and not when it is cancelled.")
    status = 400 if problem else 200
    if htmx:
        return render_template("schedule/_event_card.html", item=attendance, problem=problem,
                               failed_item_id=attendance.id if problem else None), status
    if problem:
        return render_error(400, problem)
    return redirect(url_for("caseload.participant", participant_id=attendance.user_id), 303)


@bp.post("/participants/<int:participant_id>/deactivate")
@role_required(Role.COACH)
def deactivate(participant_id: int):
    switch_off(current_user, get_participant_or_404(participant_id, current_user))
    db.session.commit()
    return redirect(url_for("caseload.participant", participant_id=participant_id), 303)


@bp.post("/participants/<int:participant_id>/reactivate")
@role_required(Role.COACH)
def reactivate(participant_id: int):
    switch_on(current_user, get_participant_or_404(participant_id, current_user))
    db.session.commit()
    return redirect(url_for("caseload.participant", participant_id=participant_id), 303)
