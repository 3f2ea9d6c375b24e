"""Flask-Login wiring: loading the user from the session cookie, and role checks."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached

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
        user = _signed_in(int(raw_id))
        if user is None or user.session_nonce != nonce:
            return None
        return user


def _read_once(statement):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement).mappings().first()


def _signed_in(user_id: int) -> User | None:
    """The signed-in person, read with one SELECT outside a transaction and handed to the
    request's session as if it had loaded it. Most requests need nothing else from the database
    (a week page from the cache), and a transaction around that one read would cost a BEGIN and
    a ROLLBACK round trip to the database on every request."""
    loaded = db.session.identity_map.get(db.session.identity_key(User, user_id))
    if loaded is not None:
        return loaded
    table = User.__table__
    statement = select(table).where(table.c.id == user_id)
    try:
        row = _read_once(statement)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        # The database dropped this pooled connection (a restart): the pool is renewed, ask again.
        row = _read_once(statement)
    if row is None:
        return None
    user = User(**{attribute.key: row[attribute.columns[0].name]
                   for attribute in inspect(User).column_attrs})
    make_transient_to_detached(user)  # as if freshly loaded: no pending changes
    db.session.add(user)
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
