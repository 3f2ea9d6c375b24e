"""VAPID keys: from the environment, else generated once into instance/."""
from __future__ import annotations

import base64
import os
import threading
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import current_app
from py_vapid import Vapid02

PRIVATE_FILE = "vapid_private.pem"


class KeyProblem(ValueError):
    pass


def subject() -> str:
    """Who runs this server, for the push services; Apple refuses anything but mailto: or https:."""
    value = current_app.config.get("VAPID_SUBJECT") or os.environ.get("VAPID_SUBJECT") or "mailto:beheer@mijnweek.invalid"
    if not value.startswith(("mailto:", "https://")):
        raise KeyProblem("VAPID_SUBJECT must be a mailto: or https: URL")
    return value


_lock = threading.Lock()


@cache
def _load_locked(instance_path: str, from_environment: str | None) -> Vapid02:
    if from_environment:
        return Vapid02.from_string(private_key=from_environment)
    path = Path(instance_path) / PRIVATE_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        vapid = Vapid02()
        vapid.generate_keys()
        pem = vapid.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    return Vapid02.from_file(str(path))


def _load(instance_path: str, from_environment: str | None) -> Vapid02:
    with _lock:
        return _load_locked(instance_path, from_environment)


def vapid() -> Vapid02:
    """The one signing key object, reused for every push."""
    return _load(current_app.instance_path, current_app.config.get("VAPID_PRIVATE_KEY")
                 or os.environ.get("VAPID_PRIVATE_KEY"))


def public_key() -> str:
    """The application server key as the browser wants it: base64url of the raw P-256 point."""
    raw = vapid().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
