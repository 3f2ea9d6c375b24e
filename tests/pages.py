"""Every page each role can reach, found by walking the app's URL map over the demo data.

A new GET route is covered automatically; a route whose argument cannot be filled in
from the demo makes `reachable_pages` fail, so it cannot be silently skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for

from webapp.accounts.models import Role, User
from webapp.demo.seed import SeedResult
from webapp.timeutil import IsoWeek, today_local

# Routes that are not pages a person reads (redirects, files, sign-out).
NOT_PAGES = {"static", "accounts.index", "pwa.manifest", "messages.badge", "buddies.busy", "pwa.icon",
             "pwa.maskable_icon", "pwa.badge", "notify.service_worker", "hashed_static",
             "calendar_feed.feed", "privacy.my_data_download"}


@dataclass(frozen=True)
class Page:
    role: str  # "anonymous" or a Role value
    path: str


def _arguments(demo: SeedResult, endpoint: str) -> dict:
    """Values for route arguments; people who may not see them get the (translated) 404 page."""
    return {
        "week_id": str(IsoWeek.containing(today_local()).shifted(1)),
        "token": demo.pending_token,
        "participant_id": demo.participants[0].id,
        # Buddy pages are about buddy meetings; other pages about the coach appointment.
        "event_id": demo.buddy_meeting_id if endpoint.startswith("buddies.") else demo.next_appointment_id,
        "message_id": demo.message_id,
        "location_id": demo.location_id,
        "person_id": demo.staff[0].id,
    }


def reachable_pages(app: Flask, demo: SeedResult) -> list[Page]:
    """GET pages per role: anonymous visitors, a participant, the buddy, the coach, the admin."""
    viewers = viewers_of(demo)
    pages: list[Page] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        values = _arguments(demo, rule.endpoint)
        unknown = [name for name in rule.arguments if name not in values]
        if unknown:
            raise AssertionError(f"tests/pages.py cannot fill {unknown} for {rule.rule}")
        with app.test_request_context():
            path = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        pages.extend(Page(role, path) for role in viewers)
    return pages


def viewers_of(demo: SeedResult) -> dict[str, User | None]:
    """The person behind each role name used in `Page.role`."""
    return {"anonymous": None, Role.PARTICIPANT.value: demo.participants[0]} | {
        person.role.value: person for person in demo.staff}
