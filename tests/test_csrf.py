"""Every state-changing route refuses a request without a valid CSRF token (generated from the URL map,
so a new route is covered without anyone remembering to add it)."""
from __future__ import annotations

import pytest

from webapp.accounts.models import Role

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
REFUSED = "came from elsewhere"  # the CSRF error page's words (webapp/errors.py), in English


def _changing_requests(app) -> list[tuple[str, str]]:
    requests = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & CHANGING):
            path = rule.rule
            for argument in rule.arguments:  # any value: the token is checked before the view runs
                path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x").replace(
                    f"<path:{argument}>", "x")
            requests.append((method, path))
    return sorted(requests)


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT, Role.COACH, Role.ADMIN])
def test_no_change_without_a_csrf_token(csrf_app, make_user, role):
    with csrf_app.app_context():
        user = make_user(role) if role else None
        client = csrf_app.test_client(user=user) if user else csrf_app.test_client()
        requests = _changing_requests(csrf_app)
        assert len(requests) > 20, "the URL map should hold the app's forms"
        accepted = []
        for method, path in requests:
            response = client.open(path, method=method, data={"x": "1"})
            if response.status_code != 400 or REFUSED not in response.get_data(as_text=True):
                accepted.append(f"{method} {path}: {response.status_code}")
        assert not accepted, "answered without a CSRF token:\n" + "\n".join(accepted)


def test_a_valid_token_in_the_htmx_header_is_accepted(csrf_app, make_user):
    with csrf_app.app_context():
        person = make_user(Role.PARTICIPANT)
        client = csrf_app.test_client(user=person)
        page = client.get("/settings").get_data(as_text=True)
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        response = client.post("/push/subscriptions", json={"endpoint": "ftp://x"}, headers={"X-CSRFToken": token})
        assert response.status_code == 400 and "https" in response.get_data(as_text=True)
        refused = client.post("/push/subscriptions", json={"endpoint": "ftp://x"})
        assert refused.status_code == 400 and REFUSED in refused.get_data(as_text=True)
