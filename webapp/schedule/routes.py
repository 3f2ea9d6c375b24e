"""The participant's week, answering invitations, and the coach's view of the answers."""
from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import role_required
from ..accounts.models import Role
from ..errors import render_error
from ..extensions import db, htmx
from ..notify.subscriptions import reach
from ..timeutil import IsoWeek, to_local, today_local
from . import week_cache
from .coach import answers_for_caseload
from .forms import AnswerForm
from .models import AttendanceStatus, DeclineReason
from .queries import get_own_attendance_or_404
from .services import AnswerRefused, answer_invitation, answer_refusal, build_week

bp = Blueprint("schedule", __name__)

REFUSALS = {
    "not_asked": lambda: _("This activity does not need an answer."),
    "cancelled": lambda: _("This activity is cancelled. You do not need to answer."),
    "over": lambda: _("This activity is over. You cannot change your answer now."),
}


def wants_fragment() -> bool:
    """An HTMX swap gets the partial; a history restore or a plain visit gets the page."""
    return bool(htmx) and not htmx.history_restore_request


def own_week_links() -> dict:
    """Where the week's previous/next and 'this week' links go for the person's own week."""
    return {"week_link": lambda target: url_for("schedule.week_of", week_id=str(target)),
            "this_week_link": url_for("schedule.week")}


def _render_week(week: IsoWeek):
    fragment = wants_fragment()
    cached = week_cache.cached_week(current_user, week, fragment)
    if cached is not None:
        return cached
    view = build_week(current_user, week)
    has_device, failed = reach([current_user.id])[current_user.id]
    db.session.commit()  # extending recurring series may have added occurrences
    template = "schedule/_week.html" if fragment else "schedule/week.html"
    response = make_response(render_template(template, view=view, reminders_ok=has_device and not failed,
                                             **own_week_links()))
    response.vary.add("HX-Request")
    return week_cache.keep_week(response, current_user, week, fragment,
                                [item for day in view.days for item in day.items])


@bp.get("/week")
@role_required(Role.PARTICIPANT, Role.BUDDY)
def week():
    return _render_week(IsoWeek.containing(today_local()))


@bp.get("/week/<week_id>")
@role_required(Role.PARTICIPANT, Role.BUDDY)
def week_of(week_id: str):
    try:
        requested = IsoWeek.parse(week_id)
    except ValueError:
        return render_error(400, _("This week does not exist. Weeks look like 2026-W48."))
    return _render_week(requested)


@bp.post("/events/<int:event_id>/answer")
@role_required(Role.PARTICIPANT, Role.BUDDY)
def answer(event_id: int):
    attendance = get_own_attendance_or_404(event_id, current_user)
    form = AnswerForm()
    problem = None
    saved = False
    if form.validate():
        reason = DeclineReason(form.reason.data) if form.answer.data == AttendanceStatus.DECLINED else None
        try:
            answer_invitation(attendance, AttendanceStatus(form.answer.data), reason,
                              (form.reason_text.data or "").strip())
            db.session.commit()
            saved = True
        except AnswerRefused as refusal:
            problem = REFUSALS[refusal.reason]()
    elif refusal := answer_refusal(attendance):  # the card then has no form to show the errors in
        problem = REFUSALS[refusal]()
    if saved and not htmx:
        return redirect(url_for("schedule.week_of", week_id=str(_week_of(attendance))) + f"#event-{event_id}", 303)
    status = 200 if saved else 400
    if htmx:
        return render_template("schedule/_event_card.html", item=attendance,
                               form=None if saved else form, problem=problem, saved=saved), status
    view = build_week(current_user, _week_of(attendance))
    return render_template("schedule/week.html", view=view, failed_item_id=attendance.id,
                           form=form, problem=problem, **own_week_links()), status


def _week_of(attendance) -> IsoWeek:
    return IsoWeek.containing(to_local(attendance.event.starts_at).date())


@bp.get("/coach/answers")
@role_required(Role.COACH)
def coach_answers():
    return render_template("schedule/coach_answers.html", rows=answers_for_caseload(current_user))


from . import plan_routes  # noqa: F401  (registers the planning views on this blueprint)
