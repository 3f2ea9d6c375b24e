"""A push service on 127.0.0.1 for tests and benchmarks: it decrypts what it receives.

It plays the part of Mozilla's or Google's push service: it records each POST with its
headers, decrypts the body with the independent `http_ece` library and the subscriber's
private key, and answers what the test asks for (201 by default, or 404/410/429/500). It can
also hold requests unanswered (a slow or hanging service) and come back on the same port.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscriber:
    """A browser's side of a subscription: its own key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth,
                                           version="aes128gcm"))


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


def verify_vapid(authorization: str, public_key_b64: str) -> dict:
    """Check `vapid t=<JWT>, k=<key>`: the key is ours and the ES256 signature holds. Returns the claims."""
    parts = dict(part.strip().split("=", 1) for part in authorization.removeprefix("vapid ").split(","))
    assert parts["k"] == public_key_b64, "the VAPID key is not the application's"
    header, payload, signature = parts["t"].split(".")
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key_b64))
    try:
        public.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise AssertionError("the VAPID signature does not verify") from error
    return json.loads(unb64url(payload))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):  # a sender that hung up is part of the tests
            super().handle_error(request, client_address)


class PushService:
    """Start with `with PushService() as service:`; endpoints are `service.endpoint(name)`.

    `PushService(port=...)` listens on a port used before: a push service that was down comes back.
    """

    HOLD_AT_MOST = 30.0  # seconds: a held POST is answered then anyway, so no test can hang on it

    def __init__(self, port: int = 0):
        self.received: list[Received] = []
        self.answers: deque[tuple[int, dict]] = deque()
        self.answers_by_path: dict[str, tuple[int, dict]] = {}
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.answer_before_holding: int | None = None  # None: answer everything at once
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.arrived.notify_all()
                    held = outer._hold_next()
                    if self.path in outer.answers_by_path:
                        status, headers = outer.answers_by_path[self.path]
                    else:
                        status, headers = outer.answers.popleft() if outer.answers else (201, {})
                if held:
                    outer.released.wait(outer.HOLD_AT_MOST)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender stopped waiting (a time-out) or was killed
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        """Answer what is held, stop, and free the port: from now on connections are refused."""
        self.release()
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def _hold_next(self) -> bool:
        if self.answer_before_holding is None:
            return False
        if self.answer_before_holding > 0:
            self.answer_before_holding -= 1
            return False
        return True

    def hold_after(self, count: int = 0) -> None:
        """Answer `count` more POSTs, then keep every later one waiting (recorded on arrival) until `release()`."""
        with self.lock:
            self.released.clear()
            self.answer_before_holding = count

    def release(self) -> None:
        """Answer every held POST and hold no more."""
        with self.lock:
            self.answer_before_holding = None
            self.released.set()

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        """Block until `count` POSTs have arrived in all."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"the push service saw {len(self.received)} requests, not {count}")

    def wait_until_quiet(self, seconds: float = 0.5) -> int:
        """Block until no POST has arrived for `seconds`; returns how many arrived in all."""
        with self.arrived:
            while self.arrived.wait(seconds):
                pass
            return len(self.received)

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"

    def answer(self, status: int, **headers) -> None:
        """Answer the next POST with this status (and headers, e.g. Retry-After='120')."""
        self.answers.append((status, {key.replace("_", "-"): str(value) for key, value in headers.items()}))

    def answer_for(self, path: str, status: int, **headers) -> None:
        """Answer every POST to `path` with this status, whatever order the requests come in."""
        self.answers_by_path[path] = (status, {key.replace("_", "-"): str(value) for key, value in headers.items()})
