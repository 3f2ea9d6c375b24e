"""Signing in with phone + PIN or e-mail + password, activation links, lock-out and rate limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.accounts.models import ActivationToken, CoachAssignment, Role, User
from webapp.accounts.services import (
    issue_activation_token,
    normalise_phone,
    sign_in_participant,
)
from webapp.extensions import db
from webapp.timeutil import now_utc

from .conftest import TEST_PASSWORD, TEST_PIN


@pytest.fixture
def coach(make_user):
    return make_user(Role.COACH, display_name="Sanne de Vries")


@pytest.fixture
def newcomer(make_user, coach, assign):
    person = make_user(Role.PARTICIPANT, display_name="Nour Al-Khatib", secret_hash=None, locale="nl")
    assign(coach, person)
    return person


def test_phone_numbers_are_read_as_dutch():
    assert normalise_phone("06 1234 5678") == "+31612345678"
    assert normalise_phone("+31 6-12345678") == "+31612345678"
    assert normalise_phone("0031612345678") == "+31612345678"


def test_participant_signs_in_with_phone_and_pin_and_is_remembered(client, make_user):
    person = make_user(Role.PARTICIPANT, phone="+31612345001")
    response = client.post("/login", data={"phone": "06-12345001", "pin": TEST_PIN, "remember": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/week"
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in value for value in response.headers.getlist("Set-Cookie"))
    assert client.get("/week").status_code == 200
    assert person.failed_logins == 0


def test_wrong_pin_is_a_clear_message_and_keeps_the_phone(client, make_user):
    make_user(Role.PARTICIPANT, phone="+31612345001")
    response = client.post("/login", data={"phone": "0612345001", "pin": "111112"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The phone number or PIN is wrong" in page
    assert 'value="0612345001"' in page


def test_pin_must_be_six_digits(client):
    response = client.post("/login", data={"phone": "0612345001", "pin": "12ab"})
    assert response.status_code == 400
    assert "Your PIN is 6 digits." in response.get_data(as_text=True)


def test_staff_sign_in_with_email(app, coach):
    response = app.test_client().post("/login/staff", data={"email": coach.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/coach"
    bad = app.test_client().post("/login/staff", data={"email": "nobody@example.org", "password": "x"})
    assert bad.status_code == 400


def test_staff_cannot_sign_in_on_the_participant_form(client, coach):
    response = client.post("/login", data={"phone": "0612345001", "pin": TEST_PIN})
    assert response.status_code == 400


def test_sign_out(login_as, make_user):
    client = login_as(make_user(Role.PARTICIPANT))
    assert client.post("/logout").status_code == 302
    assert client.get("/week").status_code == 302


def test_changing_the_nonce_signs_out_everywhere(login_as, make_user):
    person = make_user(Role.PARTICIPANT)
    client = login_as(person)
    assert client.get("/week").status_code == 200
    person.session_nonce = "rotated"
    db.session.commit()
    assert client.get("/week").status_code == 302


def test_lock_out_after_five_wrong_pins(app, make_user):
    person = make_user(Role.PARTICIPANT, phone="+31612345001")
    start = now_utc()
    results = [sign_in_participant("0612345001", "999999", at=start).result for _ in range(5)]
    assert results == ["wrong"] * 4 + ["locked"]
    assert sign_in_participant("0612345001", TEST_PIN, at=start + timedelta(minutes=5)).result == "locked"
    assert sign_in_participant("0612345001", TEST_PIN, at=start + timedelta(minutes=16)).result == "ok"
    assert person.locked_until is None and person.failed_logins == 0


def test_locked_account_message(client, make_user):
    make_user(Role.PARTICIPANT, phone="+31612345001")
    for _ in range(5):
        response = client.post("/login", data={"phone": "0612345001", "pin": "999999"})
    assert "Too many wrong tries" in response.get_data(as_text=True)
    response = client.post("/login", data={"phone": "0612345001", "pin": TEST_PIN})
    assert response.status_code == 400 and "Too many wrong tries" in response.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(client, make_user):
    make_user(Role.PARTICIPANT, phone="+31612345001", is_enabled=False)
    assert client.post("/login", data={"phone": "0612345001", "pin": TEST_PIN}).status_code == 400


@pytest.mark.parametrize("path, field", [("/login", "phone"), ("/login/staff", "email")])
def test_sign_in_is_rate_limited_per_address(make_app, path, field):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        statuses = [client.post(path, data={field: f"06{n:08d}" if field == "phone" else f"x{n}@example.org",
                                            "pin": "000000", "password": "x"}).status_code
                    for n in range(11)]
        assert statuses[:10] == [400] * 10 and statuses[10] == 429
        page = client.post(path, data={field: "other"}).get_data(as_text=True)
        assert "Too many tries" in page


def test_sign_in_is_rate_limited_per_account(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        statuses = [
            app.test_client().post("/login", data={"phone": "0612345001", "pin": "000000"},
                                   environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
            for n in range(11)
        ]
        assert statuses[-1] == 429 and 429 not in statuses[:10]


def test_activation_sets_language_and_pin_and_signs_in(client, newcomer, coach):
    token = issue_activation_token(newcomer, coach)
    db.session.commit()
    page = client.get(f"/activate/{token}")
    assert page.status_code == 200 and "Welcome, <bdi>Nour</bdi>" in page.get_data(as_text=True)
    client.post("/language", data={"locale": "ar", "next": f"/activate/{token}"})
    assert 'lang="ar" dir="rtl"' in client.get(f"/activate/{token}").get_data(as_text=True)
    response = client.post(f"/activate/{token}", data={"pin": "480153", "pin_again": "480153"})
    assert response.status_code == 302 and response.headers["Location"] == "/week"
    assert client.get("/week").status_code == 200
    db.session.expire_all()
    assert newcomer.locale == "ar" and newcomer.activated_at is not None
    assert sign_in_participant(newcomer.phone, "480153").result == "ok"


def test_activation_link_works_once(client, newcomer, coach):
    token = issue_activation_token(newcomer, coach)
    db.session.commit()
    client.post(f"/activate/{token}", data={"pin": "480153", "pin_again": "480153"})
    client.post("/logout")
    again = client.get(f"/activate/{token}")
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


def test_expired_activation_link(client, newcomer, coach):
    token = issue_activation_token(newcomer, coach, at=now_utc() - timedelta(days=8))
    db.session.commit()
    response = client.get(f"/activate/{token}")
    assert response.status_code == 400 and "too old" in response.get_data(as_text=True)
    assert client.post(f"/activate/{token}", data={"pin": "480153", "pin_again": "480153"}).status_code == 400
    assert newcomer.secret_hash is None


def test_new_code_replaces_the_old_one(client, newcomer, coach):
    old = issue_activation_token(newcomer, coach)
    new = issue_activation_token(newcomer, coach)
    db.session.commit()
    assert client.get(f"/activate/{old}").status_code == 400
    assert client.get(f"/activate/{new}").status_code == 200


def test_unknown_activation_link_is_404(client):
    response = client.get("/activate/not-a-real-token")
    assert response.status_code == 404 and "Ask your coach for a new one" in response.get_data(as_text=True)


@pytest.mark.parametrize("pin, again, message", [
    ("480153", "480154", "The two PINs are not the same."),
    ("111111", "111111", "too easy to guess"),
    ("123456", "123456", "too easy to guess"),
    ("12345", "12345", "Your PIN is 6 digits."),
    ("١٢٣٤٥٦", "١٢٣٤٥٦", "too easy to guess"),  # 123456 in Arabic-Indic digits
    ("480153\n", "480153\n", None),  # a line break is not a digit, but the spaces around a PIN are dropped
])
def test_bad_pins_are_refused_clearly(client, newcomer, coach, pin, again, message):
    token = issue_activation_token(newcomer, coach)
    db.session.commit()
    response = client.post(f"/activate/{token}", data={"pin": pin, "pin_again": again})
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert newcomer.secret_hash is None


def test_a_pin_typed_in_arabic_indic_digits_is_the_same_pin(client, make_user):
    make_user(Role.PARTICIPANT, phone="+31612345001")  # PIN 480153
    eastern = TEST_PIN.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client.post("/login", data={"phone": "0612345001", "pin": eastern})
    assert response.status_code == 302 and response.headers["Location"] == "/week"


def test_coach_creates_a_participant_and_sees_the_code_once(login_as, coach):
    client = login_as(coach)
    response = client.post("/coach/participants/new",
                           data={"display_name": "Dawit Kidane", "phone": "06 2233 4455", "locale": "ti"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/activate/" in page and "<svg" in page and "QR code" in page
    person = db.session.scalars(select(User).filter_by(phone="+31622334455")).one()
    assert person.locale == "ti" and person.created_by_id == coach.id
    assert db.session.scalars(select(CoachAssignment).filter_by(participant_id=person.id)).one().coach_id == coach.id
    assert "/activate/" not in client.get(response.headers["Location"]).get_data(as_text=True)
    link = page.split("/activate/")[1].split("<")[0]
    assert login_as(coach).application.test_client().get(f"/activate/{link}").status_code == 200


def test_new_participant_form_keeps_input_on_error(login_as, coach, make_user):
    make_user(Role.PARTICIPANT, phone="+31622334455")
    response = login_as(coach).post("/coach/participants/new",
                                    data={"display_name": "Dawit Kidane", "phone": "06 2233 4455", "locale": "ti"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone already uses this phone number." in page and 'value="Dawit Kidane"' in page
    bad = login_as(coach).post("/coach/participants/new", data={"display_name": "X", "phone": "hello"})
    assert "This is not a phone number we can use." in bad.get_data(as_text=True)


def test_coach_cannot_touch_another_coachs_participant(login_as, make_user, newcomer):
    other_coach = make_user(Role.COACH)
    client = login_as(other_coach)
    assert client.post(f"/coach/participants/{newcomer.id}/activation").status_code == 404
    assert client.get(f"/coach/participants/{newcomer.id}/activation").status_code == 404
    assert db.session.scalars(select(ActivationToken).filter_by(user_id=newcomer.id)).first() is None


def test_participants_cannot_use_coach_pages(login_as, make_user, newcomer):
    client = login_as(make_user(Role.PARTICIPANT))
    assert client.get("/coach").status_code == 404
    assert client.get("/coach/participants/new").status_code == 404
    assert client.post(f"/coach/participants/{newcomer.id}/activation").status_code == 404


def test_next_only_stays_on_the_site(client, make_user):
    make_user(Role.PARTICIPANT, phone="+31612345001")
    response = client.post("/login?next=https://evil.example/", data={"phone": "0612345001", "pin": TEST_PIN})
    assert response.headers["Location"] == "/week"


def test_sign_out_everywhere_ends_the_other_sessions_too(app, make_user):
    from webapp.accounts.models import Role as Roles

    person = make_user(Roles.PARTICIPANT)
    phone, laptop = app.test_client(user=person), app.test_client(user=person)
    assert phone.get("/settings").status_code == 200 and laptop.get("/settings").status_code == 200
    response = phone.post("/logout/everywhere")
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"cache"'
    assert laptop.get("/settings").status_code == 302  # its cookie no longer matches: to the sign-in page
    assert phone.get("/settings").status_code == 302
