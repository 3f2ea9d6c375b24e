"""Security headers and cookie flags: strict CSP everywhere, HTTPS-only settings in production."""
from __future__ import annotations

import pytest

from webapp import create_app


def test_every_response_carries_a_strict_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    monkeypatch.setenv("MIJNWEEK_ENV", "production")
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})


def test_production_forces_https_with_hsts_and_secure_cookies(production_app):
    client = production_app.test_client()
    assert client.get("/login").status_code == 302  # http:// is sent to https://
    response = client.get("/login", base_url="https://mijnweek.example")
    assert "max-age=31556926" in response.headers["Strict-Transport-Security"]  # a year
    assert production_app.config["SESSION_COOKIE_SECURE"] and production_app.config["REMEMBER_COOKIE_SECURE"]
    assert production_app.config["SESSION_COOKIE_HTTPONLY"] and production_app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_behind_a_trusted_proxy_https_is_seen(monkeypatch, tmp_path):
    monkeypatch.setenv("MIJNWEEK_ENV", "production")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200 and "Strict-Transport-Security" in response.headers
