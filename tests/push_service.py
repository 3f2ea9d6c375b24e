"""A push service on 127.0.0.1 for tests and benchmarks: it decrypts what it receives.

It plays the part of Mozilla's or Google's push service: it records each POST with its
headers, decrypts the body with the independent `http_ece` library and the subscriber's
private key, and answers what the test asks for (201 by default, or 404/410/429/500).
"""
from __future__ import annotations

import base64
import json
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class PushService:
    """Start with `with PushService() as service:`; endpoints are `service.endpoint(name)`."""

    def __init__(self):
        self.received: list[Received] = []
        self.answers: deque[tuple[int, dict]] = deque()
        self.answers_by_path: dict[str, tuple[int, dict]] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    if self.path in outer.answers_by_path:
                        status, headers = outer.answers_by_path[self.path]
                    else:
                        status, headers = outer.answers.popleft() if outer.answers else (201, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "PushService":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/push/{name}"

    def answer(self, status: int, **headers) -> None:
        """Answer the next POST with this status (and headers, e.g. Retry-After='120')."""
        self.answers.append((status, {key.replace("_", "-"): str(value) for key, value in headers.items()}))

    def answer_for(self, path: str, status: int, **headers) -> None:
        """Answer every POST to `path` with this status, whatever order the requests come in."""
        self.answers_by_path[path] = (status, {key.replace("_", "-"): str(value) for key, value in headers.items()})
