"""The buddy's home and planning pages; the participant's 'another time' page; coaches' matches."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import database_id
from ..accounts.auth import role_required
from ..accounts.models import Role, User
from ..accounts.queries import get_participant_or_404
from ..errors import render_error
from ..extensions import db
from ..phrases.preview import check_own_text
from ..phrases.wording import written_by
from ..schedule.forms import PLANNING_YEARS
from ..schedule.models import Location
from ..timeutil import IsoWeek, now_utc, to_local, today_local
from . import services
from .forms import CancelForm, MoveForm, ProposeForm

bp = Blueprint("buddies", __name__)


@bp.get("/buddy")
@role_required(Role.BUDDY)
def home():
    coming, past = services.meetings_with(current_user)
    return render_template("buddies/home.html", matches=services.matches_of(current_user), coming=coming, past=past,
                           now=now_utc())


def _places(form: ProposeForm) -> None:
    locations = db.session.scalars(select(Location).order_by(Location.name)).all()
    form.location_id.choices = [SelectChoice(0, _("Online, or a place we agree on"))] + [
        SelectChoice(place.id, place.name, render_kw={"translate": "no", "dir": "auto"}) for place in locations]


@bp.route("/buddy/participants/<int:participant_id>/meetings/new", methods=["GET", "POST"])
@role_required(Role.BUDDY)
def propose(participant_id: int):
    participant = services.get_matched_participant_or_404(participant_id, current_user)
    form = ProposeForm()
    _places(form)
    if request.method == "GET":
        form.day.data = today_local() + timedelta(days=2)
        form.start.data, form.end.data = time(14), time(15, 30)
    overlaps, shown, problem = [], None, None
    if form.validate_on_submit():
        slot = services.Slot(form.day.data, form.start.data, form.end.data)
        duration = datetime.combine(slot.day, slot.end) - datetime.combine(slot.day, slot.start)
        alternatives = [services.Slot(day, start, (datetime.combine(day, start) + duration).time())
                        for day, start in form.alternatives()]
        overlaps = services.overlaps_for(participant, slot)
        note = written_by(current_user, form.note_phrases.data, form.note.data)
        shown, problem = check_own_text(note, [participant], form.send_as_written.data)
        if not problem and (not overlaps or request.form.get("save_anyway")):
            services.propose(current_user, participant, slot, form.location_id.data or None, note, alternatives)
            db.session.commit()
            flash(_("Sent. %(name)s sees your proposal in their week.", name=participant.first_name), "info")
            return redirect(url_for("buddies.home"), 303)
    week = IsoWeek.containing(form.day.data if form.day.data and not form.day.errors else today_local())
    status = 400 if form.is_submitted() else 200
    return render_template("buddies/propose.html", form=form, participant=participant, overlaps=overlaps,
                           week=week, blocks=services.busy_blocks(participant, week), preview=shown,
                           problem=problem), status


@bp.get("/buddy/participants/<int:participant_id>/busy")
@role_required(Role.BUDDY)
def busy(participant_id: int):
    """The participant's busy times in the week of the chosen date, refreshed as the buddy picks a date."""
    participant = services.get_matched_participant_or_404(participant_id, current_user)
    try:
        day = datetime.strptime(request.args.get("day", ""), "%Y-%m-%d").date()
    except ValueError:
        day = today_local()
    if not PLANNING_YEARS[0] <= day <= PLANNING_YEARS[1]:
        day = today_local()  # year 1 or 9999 has no week in UTC
    week = IsoWeek.containing(day)
    return render_template("buddies/_busy.html", participant=participant, week=week,
                           blocks=services.busy_blocks(participant, week))


def _meeting_page(event, form, template: str, status: int = 200, shown=None, problem=None):
    return render_template(template, event=event, form=form, other=services.the_other(event, current_user).user,
                           preview=shown, problem=problem), status


def _reason_checked(event, form):
    """The reason as written, with its preview and what is wrong; a participant's words are theirs
    to choose (staff read them labelled with their language), so only a buddy is asked."""
    reason = written_by(current_user, form.reason_phrases.data, form.reason.data)
    if current_user.role != Role.BUDDY:
        return reason, None, None
    shown, problem = check_own_text(reason, [services.the_other(event, current_user).user], form.send_as_written.data)
    return reason, shown, problem


@bp.route("/meetings/<int:event_id>/move", methods=["GET", "POST"])
@role_required(Role.BUDDY, Role.PARTICIPANT)
def move(event_id: int):
    """Another time: pick one the other offered, or suggest one; or say you can't come at all."""
    event = services.get_meeting_or_404(event_id, current_user)
    if event.is_cancelled or event.ends_at <= now_utc():
        return render_error(400, _("This meeting is over or cancelled. It cannot be moved."))
    form = MoveForm().for_writer(current_user.role.value)
    if request.method == "POST" and request.form.get("option"):
        if current_user.role != Role.PARTICIPANT:
            abort(404)
        services.pick_option(current_user, event, request.form.get("option", type=int) or 0)
        db.session.commit()
        flash(_("Done. The meeting is confirmed."), "info")
        return redirect(url_for("schedule.week"), 303)
    shown = problem = None
    valid = form.validate_on_submit()
    if valid:
        reason, shown, problem = _reason_checked(event, form)
    if valid and not problem:
        services.move(current_user, event, services.Slot(form.day.data, form.start.data, form.end.data), reason)
        db.session.commit()
        flash(_("Sent. %(name)s is asked if the new time is good.", name=services.the_other(event, current_user).user.first_name), "info")
        return redirect(_home(), 303)
    if request.method == "GET":
        start, end = to_local(event.starts_at), to_local(event.ends_at)
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
    return _meeting_page(event, form, "buddies/move.html", 400 if form.is_submitted() else 200, shown, problem)


@bp.route("/meetings/<int:event_id>/cancel", methods=["GET", "POST"])
@role_required(Role.BUDDY, Role.PARTICIPANT)
def cancel(event_id: int):
    event = services.get_meeting_or_404(event_id, current_user)
    if event.is_cancelled:
        return redirect(_home(), 303)
    form = CancelForm().for_writer(current_user.role.value)
    shown = problem = None
    valid = form.validate_on_submit()
    if valid:
        reason, shown, problem = _reason_checked(event, form)
    if valid and not problem:
        services.cancel(current_user, event, reason)
        db.session.commit()
        flash(_("Cancelled. %(name)s sees it at once.", name=services.the_other(event, current_user).user.first_name), "info")
        return redirect(_home(), 303)
    return _meeting_page(event, form, "buddies/cancel.html", 400 if form.is_submitted() else 200, shown, problem)


@bp.post("/buddy/meetings/<int:event_id>/held")
@role_required(Role.BUDDY)
def held(event_id: int):
    event = services.get_meeting_or_404(event_id, current_user)
    choice = request.form.get("held")
    if choice not in ("yes", "no") or event.is_cancelled or event.starts_at > now_utc():
        return render_error(400, _("You can say whether you met once the meeting has started."))
    services.mark_held(current_user, event, choice == "yes")
    db.session.commit()
    return redirect(url_for("buddies.home"), 303)


def _home() -> str:
    return url_for("buddies.home") if current_user.role == Role.BUDDY else url_for("schedule.week")


@bp.post("/coach/participants/<int:participant_id>/matches")
@role_required(Role.COACH)
def start_match(participant_id: int):
    participant = get_participant_or_404(participant_id, current_user)
    buddy = db.session.get(User, request.form.get("buddy_id", type=database_id) or 0)
    if buddy is None or buddy.role != Role.BUDDY or not buddy.is_enabled:
        return render_error(400, _("Choose a language buddy from the list."))
    services.match(current_user, participant, buddy)
    db.session.commit()
    return redirect(url_for("caseload.participant", participant_id=participant.id), 303)


@bp.post("/coach/matches/<int:match_id>/end")
@role_required(Role.COACH)
def end_match(match_id: int):
    buddy_match = services.get_caseload_match_or_404(match_id, current_user)
    services.end_match(current_user, buddy_match)
    db.session.commit()
    return redirect(url_for("caseload.participant", participant_id=buddy_match.participant_id), 303)
