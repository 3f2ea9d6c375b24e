"""Coaches plan, change and cancel activities; overlaps are shown before saving."""
from __future__ import annotations

from datetime import time, timedelta

from babel.dates import get_day_names
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import database_id
from ..accounts.auth import role_required
from ..accounts.models import Role
from ..accounts.queries import caseload
from ..extensions import db
from ..phrases.preview import check_own_text, readers_for
from ..phrases.wording import written_by
from ..timeutil import to_local, today_local
from .forms import CancelForm, PlanForm, interpreter_choices
from .kinds import KIND_STYLES
from .models import Event, EventKind, Location
from .planning import Plan, cancel_event, change_event, find_overlaps, plan_event
from .queries import get_event_or_404
from .routes import bp


def _prepare(form: PlanForm, people, event: Event | None = None) -> None:
    form.people.choices = [SelectChoice(person.id, person.display_name) for person in people]
    # A buddy meeting is a buddy's and one participant's: a coach plans none, and one stays one.
    kinds = [EventKind.BUDDY_MEETING] if event is not None and event.kind == EventKind.BUDDY_MEETING else [
        kind for kind in KIND_STYLES if kind != EventKind.BUDDY_MEETING]
    form.kind.choices = [SelectChoice(kind.value, str(KIND_STYLES[kind].label)) for kind in kinds]
    locations = db.session.scalars(select(Location).order_by(Location.name)).all()
    # Place names are data: kept out of translation, and shown in their own direction.
    form.location_id.choices = [SelectChoice(0, _("No place (or online)"))] + [
        SelectChoice(place.id, place.name, render_kw={"translate": "no", "dir": "auto"}) for place in locations]
    names = get_day_names("wide", locale=get_locale())
    form.weekdays.choices = [SelectChoice(day, names[day]) for day in range(7)]
    form.interpreter.choices = interpreter_choices()


def _plan_from(form: PlanForm) -> Plan:
    weekly = form.repeat.data == "weekly"
    # A request without a title or note field (not a browser's) gets None: the same as empty.
    return Plan(kind=EventKind(form.kind.data), title=(form.title.data or "").strip(),
                note=written_by(current_user, form.note_phrases.data, form.note.data),
                interpreter_language=form.interpreter.data or None,
                change_reason=written_by(current_user, form.reason_phrases.data, form.reason.data),
                location_id=form.location_id.data or None, day=form.day.data, start=form.start.data,
                end=form.end.data, weekdays=form.weekdays.data if weekly else None,
                until=form.until.data if weekly else None)


def _chosen(form: PlanForm, people) -> list:
    return [person for person in people if person.id in (form.people.data or [])]


@bp.route("/coach/events/new", methods=["GET", "POST"])
@role_required(Role.COACH)
def new_event():
    people = caseload(current_user)
    form = PlanForm()
    _prepare(form, people)
    if request.method == "GET":
        form.day.data = today_local() + timedelta(days=1)
        form.start.data, form.end.data = time(10), time(11)
        form.kind.data = EventKind.COACH_APPOINTMENT.value
        wanted = request.args.get("participant", type=int)
        form.people.data = [wanted] if wanted in {person.id for person in people} else []
    return _save_unless_overlapping(
        form, None, lambda: _chosen(form, people), lambda plan, chosen: plan_event(current_user, plan, chosen),
        _("Saved. It is in the week of everyone you chose."))


@bp.post("/coach/events/overlaps")
@role_required(Role.COACH)
def check_overlaps():
    """The inline overlap warning, refreshed as the coach fills in the form (HTMX)."""
    people = caseload(current_user)
    ignore: set[int] = set()
    event_id = request.form.get("event_id", type=database_id)
    if event_id:
        event = get_event_or_404(event_id, current_user)
        ignore = _same_series_ids(event)
        people = [attendance.user for attendance in event.attendances]
    form = PlanForm()
    _prepare(form, people)
    if event_id:
        form.people.data = [person.id for person in people]
    overlaps = []
    if form.validate():
        overlaps = find_overlaps(_plan_from(form), _chosen(form, people), ignore)
    return render_template("schedule/_overlaps.html", form=form, overlaps=overlaps)


@bp.route("/coach/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(Role.COACH)
def edit_event(event_id: int):
    event = get_event_or_404(event_id, current_user)
    people = [attendance.user for attendance in event.attendances]
    form = PlanForm()
    _prepare(form, people, event)
    if request.method == "GET":
        _fill_from(form, event)
    form.people.data = [person.id for person in people]
    form.repeat.data = "once"
    return _save_unless_overlapping(
        form, event, lambda: people,
        lambda plan, _people: change_event(current_user, event, plan, following=form.scope.data == "following"),
        _("Saved. The change is in the week of everyone concerned."), ignore=_same_series_ids(event))


def _fill_from(form: PlanForm, event: Event) -> None:
    """The form as the event is now, to change it."""
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    form.kind.data, form.title.data = event.kind.value, event.title
    form.note_phrases.process(None, event.note.phrases)
    form.note.data, form.interpreter.data = event.note.text, event.interpreter_language or ""
    form.reason_phrases.process(None, event.change_reason.phrases)
    form.reason.data = event.change_reason.text
    form.location_id.data = event.location_id or 0
    form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()


def _save_unless_overlapping(form: PlanForm, event, people_of, save, saved: str, ignore: set[int] = frozenset()):
    """Planning and changing alike: check the form, warn about overlaps unless the coach chose
    "save anyway", then save and go back; otherwise the form again with what was typed (400 once sent)."""
    overlaps, note_preview, reason_preview, problem = [], None, None, None
    if form.validate_on_submit():
        plan, people = _plan_from(form), people_of()
        overlaps = find_overlaps(plan, people, ignore)
        note_preview, problem = check_own_text(plan.note, people, form.send_as_written.data)
        reason_preview, reason_problem = check_own_text(plan.change_reason, people, form.send_as_written.data)
        problem = problem or reason_problem
        if not problem and (not overlaps or form.save_anyway.data):
            save(plan, people)
            db.session.commit()
            flash(saved, "info")
            return redirect(_back_to(people), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("schedule/plan.html", form=form, overlaps=overlaps, event=event, note_preview=note_preview,
                           reason_preview=reason_preview, problem=problem,
                           cancel_form=CancelForm(formdata=None, prefix="cancel") if event else None), status


@bp.post("/coach/events/<int:event_id>/cancel")
@role_required(Role.COACH)
def cancel(event_id: int):
    event = get_event_or_404(event_id, current_user)
    people = [attendance.user for attendance in event.attendances]
    cancel_form = CancelForm(prefix="cancel")
    cancel_preview = problem = None
    valid = cancel_form.validate_on_submit()
    if valid:
        reason = written_by(current_user, cancel_form.reason_phrases.data, cancel_form.reason.data)
        cancel_preview, problem = check_own_text(reason, readers_for(current_user, event=event),
                                                 cancel_form.send_as_written.data)
    if not valid or problem:
        form = PlanForm(formdata=None)
        _prepare(form, people, event)
        _fill_from(form, event)
        return render_template("schedule/plan.html", form=form, overlaps=[], event=event, cancel_form=cancel_form,
                               cancel_preview=cancel_preview, cancel_problem=problem), 400
    cancel_event(current_user, event, following=cancel_form.scope.data == "following", reason=reason)
    db.session.commit()
    flash(_("Cancelled. Everyone concerned sees it in their week, with the reason."), "info")
    return redirect(_back_to(people), 303)


def _same_series_ids(event) -> set[int]:
    if event.series_id is None:
        return {event.id}
    return set(db.session.scalars(select(Event.id).where(Event.series_id == event.series_id)))


def _back_to(people) -> str:
    if len(people) == 1:
        return url_for("caseload.participant", participant_id=people[0].id)
    return url_for("caseload.overview")
