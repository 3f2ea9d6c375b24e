"""Admins manage organisations, places and the accounts of coaches and buddies."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.accounts.models import Role, User
from webapp.accounts.services import sign_in_staff
from webapp.extensions import db
from webapp.schedule.models import Location, Organisation


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, display_name="Beheer")


def test_organisations_and_places(admin, login_as):
    client = login_as(admin)
    assert client.post("/admin/organisations/new", data={"name": "Taalschool Noord"}).status_code == 303
    again = client.post("/admin/organisations/new", data={"name": "Taalschool Noord"})
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)
    organisation = db.session.scalars(select(Organisation)).one()
    response = client.post("/admin/locations/new", data={
        "name": "Lokaal 3", "organisation_id": organisation.id, "address": "Dam 1", "city": "Zaandam", "directions": ""})
    assert response.status_code == 303
    place = db.session.scalars(select(Location)).one()
    assert (place.name, place.organisation_id, place.map_query) == ("Lokaal 3", organisation.id, "Dam 1, Zaandam")
    client.post(f"/admin/locations/{place.id}/edit", data={"name": "Lokaal 4", "organisation_id": 0, "address": "Dam 2",
                                                           "city": "Zaandam", "directions": "2e verdieping"})
    db.session.expire_all()
    assert (place.name, place.organisation_id, place.directions) == ("Lokaal 4", None, "2e verdieping")
    assert "Lokaal 4" in client.get("/admin").get_data(as_text=True)
    bad = client.post("/admin/locations/new", data={"name": "", "organisation_id": 0, "address": "x" * 300})
    assert bad.status_code == 400 and "Fill in a name." in bad.get_data(as_text=True)


def test_new_coach_signs_up_with_a_link_and_a_password(admin, login_as, app):
    client = login_as(admin)
    response = client.post("/admin/people/new", data={"display_name": "Noor Coach", "email": "Noor@Example.org",
                                                      "role": "coach", "locale": "en"})
    assert response.status_code == 303
    from webapp.accounts.models import User
    from webapp.audit.services import history

    noor = db.session.query(User).filter_by(email="noor@example.org").one()
    assert [(entry.action, entry.actor_id) for entry in history(noor)] == [("account.created", admin.id)]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    token = page.split("/activate/")[1].split("<")[0]
    visitor = app.test_client()
    form = visitor.get(f"/activate/{token}").get_data(as_text=True)
    assert "Choose your password" in form and "noor@example.org" in form
    short = visitor.post(f"/activate/{token}", data={"password": "short", "password_again": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    for common in ("password123", "Qwertyuiop", "1234567890"):
        refused = visitor.post(f"/activate/{token}", data={"password": common, "password_again": common})
        assert refused.status_code == 400 and "easy to guess" in refused.get_data(as_text=True), common
    own_address = visitor.post(f"/activate/{token}", data={"password": "Noor@example.org", "password_again": "Noor@example.org"})
    assert own_address.status_code == 400 and "e-mail address as your password" in own_address.get_data(as_text=True)
    done = visitor.post(f"/activate/{token}", data={"password": "een lang wachtwoord", "password_again": "een lang wachtwoord"})
    assert done.status_code == 302 and done.headers["Location"] == "/coach"
    assert sign_in_staff("noor@example.org", "een lang wachtwoord").result == "ok"
    duplicate = client.post("/admin/people/new", data={"display_name": "X", "email": "noor@example.org",
                                                       "role": "buddy", "locale": "nl"})
    assert duplicate.status_code == 400 and "already uses this e-mail" in duplicate.get_data(as_text=True)


def test_switch_staff_off_but_not_yourself(admin, login_as, make_user):
    from webapp.audit.services import history

    coach = make_user(Role.COACH)
    client = login_as(admin)
    client.post(f"/admin/people/{coach.id}/switch")
    assert coach.is_enabled is False
    assert [(entry.action, entry.actor_id) for entry in history(coach)] == [("account.deactivated", admin.id)]
    client.post(f"/admin/people/{coach.id}/activation")
    client.post(f"/admin/people/{coach.id}/switch")
    assert coach.is_enabled is True
    assert [entry.action for entry in history(coach)][:2] == ["account.reactivated", "activation.issued"]
    client.post(f"/admin/people/{coach.id}/switch")
    assert sign_in_staff(coach.email, "a long test password").result == "wrong"
    response = client.post(f"/admin/people/{admin.id}/switch")
    assert response.status_code == 400 and admin.is_enabled


def test_only_admins_manage(make_user, login_as):
    coach = make_user(Role.COACH)
    participant = make_user(Role.PARTICIPANT)
    for person in (coach, participant):
        client = login_as(person)
        for path in ("/admin", "/admin/people", "/admin/people/new", "/admin/organisations/new", "/admin/locations/new"):
            assert client.get(path).status_code == 404, (person.role, path)
        assert client.post(f"/admin/people/{coach.id}/switch").status_code == 404
    admin = make_user(Role.ADMIN)
    assert login_as(admin).get(f"/admin/people/{participant.id}/activation").status_code == 404
    assert login_as(admin).get("/admin/locations/999/edit").status_code == 404
    assert db.session.scalars(select(User).where(User.is_enabled.is_(False))).all() == []
