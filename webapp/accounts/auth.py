"""Flask-Login wiring: loading the user from the session cookie, and role checks."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required

from ..extensions import db
from .models import Role, User


def configure(login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        raw_id, _, nonce = user_id.partition(":")
        if not raw_id.isdigit():
            return None
        user = db.session.get(User, int(raw_id))
        if user is None or user.session_nonce != nonce:
            return None
        return user


def role_required(*roles: Role):
    """Sign-in required, and one of these roles; other signed-in people get a 404."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator
