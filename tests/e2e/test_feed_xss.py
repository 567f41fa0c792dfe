"""The Holo-Net in Chromium: a student's post full of script stays text, and nothing runs.

The demo student opens the Holo-Net from the menu (the course guide is pinned first,
collapsed to its summary until "Read more" opens it),
posts Markdown that carries XSS payloads in its title, body and a comment, and the pages
show them as text: `window.__xss` stays undefined, no dialog opens, axe-core finds no
serious violation and the Content-Security-Policy is never violated.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

DESKTOP = {"width": 1280, "height": 900}
TITLE = "<script>window.__xss=1</script> Hello Holo-Net"
BODY = (
    "My **first** post, with `code`.\n\n"
    '<img src=x onerror="window.__xss=1">\n\n'
    "[click me](javascript:window.__xss=1) and [a real link](https://example.org)\n\n"
    "<svg onload=window.__xss=1>"
)
COMMENT = "<details open ontoggle=window.__xss=1>nice</details>"


def test_a_student_posts_markup_and_it_stays_inert(platform_url, chromium, artifacts):
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    found: dict = {}

    def check(name: str) -> None:
        page.screenshot(path=str(artifacts / f"feed-{name}.png"), full_page=True)
        violations = serious_accessibility_violations(page)
        if violations:
            found[name] = violations
        assert page.evaluate("typeof window.__xss") == "undefined", name

    page.goto("/auth/login")
    page.get_by_label("Email").fill("student@example.org")
    page.get_by_label("Password").fill("student-demo-pass")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Holo-Net", exact=True).click()
    expect(page.get_by_role("heading", name="Holo-Net", level=1)).to_be_visible()
    # Each course's guide is pinned at the top of a new school's feed.
    for guide in ("Unblocking the Loop", "Waiting or Computing?"):
        post = page.locator(".feed-post", has=page.locator("h2", has_text=guide))
        expect(post.locator(".feed-badge-pinned")).to_be_visible()
    # A pinned guide is a summary until "Read more" opens it (a <details>, so keyboards
    # and screen readers get an expandable control).
    guide = page.locator(".feed-post", has=page.locator("h2", has_text="Unblocking the Loop"))
    expect(guide.locator(".feed-summary")).to_contain_text("built around a single thread")
    later = guide.get_by_role("heading", name="Fix 2: child processes, for other programs")
    expect(later).to_be_hidden()
    check("empty-feed")
    guide.get_by_text("Read more").click()
    expect(later).to_be_visible()
    guide.get_by_text("Read more").click()
    expect(later).to_be_hidden()

    page.get_by_role("link", name="Write a post").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Your post (Markdown)").fill(BODY)
    check("new-post")
    page.get_by_role("button", name="Post", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    body = page.locator(".feed-post-page .feed-body")
    expect(body.locator("strong")).to_have_text("first")
    expect(body).to_contain_text('<img src=x onerror="window.__xss=1">')
    expect(body).to_contain_text("[click me](javascript:window.__xss=1)")
    expect(body.get_by_role("link", name="a real link")).to_have_attribute(
        "rel", "nofollow noopener noreferrer ugc"
    )
    assert body.locator("img, svg, script").count() == 0

    page.get_by_label("Your comment (Markdown)").fill(COMMENT)
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".feed-comment .feed-body")).to_contain_text("<details open ontoggle")
    page.get_by_role("button", name="Like: 0").click()
    expect(page.get_by_role("button", name="Like: 1, you reacted")).to_be_visible()
    check("post")

    page.get_by_role("link", name="Back to the Holo-Net").click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    check("feed")

    assert dialogs == []
    assert found == {}
    assert csp_violations == []
    context.close()
