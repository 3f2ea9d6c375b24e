"""Error pages speak the visitor's language and never show a server error for bad input."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("locale, title", [
    ("en", "Page not found"), ("nl", "Pagina niet gevonden"),
])
def test_404_in_the_visitors_language(app, locale, title):
    response = app.test_client().get("/no-such-page", headers={"Accept-Language": locale})
    assert response.status_code == 404 and title in response.get_data(as_text=True)


def test_404_in_arabic_is_right_to_left(app):
    page = app.test_client().get("/no-such-page", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in page and "Page not found" not in page


def test_method_not_allowed_is_translated(app):
    response = app.test_client().delete("/login", headers={"Accept-Language": "nl"})
    assert response.status_code == 405 and "<html" in response.get_data(as_text=True)


def test_missing_csrf_token_is_a_translated_400(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        response = app.test_client().post("/login", data={"phone": "0612345001", "pin": "123456"},
                                          headers={"Accept-Language": "nl"})
        assert response.status_code == 400
        assert "te lang open" in response.get_data(as_text=True)


def test_a_crash_is_a_translated_500_not_a_traceback(make_app):
    app = make_app(TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("bug")

    with app.app_context():
        response = app.test_client().get("/boom", headers={"Accept-Language": "nl"})
        page = response.get_data(as_text=True)
        assert response.status_code == 500
        assert 'lang="nl"' in page and "RuntimeError" not in page and "Er ging iets mis" in page
