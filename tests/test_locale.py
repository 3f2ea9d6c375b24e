"""The locale chain: saved setting, explicit choice, browser, Dutch; and what follows from it."""
from __future__ import annotations

import pytest

from webapp.accounts.models import Role
from webapp.extensions import db


def lang_dir(page: str) -> str:
    return page.split("<html ", 1)[1].split(">", 1)[0]


def test_default_is_dutch(app):
    client = app.test_client()
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    page = client.get("/login").get_data(as_text=True)
    assert lang_dir(page) == 'lang="nl" dir="ltr"'
    assert "Inloggen" in page


@pytest.mark.parametrize("header, expected", [
    ("ar-SY,ar;q=0.9,en;q=0.5", 'lang="ar" dir="rtl"'),
    ("ti-ER", 'lang="ti" dir="ltr"'),
    ("de-DE,en;q=0.7", 'lang="en" dir="ltr"'),
    ("fr-FR", 'lang="nl" dir="ltr"'),
])
def test_browser_language_is_used_when_nothing_was_chosen(app, header, expected):
    page = app.test_client().get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert lang_dir(page) == expected


def test_explicit_choice_beats_the_browser(app):
    client = app.test_client()
    response = client.post("/language", data={"locale": "ti", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert lang_dir(page) == 'lang="ti" dir="ltr"'


def test_saved_setting_beats_the_choice_and_choosing_saves_it(login_as, make_user):
    person = make_user(Role.PARTICIPANT, locale="ar")
    client = login_as(person)
    client.post("/language", data={"locale": "nl"})
    db.session.expire_all()
    assert person.locale == "nl"
    with client.session_transaction() as session:
        session["locale"] = "en"
    assert lang_dir(client.get("/week").get_data(as_text=True)) == 'lang="nl" dir="ltr"'


def test_unknown_language_is_a_translated_400(app):
    response = app.test_client().post("/language", data={"locale": "xx"})
    assert response.status_code == 400
    assert "Choose one of the languages" in response.get_data(as_text=True)


def test_language_names_in_their_own_script(app):
    page = app.test_client().get("/language").get_data(as_text=True)
    for name in ("Nederlands", "English", "العربية", "ትግርኛ"):
        assert name in page
    assert 'lang="ar" dir="rtl"' in page and 'lang="ti"' in page


def test_language_switch_only_redirects_on_site(app):
    response = app.test_client().post("/language", data={"locale": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("locale, words", [
    ("nl", ["Week", "Vandaag", "maandag"]),
    ("ar", ["الأسبوع", "اليوم", "الاثنين"]),
    ("ti", ["ሰሙን", "ሎሚ", "ሰኑይ"]),
    ("en", ["Week", "Today", "Monday"]),
])
def test_week_page_speaks_the_language(login_as, make_user, locale, words):
    page = login_as(make_user(Role.PARTICIPANT, locale=locale)).get("/week").get_data(as_text=True)
    for word in words:
        assert word in page, word


def test_times_are_24_hour_with_western_digits(login_as, make_user, make_event):
    from datetime import datetime, time, timedelta

    from webapp.schedule.models import EventKind
    from webapp.timeutil import IsoWeek, today_local

    person = make_user(Role.PARTICIPANT, locale="ar")
    monday = IsoWeek.containing(today_local()).monday
    make_event(EventKind.WORK, start=datetime.combine(monday + timedelta(days=1), time(17, 30)), attendees=[person])
    page = login_as(person).get("/week").get_data(as_text=True)
    assert "17:30" in page and "18:30" in page


def test_dutch_words_on_by_default_except_in_dutch_and_can_be_switched(login_as, make_user, make_event):
    from datetime import datetime, time, timedelta

    from webapp.schedule.models import EventKind
    from webapp.timeutil import IsoWeek, today_local

    person = make_user(Role.PARTICIPANT, locale="ar")
    make_event(EventKind.WORK, attendees=[person],
               start=datetime.combine(IsoWeek.containing(today_local()).monday + timedelta(days=1), time(10)))
    client = login_as(person)
    assert '<span class="dutch-word" lang="nl">werkplek</span>' in client.get("/week").get_data(as_text=True)
    settings = client.get("/settings").get_data(as_text=True)
    assert '<input checked class="check" id="show_dutch_words"' in settings
    assert client.post("/settings/dutch-words", data={}).status_code == 302
    assert "werkplek" not in client.get("/week").get_data(as_text=True)
    person.locale = "nl"
    person.show_dutch_words = None
    db.session.commit()
    assert "werkplek" not in client.get("/week").get_data(as_text=True)
    client.post("/settings/dutch-words", data={"show_dutch_words": "y"})
    assert "werkplek" in client.get("/week").get_data(as_text=True)


def test_manifest_speaks_the_language(app):
    response = app.test_client().get("/manifest.webmanifest", headers={"Accept-Language": "ar"})
    manifest = response.get_json()
    assert response.mimetype == "application/manifest+json"
    assert manifest["lang"] == "ar" and manifest["dir"] == "rtl" and manifest["name"] == "Mijn Week"
    assert "أسبوعك" in manifest["description"]
    assert manifest["start_url"] == "/week" and manifest["display"] == "standalone"
