"""A participant's first visit on a small phone, in Arabic (right to left), end to end.

Activation link -> language choice -> PIN -> week -> next week (HTMX swap, URL pushed)
-> "I'll come" -> "I can't come" because of sickness -> the answer is stored and survives a reload.
Selectors are CSS/roles, not translated texts, so the test holds whatever the catalogs say.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.schedule.models import Attendance, AttendanceStatus, DeclineReason

PIN = "480153"
# A <summary> cannot be aria-pressed: the chosen "I can't come" has this class and a hidden "(chosen)".
CHOSEN = re.compile(r"\bis-chosen\b")


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.mark.browser
def test_participant_activates_in_arabic_and_answers_an_invitation(
    phone, live_app, participant_world, artifacts_dir
):
    page, problems = phone
    world = participant_world
    html = page.locator("html")

    # 1. The activation link opens in Dutch (the browser asks for nl-NL); choose Arabic.
    page.goto(f"/activate/{world.activation_token}")
    expect(html).to_have_attribute("lang", "nl")
    page.get_by_role("button", name="العربية", exact=True).click()
    page.wait_for_url(lambda url: path_of(url) == f"/activate/{world.activation_token}")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("button.btn-language[lang=ar]")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(artifacts_dir / "activate-ar-360.png"), full_page=True)

    # 2. Choose a PIN; the account is activated and the week opens.
    page.locator("#pin").fill(PIN)
    page.locator("#pin_again").fill(PIN)
    page.locator("form[action*='/activate/'] button[type=submit]").click()
    page.wait_for_url(lambda url: path_of(url).startswith("/week"))
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    week = page.locator("#week")
    expect(week).to_be_visible()
    expect(page.locator(f"#event-{world.class_id}")).to_be_visible()

    # 3. Next week: HTMX swaps #week and pushes the week's own URL.
    next_link = week.locator("a[rel=next]")
    expect(next_link).to_have_attribute("href", f"/week/{world.next_week}")
    next_link.click()
    page.wait_for_url(lambda url: path_of(url).endswith(f"/week/{world.next_week}"))
    card = page.locator(f"#event-{world.appointment_id}")
    expect(card).to_be_visible()
    expect(page.locator(f"#event-{world.class_id}")).to_have_count(0)
    expect(html).to_have_attribute("dir", "rtl")
    expect(card.locator(".status-open")).to_be_visible()

    # 4. "I'll come": the card is swapped for the confirmed one.
    card.locator(".btn-yes").click()
    expect(card.locator(".status-yes")).to_be_visible()
    expect(card.locator(".btn-yes")).to_have_attribute("aria-pressed", "true")
    expect(card.locator("summary.btn-no")).not_to_have_class(CHOSEN)
    expect(card.locator("summary.btn-no .sr-only")).to_have_count(0)

    # 5. Changed mind: "I can't come", because of sickness.
    card.locator("summary.btn-no").click()
    decline_form = card.locator("details.decline form")
    expect(decline_form).to_be_visible()
    decline_form.locator("input[name=reason][value=sick]").check()
    decline_form.locator("button[type=submit]").click()
    expect(card.locator(".status-no")).to_be_visible()
    expect(card.locator(".status-yes")).to_have_count(0)
    expect(card.locator("summary.btn-no")).to_have_class(CHOSEN)
    expect(card.locator("summary.btn-no .sr-only")).to_have_count(1)  # "(chosen)", said
    expect(card.locator(".btn-yes")).to_have_attribute("aria-pressed", "false")
    expect(card.locator("details.decline")).not_to_have_attribute("open", "")
    expect(card.locator(".saved")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "week-ar-360.png"), full_page=True)

    # 6. The answer is stored, and the account kept Arabic.
    with live_app.app_context():
        attendance = db.session.scalars(
            db.select(Attendance).filter_by(event_id=world.appointment_id,
                                            user_id=world.participant_id)
        ).one()
        assert attendance.status == AttendanceStatus.DECLINED
        assert attendance.reason == DeclineReason.SICK
        assert attendance.responded_at is not None
        assert attendance.user.locale == "ar"
        assert attendance.user.activated_at is not None
        db.session.remove()

    # 7. A reload of the pushed URL renders the whole page with the answer still shown.
    page.reload()
    assert path_of(page.url) == f"/week/{world.next_week}"
    expect(html).to_have_attribute("dir", "rtl")
    expect(card.locator(".status-no")).to_be_visible()
    expect(card.locator("summary.btn-no")).to_have_class(CHOSEN)
    expect(card.locator("summary.btn-no .sr-only")).to_have_count(1)  # "(chosen)", said
    expect(card.locator(".btn-yes")).to_have_attribute("aria-pressed", "false")

    assert problems.items == [], "\n".join(problems.items)
