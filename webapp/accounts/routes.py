"""Sign in and out, activation by link, language choice, and participant accounts for coaches."""
from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from ..audit.services import record
from ..calendar_feed.services import settings_context as calendar_feed_context
from ..errors import render_error
from ..extensions import db, limiter, submitted_account_key
from ..i18n import LANGUAGES, remember_choice, select_locale, shows_dutch_words
from ..notify.keys import public_key
from ..notify.planner import wanted_kinds
from ..notify.subscriptions import devices_of
from .auth import role_required
from .forms import (
    ActivationForm,
    DutchWordsForm,
    NewParticipantForm,
    ParticipantLoginForm,
    StaffActivationForm,
    StaffLoginForm,
)
from .models import Role
from .queries import get_participant_or_404
from .services import (
    ActivationProblem,
    SignInResult,
    complete_activation,
    create_participant,
    end_every_session,
    find_usable_activation,
    issue_activation_token,
    sign_in_participant,
    sign_in_staff,
)

bp = Blueprint("accounts", __name__)

# Per address and per account: one guesses many accounts, the other one account from many places.
SIGN_IN_LIMITS = [
    limiter.limit("10 per minute; 50 per hour", methods=["POST"]),
    limiter.limit("10 per minute; 30 per hour", methods=["POST"], key_func=submitted_account_key),
]


def rate_limited(view):
    for limit in SIGN_IN_LIMITS:
        view = limit(view)
    return view


HOME_PAGES = {
    Role.PARTICIPANT: "schedule.week",
    Role.BUDDY: "buddies.home",
    Role.COACH: "caseload.overview",
    Role.ADMIN: "organisations.overview",  # /admin
}


def home_for(user) -> str:
    return url_for(HOME_PAGES[user.role])


def safe_next(default: str) -> str:
    """Only follow a `next` that stays on this site."""
    target = request.values.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("accounts.login"))


def _participant_problem(result: str) -> str:
    if result == SignInResult.LOCKED:
        return _("Too many wrong tries. Wait 15 minutes, or ask your coach for help.")
    if result == SignInResult.NOT_ACTIVATED:
        return _("Your account is not ready yet. Open the link from your coach first.")
    return _("The phone number or PIN is wrong. Try again.")


def _staff_problem(result: str) -> str:
    if result == SignInResult.LOCKED:
        return _("Too many wrong tries. Wait 15 minutes and try again.")
    return _("The e-mail address or password is wrong. Try again.")


def _sign_in_page(form, check_credentials, describe_problem, template: str):
    """Shared by both sign-in pages: check, count failures, sign in, or show what went wrong."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    problem = None
    if form.validate_on_submit():
        outcome = check_credentials(form)
        db.session.commit()  # failed attempts and lock-outs are kept
        if outcome.result == SignInResult.OK:
            login_user(outcome.user, remember=form.remember.data)
            return redirect(safe_next(home_for(outcome.user)))
        problem = describe_problem(outcome.result)
    status = 400 if form.is_submitted() else 200
    return render_template(template, form=form, problem=problem), status


@bp.route("/login", methods=["GET", "POST"])
@rate_limited
def login():
    return _sign_in_page(ParticipantLoginForm(), lambda form: sign_in_participant(form.phone.data, form.pin.data),
                         _participant_problem, "accounts/login.html")


@bp.route("/login/staff", methods=["GET", "POST"])
@rate_limited
def login_staff():
    return _sign_in_page(StaffLoginForm(), lambda form: sign_in_staff(form.email.data, form.password.data),
                         _staff_problem, "accounts/login_staff.html")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    response = redirect(url_for("accounts.login"))
    # The browser's HTTP cache goes too; the saved pages are emptied by the sign-in page's script.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    end_every_session(current_user)
    record(current_user, current_user, "account.signed_out_everywhere")
    db.session.commit()
    logout_user()
    flash(_("You are signed out on every phone and computer."), "info")
    response = redirect(url_for("accounts.login"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


ACTIVATION_PROBLEMS = {
    "unknown": (404, lambda: _("This link does not work. Ask your coach for a new one.")),
    "used": (400, lambda: _("This link was already used. Sign in with your phone number and PIN.")),
    "revoked": (400, lambda: _("There is a newer link for you. Use the newest link from your coach.")),
    "expired": (400, lambda: _("This link is too old. Ask your coach for a new one.")),
}


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def activate(token: str):
    try:
        activation = find_usable_activation(token)
    except ActivationProblem as problem:
        status, message = ACTIVATION_PROBLEMS[problem.reason]
        return render_error(status, message())
    participant = activation.user.role == Role.PARTICIPANT
    form = ActivationForm() if participant else StaffActivationForm(email=activation.user.email or "")
    if form.validate_on_submit():
        user = complete_activation(activation, form.pin.data if participant else form.password.data,
                                   select_locale())
        db.session.commit()
        login_user(user, remember=participant)
        return redirect(home_for(user))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/activate.html", form=form, person=activation.user,
                           token=token), status


@bp.route("/language", methods=["GET", "POST"])
def language():
    if request.method == "POST":
        choice = request.form.get("locale", "")
        if choice not in LANGUAGES:
            return render_error(400, _("Choose one of the languages on this page."))
        remember_choice(choice)
        db.session.commit()
        return redirect(safe_next(url_for("accounts.index")))
    return render_template("accounts/language.html", next=safe_next(""))


@bp.get("/settings")
@login_required
def settings():
    form = DutchWordsForm(show_dutch_words=shows_dutch_words(current_user, select_locale()))
    return render_template("accounts/settings.html", form=form, devices=devices_of(current_user),
                           reminder_kinds=wanted_kinds(current_user), vapid_key=public_key(),
                           **calendar_feed_context(current_user))


@bp.post("/settings/dutch-words")
@login_required
def save_dutch_words():
    form = DutchWordsForm()
    if not form.validate():
        return render_error(400)
    current_user.show_dutch_words = form.show_dutch_words.data
    db.session.commit()
    flash(_("Saved."), "info")
    return redirect(url_for("accounts.settings"))


@bp.route("/coach/participants/new", methods=["GET", "POST"])
@role_required(Role.COACH)
def new_participant():
    form = NewParticipantForm()
    if form.validate_on_submit():
        participant = create_participant(current_user, form.display_name.data, form.phone.data,
                                         form.locale.data)
        record(current_user, participant, "account.created")
        _remember_new_activation(participant)
        db.session.commit()
        return redirect(url_for("accounts.activation_code", participant_id=participant.id))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/new_participant.html", form=form), status


@bp.post("/coach/participants/<int:participant_id>/activation")
@role_required(Role.COACH)
def new_activation_code(participant_id: int):
    participant = get_participant_or_404(participant_id, current_user)
    _remember_new_activation(participant)
    db.session.commit()
    return redirect(url_for("accounts.activation_code", participant_id=participant.id))


@bp.get("/coach/participants/<int:participant_id>/activation")
@role_required(Role.COACH)
def activation_code(participant_id: int):
    """Show a new activation link once; only its hash is stored, so a reload cannot show it again."""
    participant = get_participant_or_404(participant_id, current_user)
    pending = session.pop("new_activation", None)
    link = qr = None
    if pending and pending.get("participant_id") == participant.id:
        link = url_for("accounts.activate", token=pending["token"], _external=True)
        qr = Markup(segno.make(link, error="m").svg_inline(scale=4, title=_("QR code to open Mijn Week")))
    return render_template("accounts/activation_code.html", participant=participant, link=link, qr=qr)


def _remember_new_activation(participant) -> None:
    token = issue_activation_token(participant, current_user)
    record(current_user, participant, "activation.issued")
    session["new_activation"] = {"participant_id": participant.id, "token": token}
