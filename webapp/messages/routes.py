"""Inbox, reading with quick replies, the unread badge, and writing for coaches."""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..accounts.auth import role_required
from ..accounts.models import Role
from ..accounts.queries import caseload
from ..errors import render_error
from ..extensions import db
from ..formatting import clock, short_day
from ..phrases.book import Writer, phrases_for
from ..phrases.preview import check_own_text
from ..phrases.wording import written_by
from ..schedule.models import Attendance, Event
from ..schedule.queries import event_visibility
from ..timeutil import now_utc
from .forms import ComposeForm
from .services import (
    REPLY_KEYS,
    get_received_or_404,
    get_sent_or_404,
    inbox,
    mark_read,
    quick_reply,
    recipients_for,
    send,
    sent_by,
    unread_state,
)

bp = Blueprint("messages", __name__)


@bp.get("/messages")
@login_required
def index():
    return render_template("messages/inbox.html", received=inbox(current_user))


@bp.get("/messages/<int:message_id>")
@login_required
def read(message_id: int):
    received = get_received_or_404(message_id, current_user)
    mark_read(received)
    db.session.commit()
    replies = phrases_for(Writer.PARTICIPANT, ("replies",)) if current_user.role == Role.PARTICIPANT else []
    return render_template("messages/read.html", received=received, message=received.message, replies=replies)


@bp.post("/messages/<int:message_id>/reply")
@role_required(Role.PARTICIPANT)
def reply(message_id: int):
    received = get_received_or_404(message_id, current_user)
    key = request.form.get("reply", "")
    if key not in REPLY_KEYS:
        return render_error(400, _("Choose one of the answers."))
    quick_reply(current_user, received.message, key)
    db.session.commit()
    flash(_("Sent. Your coach sees your answer."), "info")
    return redirect(url_for("messages.read", message_id=message_id), 303)


@bp.get("/messages/badge")
@login_required
def badge():
    """The unread count in the menu. Polled; answers 304 while nothing changed, so it costs almost nothing."""
    count, newest = unread_state(current_user)
    response = make_response(render_template("messages/_badge.html", unread=count))
    response.set_etag(f"{current_user.id}-{count}-{newest}")
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.get("/coach/messages")
@role_required(Role.COACH)
def coach_index():
    return render_template("messages/coach_index.html", sent=sent_by(current_user), received=inbox(current_user))


@bp.get("/coach/messages/<int:message_id>")
@role_required(Role.COACH)
def sent_detail(message_id: int):
    return render_template("messages/sent_detail.html", message=get_sent_or_404(message_id, current_user))


def _prepare(form: ComposeForm) -> list[Event]:
    people = caseload(current_user)
    form.recipients.choices = [SelectChoice(person.id, person.display_name) for person in people]
    now = now_utc()
    events = list(db.session.scalars(
        select(Event).where(event_visibility(current_user), Event.ends_at > now, Event.starts_at < now + timedelta(days=42),
                            Event.cancelled_at.is_(None), Event.organiser_id == current_user.id)
        .order_by(Event.starts_at).limit(200)))
    form.event_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(event.id, f"{short_day(event.starts_at)} {clock(event.starts_at)}") for event in events]
    return events


@bp.route("/coach/messages/new", methods=["GET", "POST"])
@role_required(Role.COACH)
def compose():
    form = ComposeForm()
    events = _prepare(form)
    if request.method == "GET":
        event_id = request.args.get("event", type=int)
        participant_id = request.args.get("participant", type=int)
        if event_id and any(event.id == event_id for event in events):
            form.event_id.data = event_id
            form.recipients.data = list(db.session.scalars(
                select(Attendance.user_id).where(Attendance.event_id == event_id)))
        elif participant_id:
            form.recipients.data = [participant_id]
    problem = shown = None
    if form.validate_on_submit():
        event = next((event for event in events if event.id == form.event_id.data), None)
        wording = written_by(current_user, form.phrases.data, form.body.data)
        recipients = recipients_for(current_user, form.recipients.data)
        shown, problem = check_own_text(wording, recipients, form.send_as_written.data,
                                        event.starts_at if event else None)
        if form.phrases.needs_event() and event is None:
            problem = _("Choose the appointment this message is about.")
        elif not problem:
            send(current_user, recipients, wording, event=event)
            db.session.commit()
            flash(_("Sent. Each participant reads it in their own language."), "info")
            return redirect(url_for("messages.coach_index"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("messages/compose.html", form=form, problem=problem, preview=shown), status
