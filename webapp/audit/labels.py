"""Each kind of change in words, in the reader's language."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..schedule.kinds import KIND_STYLES
from ..schedule.models import EventKind
from .models import AuditEntry


def _when(details: dict) -> str:
    from ..formatting import clock, short_day

    moment = datetime.fromisoformat(details["starts_at"])
    return f"{short_day(moment)} {clock(moment)}"


def describe_change(entry: AuditEntry) -> str:
    details = entry.details or {}
    activity = KIND_STYLES[EventKind(details["kind"])].label if "kind" in details else ""
    if entry.action == "presence.marked":
        if details.get("presence") == "attended":
            return _("marked: came to %(activity)s, %(when)s", activity=activity, when=_when(details))
        return _("marked: did not come to %(activity)s, %(when)s", activity=activity, when=_when(details))
    if entry.action == "account.deactivated":
        return _("switched the account off")
    if entry.action == "account.reactivated":
        return _("switched the account on again")
    if entry.action == "account.signed_out_everywhere":
        return _("signed out on every phone and computer")
    if entry.action == "account.created":
        return _("created the account")
    if entry.action == "activation.issued":
        return _("made a new activation code")
    if entry.action == "event.created":
        return _("planned: %(activity)s, %(when)s", activity=activity, when=_when(details))
    if entry.action == "event.changed":
        return _("changed: %(activity)s, %(when)s", activity=activity, when=_when(details))
    if entry.action == "event.cancelled":
        return _("cancelled: %(activity)s, %(when)s", activity=activity, when=_when(details))
    if entry.action == "meeting.proposed":
        return _("proposed a meeting: %(when)s", when=_when(details))
    if entry.action == "meeting.moved":
        return _("moved a meeting to %(when)s", when=_when(details))
    if entry.action == "match.started":
        return _("matched with language buddy %(name)s", name=details.get("buddy", ""))
    if entry.action == "match.ended":
        return _("ended the match with language buddy %(name)s", name=details.get("buddy", ""))
    return _("made a change")
