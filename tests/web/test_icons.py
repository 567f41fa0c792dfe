"""Icons are symbols of the vendored Lucide sprite, never emoji.

Emoji show as empty boxes where no emoji font is installed: no page the portal writes
(header, course pages, gates, callouts, achievements) may carry one, and every icon a
course names for an achievement is in the sprite (or it would fall back to `award`).
"""

from __future__ import annotations

import re

from portal.catalogue.catalogue import get_catalogue
from portal.icons import FALLBACK, NAMES, SPRITE, icon

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u26ff\u2b50\u2139\ufe0f]")


def test_every_achievement_names_an_icon_of_the_sprite(app):
    with app.app_context():
        achievements = [a for c in get_catalogue().courses.values() for a in c.achievements]
    assert achievements
    assert {a.icon for a in achievements} <= NAMES, {a.icon for a in achievements} - NAMES
    assert FALLBACK in NAMES


def test_an_unknown_icon_draws_the_fallback_and_escapes_nothing_in(app):
    with app.test_request_context():
        drawn = str(icon('"><script>'))
    assert f"{SPRITE}#{FALLBACK}" in drawn and "<script>" not in drawn
    assert 'aria-hidden="true"' in drawn


def test_pages_carry_no_emoji(student_browser):
    for path in (
        "/",
        "/courses/node-workers",
        "/courses/node-workers/steps/event-loop",
        "/courses/node-workers/steps/worker-threads",
        "/profile",
        "/notifications",
    ):
        page = student_browser.client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert not EMOJI.findall(html), (path, EMOJI.findall(html))
        if path == "/profile":
            assert f"{SPRITE}#spool" in html  # the badges: Thread Master's spool


def test_a_guest_sees_the_lock_icon_not_an_emoji(client):
    html = client.get("/courses/node-workers").get_data(as_text=True)
    assert f"{SPRITE}#lock" in html and "🔒" not in html
