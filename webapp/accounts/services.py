"""Signing in, lock-out, activation links and participant accounts."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import now_utc
from .models import ActivationToken, CoachAssignment, Role, User, new_session_nonce

PIN_LENGTH = 6
# Checked against even when the account does not exist, so timing tells nothing.
_DUMMY_HASH = generate_password_hash("not-a-real-secret")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """Return the E.164 form of a phone number, read as Dutch unless it says otherwise."""
    try:
        number = phonenumbers.parse(raw.strip(), "NL")
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(raw) from error
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret)


class SignInResult:
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    NOT_ACTIVATED = "not_activated"


@dataclass
class SignIn:
    result: str
    user: User | None = None


def _find_user(role_filter, **criteria) -> User | None:
    statement = select(User).filter_by(**criteria).where(role_filter)
    return db.session.scalars(statement).first()


def sign_in_participant(phone: str, pin: str, at: datetime | None = None) -> SignIn:
    try:
        normalised = normalise_phone(phone)
    except InvalidPhone:
        check_password_hash(_DUMMY_HASH, pin)
        return SignIn(SignInResult.WRONG)
    user = _find_user(User.role == Role.PARTICIPANT, phone=normalised)
    return _check_secret(user, pin, at or now_utc())


def sign_in_staff(email: str, password: str, at: datetime | None = None) -> SignIn:
    user = _find_user(User.role != Role.PARTICIPANT, email=email.strip().lower())
    return _check_secret(user, password, at or now_utc())


def _check_secret(user: User | None, secret: str, at: datetime) -> SignIn:
    """Compare the secret, counting failures and locking the account after too many."""
    if user is None or not user.is_enabled:
        check_password_hash(_DUMMY_HASH, secret)
        return SignIn(SignInResult.WRONG)
    if user.is_locked(at):
        return SignIn(SignInResult.LOCKED, user)
    if user.secret_hash is None:
        return SignIn(SignInResult.NOT_ACTIVATED, user)
    if check_password_hash(user.secret_hash, secret):
        user.failed_logins = 0
        user.locked_until = None
        return SignIn(SignInResult.OK, user)
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_LOCK_AFTER"]:
        user.locked_until = at + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        user.failed_logins = 0
        return SignIn(SignInResult.LOCKED, user)
    return SignIn(SignInResult.WRONG, user)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_activation_token(user: User, issued_by: User | None, at: datetime | None = None) -> str:
    """Create a fresh one-time activation token; earlier unused ones stop working."""
    at = at or now_utc()
    for old in db.session.scalars(
        select(ActivationToken).where(
            ActivationToken.user_id == user.id,
            ActivationToken.used_at.is_(None),
            ActivationToken.revoked_at.is_(None),
        )
    ):
        old.revoked_at = at
    token = secrets.token_urlsafe(32)
    db.session.add(
        ActivationToken(
            user_id=user.id,
            token_hash=_token_digest(token),
            created_by_id=issued_by.id if issued_by else None,
            created_at=at,
            expires_at=at + timedelta(days=current_app.config["ACTIVATION_VALID_DAYS"]),
        )
    )
    db.session.flush()
    return token


class ActivationProblem(Exception):
    """Why an activation link cannot be used: 'unknown', 'used', 'expired' or 'revoked'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def find_usable_activation(token: str, at: datetime | None = None) -> ActivationToken:
    at = at or now_utc()
    activation = db.session.scalars(
        select(ActivationToken).where(ActivationToken.token_hash == _token_digest(token))
    ).first()
    if activation is None or not activation.user.is_enabled:
        raise ActivationProblem("unknown")
    if activation.used_at is not None:
        raise ActivationProblem("used")
    if activation.revoked_at is not None:
        raise ActivationProblem("revoked")
    if activation.expires_at <= at:
        raise ActivationProblem("expired")
    return activation


def complete_activation(activation: ActivationToken, secret: str, locale: str, at: datetime | None = None) -> User:
    """Set the PIN (participants) or password (staff) and language, spend the token, end older sessions."""
    at = at or now_utc()
    user = activation.user
    user.secret_hash = hash_secret(secret)
    user.locale = locale
    user.activated_at = at
    user.failed_logins = 0
    user.locked_until = None
    user.session_nonce = new_session_nonce()
    activation.used_at = at
    return user


def end_every_session(user: User) -> None:
    """Sign the person out on every phone and computer: their login cookies stop matching."""
    user.session_nonce = new_session_nonce()


def create_participant(coach: User, display_name: str, phone: str, locale: str) -> User:
    """Create a participant in the coach's caseload (not yet activated)."""
    participant = User(
        role=Role.PARTICIPANT,
        display_name=display_name.strip(),
        phone=normalise_phone(phone),
        locale=locale,
        created_by_id=coach.id,
    )
    db.session.add(participant)
    db.session.flush()
    db.session.add(CoachAssignment(coach_id=coach.id, participant_id=participant.id))
    db.session.flush()
    return participant


def create_staff(admin: User, display_name: str, email: str, role: Role, locale: str) -> User:
    """Create a coach, buddy or admin account; they choose their password through an activation link."""
    if role == Role.PARTICIPANT:
        raise ValueError(role)
    person = User(role=role, display_name=display_name.strip(), email=email.strip().lower(), locale=locale,
                  created_by_id=admin.id)
    db.session.add(person)
    db.session.flush()
    return person


def email_in_use(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == email.strip().lower())) is not None


def phone_in_use(phone: str) -> bool:
    return db.session.scalar(select(User.id).where(User.phone == phone)) is not None
