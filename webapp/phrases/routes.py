"""The live preview next to a form where staff write: how it reads for each of its readers (HTMX)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import database_id
from ..accounts.auth import role_required
from ..accounts.models import Role
from ..buddies.services import get_matched_participant_or_404, get_meeting_or_404
from ..schedule.queries import get_event_or_404
from .forms import parse_phrases
from .preview import preview, readers_for
from .wording import written_by

bp = Blueprint("phrases", __name__)


@bp.post("/phrases/preview")
@role_required(Role.COACH, Role.BUDDY)
def preview_words():
    """The form's phrases and own text as each reader will read them; the form says which of its
    fields to read (`preview_phrases`, `preview_text`) and who reads it (`preview_readers`)."""
    form = request.form
    _chosen, _typed, phrases = parse_phrases(form, form.get("preview_phrases", ""))
    wording = written_by(current_user, phrases, form.get(form.get("preview_text", ""), ""))
    readers_of, some_id = form.get("preview_readers", ""), form.get("preview_id", type=database_id) or 0
    event = None
    if readers_of == "event":
        event = get_event_or_404(some_id, current_user)
    elif readers_of == "meeting":
        event = get_meeting_or_404(some_id, current_user)
    participant = get_matched_participant_or_404(some_id, current_user) if readers_of == "participant" else None
    ids = form.getlist(readers_of, type=database_id) if readers_of in ("people", "recipients") else []
    about = form.get("event_id", type=database_id)
    starts_at = get_event_or_404(about, current_user).starts_at if about and readers_of == "recipients" else None
    readers = readers_for(current_user, [i for i in ids if i], event=event, participant=participant)
    return render_template("phrases/_preview_inner.html", preview=preview(wording, readers, starts_at))
