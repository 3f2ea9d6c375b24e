"""The admin's pages: organisations, places, and the accounts of coaches, buddies and admins."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..accounts.auth import role_required
from ..accounts.forms import NewStaffForm
from ..accounts.models import Role
from ..accounts.queries import get_staff_or_404, staff_members
from ..accounts.services import create_staff, issue_activation_token
from ..audit.services import record
from ..caseload.services import switch_off, switch_on
from ..errors import render_error
from ..extensions import db
from ..schedule.models import Location, Organisation
from .forms import LocationForm, OrganisationForm
from .services import organisations_with_locations, people_per_role

bp = Blueprint("organisations", __name__, url_prefix="/admin")


@bp.get("")
@role_required(Role.ADMIN)
def overview():
    return render_template("organisations/overview.html", organisations=organisations_with_locations(),
                           people=people_per_role())


@bp.route("/organisations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(select(Organisation.id).where(Organisation.name == name)):
            form.name.errors.append(_("This organisation already exists."))
        else:
            db.session.add(Organisation(name=name))
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("organisations.overview"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("organisations/form.html", form=form, title=_("New organisation"),
                           action=url_for("organisations.new_organisation")), status


def _location_choices(form: LocationForm) -> None:
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation_id.choices = [SelectChoice(0, _("No organisation"))] + [
        SelectChoice(item.id, item.name, render_kw={"translate": "no", "dir": "auto"}) for item in organisations]


def _save_location(location: Location, form: LocationForm) -> None:
    location.name = form.name.data.strip()
    location.organisation_id = form.organisation_id.data or None
    # A field left out of the request (not just empty) has None.
    location.address = (form.address.data or "").strip()
    location.city = (form.city.data or "").strip()
    location.directions = (form.directions.data or "").strip()


@bp.route("/locations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_location():
    form = LocationForm()
    _location_choices(form)
    if form.validate_on_submit():
        location = Location()
        _save_location(location, form)
        db.session.add(location)
        db.session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for("organisations.overview"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("organisations/form.html", form=form, title=_("New place"),
                           action=url_for("organisations.new_location")), status


@bp.route("/locations/<int:location_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_location(location_id: int):
    location = db.session.get(Location, location_id) or abort(404)
    form = LocationForm(obj=location)
    _location_choices(form)
    if request.method == "GET":
        form.organisation_id.data = location.organisation_id or 0
    if form.validate_on_submit():
        _save_location(location, form)
        db.session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for("organisations.overview"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("organisations/form.html", form=form, title=_("Change place"),
                           action=url_for("organisations.edit_location", location_id=location.id)), status


@bp.get("/people")
@role_required(Role.ADMIN)
def people():
    return render_template("organisations/people.html", people=staff_members())


@bp.route("/people/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_person():
    form = NewStaffForm()
    if form.validate_on_submit():
        person = create_staff(current_user, form.display_name.data, form.email.data, Role(form.role.data),
                              form.locale.data)
        record(current_user, person, "account.created")
        _remember_link(person)
        db.session.commit()
        return redirect(url_for("organisations.person_link", person_id=person.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("organisations/form.html", form=form, title=_("New coach or language buddy"),
                           action=url_for("organisations.new_person")), status


def _remember_link(person) -> None:
    session["new_activation"] = {"participant_id": person.id, "token": issue_activation_token(person, current_user)}


@bp.post("/people/<int:person_id>/activation")
@role_required(Role.ADMIN)
def new_person_link(person_id: int):
    person = get_staff_or_404(person_id, current_user)
    _remember_link(person)
    record(current_user, person, "activation.issued")
    db.session.commit()
    return redirect(url_for("organisations.person_link", person_id=person.id), 303)


@bp.get("/people/<int:person_id>/activation")
@role_required(Role.ADMIN)
def person_link(person_id: int):
    """The sign-up link is shown once; only its hash is kept."""
    person = get_staff_or_404(person_id, current_user)
    pending = session.pop("new_activation", None)
    link = None
    if pending and pending.get("participant_id") == person.id:
        link = url_for("accounts.activate", token=pending["token"], _external=True)
    return render_template("organisations/person_link.html", person=person, link=link)


@bp.post("/people/<int:person_id>/switch")
@role_required(Role.ADMIN)
def switch_person(person_id: int):
    person = get_staff_or_404(person_id, current_user)
    if person.id == current_user.id:
        return render_error(400, _("You cannot switch off your own account."))
    # The same as a coach switching a participant off or on: audited, and nothing waiting is sent.
    (switch_off if person.is_enabled else switch_on)(current_user, person)
    db.session.commit()
    return redirect(url_for("organisations.people"), 303)
