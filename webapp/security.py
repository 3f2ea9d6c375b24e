"""Security headers for every response, through Flask-Talisman.

The Content-Security-Policy allows only this site's own files: no inline script or style
(htmx is configured by its <meta> tag, with eval and injected styles off), no other origin,
no framing. HTTPS, HSTS and Secure cookies are switched on in production
(`MIJNWEEK_ENV=production`); the development server and the tests speak plain HTTP.
"""
from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "img-src": [SELF, "data:"],
    "font-src": SELF,
    "connect-src": SELF,
    "manifest-src": SELF,
    "worker-src": SELF,
    "form-action": SELF,
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}
# Nothing here uses the camera, microphone, location, payment or the like.
PERMISSIONS_POLICY = {feature: "()" for feature in (
    "camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "midi",
    "magnetometer", "gyroscope", "accelerometer", "display-capture", "browsing-topics")}

talisman = Talisman()


def register(app: Flask) -> None:
    """Headers on every response; behind a reverse proxy, `TRUSTED_PROXIES=1` lets the app see
    the visitor's HTTPS and address (needed for the HTTPS redirect and per-address rate limits)."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    production = app.config.get("PRODUCTION", False)
    # Static files are not documents: a policy on each would only cost bytes on a prepaid phone.
    assets = app.view_functions.get("hashed_static")
    if assets is not None:
        talisman(content_security_policy=None, frame_options=None)(assets)
    talisman.init_app(
        app,
        force_https=production,
        strict_transport_security=production,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        feature_policy={},
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
