"""A pinned post is collapsed on the feed: its summary, then "Read more" (a <details>)
holding the whole post, so the course guide no longer fills the top of every page. The
post's own page shows it in full; other posts are shown in full as before."""

from __future__ import annotations

import re

from portal.feed.reading import SUMMARY_MAX, summary_of
from tests.web.feed.feed_support import add_post, age, member

GUIDE = (
    "# The guide\n\nStart with the **event loop**: what blocks it, and why `Worker` helps.\n\n"
    + "\n\n".join(f"Section {n}: a long explanation of part {n}." for n in range(30))
)


def _card(page: str, post_id: int) -> str:
    start = page.index(f'aria-labelledby="post-{post_id}-title"')
    return page[start : page.index("</article>", start)]


def test_a_pinned_post_shows_a_summary_and_the_rest_behind_read_more(
    app, db, make_user, make_browser
):
    user, browser = member(make_user, make_browser, app, "Ada")
    age(db, user, 30)
    pinned = add_post(
        db, None, "Course guide", GUIDE, kind="guide", pinned=True, tenant_id=user.tenant_id
    )
    plain = add_post(db, user, "A question", "Why does **my** loop block?")
    page = browser.client.get("/feed/").get_data(as_text=True)
    card = _card(page, pinned.id)
    summary = "Start with the event loop: what blocks it, and why Worker helps."
    assert f'<p class="feed-summary">{summary}</p>' in card
    details = re.search(r'<details class="feed-more">(.*?)</details>', card, re.S)
    assert details is not None and '<details class="feed-more" open' not in card
    assert "<summary>Read more" in details.group(1)
    # The whole guide is inside the collapsed part, not before it.
    assert "Section 29" in details.group(1) and "Section 29" not in card[: details.start()]
    other = _card(page, plain.id)
    assert "<details" not in other and "<strong>my</strong>" in other
    whole = browser.client.get(f"/feed/posts/{pinned.id}").get_data(as_text=True)
    assert "Section 29" in whole and 'class="feed-more"' not in whole


def test_a_summary_is_the_first_paragraph_as_plain_text_cut_at_a_word():
    assert summary_of("# Title\n\nSome *words* and `code`\nhere.\n\nNext.") == (
        "Some words and code here."
    )
    long = summary_of("word " * 200)
    assert len(long) <= SUMMARY_MAX + 1 and long.endswith("word…")
    assert summary_of("") == ""
