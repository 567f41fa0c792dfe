"""Writing and reading the Holo-Net: posts, Markdown, comments, replies, reactions, pages."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.models import Comment, Notification, Post, Reaction, utc_now
from tests.web.feed.feed_support import add_comment, add_post, age, member, write_post


@pytest.fixture
def ada(app, db, make_user, make_browser):
    user, browser = member(make_user, make_browser, app, "Ada")
    age(db, user, 30)
    return user, browser


@pytest.fixture
def bob(app, db, make_user, make_browser):
    user, browser = member(make_user, make_browser, app, "Bob")
    age(db, user, 30)
    return user, browser


def test_a_member_posts_markdown_and_sees_it_rendered_in_the_feed(db, ada):
    user, browser = ada
    response = write_post(browser, "My *first* post", "Some **bold** and `code`\n\n# Big")
    assert response.status_code == 302
    post = db.scalars(select(Post)).one()
    assert response.headers["Location"] == f"/feed/posts/{post.id}"
    assert post.body_markdown == "Some **bold** and `code`\n\n# Big"
    assert "<strong>bold</strong>" in post.body_html and "<h3>Big</h3>" in post.body_html
    page = browser.client.get("/feed/").get_data(as_text=True)
    assert "My *first* post" in page  # the title is text, not Markdown
    assert "<strong>bold</strong>" in page and "<code>code</code>" in page
    assert "Ada" in page and f'href="/feed/posts/{post.id}"' in page


def test_the_feed_is_for_logged_in_members(client):
    response = client.get("/feed/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "body", "Write a title"),
        ("x" * 201, "body", "at most 200 characters"),
        ("Title", "   ", "Write the post"),
        ("Title", "y" * 10_001, "at most 10000 characters"),
    ],
)
def test_a_post_out_of_bounds_is_refused_and_keeps_what_was_typed(db, ada, title, body, message):
    _, browser = ada
    response = write_post(browser, title, body)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert (title[:50] in page) and (body.strip()[:50] in page)
    assert db.scalars(select(Post)).all() == []


def test_links_keep_only_safe_schemes_and_get_the_user_content_rel(db, ada):
    _, browser = ada
    body = (
        "[ok](https://example.org) [mail](mailto:a@example.org) "
        "[js](javascript:alert(1)) [data](data:text/html,hi) ![img](https://example.org/x.png)"
    )
    write_post(browser, "Links", body)
    html = db.scalars(select(Post)).one().body_html
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer ugc">ok</a>' in html
    assert 'href="mailto:a@example.org"' in html
    assert "javascript:" not in html.replace("[js](javascript:alert(1))", "")
    assert 'href="data:' not in html and "<img" not in html


def test_comments_and_replies_show_oldest_first_with_replies_under_their_parent(db, ada, bob):
    ada_user, ada_browser = ada
    bob_user, bob_browser = bob
    post = add_post(db, ada_user, "Threads", "Talk here")
    response = bob_browser.post_form(
        f"/feed/posts/{post.id}/comments", {"body": "First!"}, form_page=f"/feed/posts/{post.id}"
    )
    first = db.scalars(select(Comment)).one()
    assert response.headers["Location"] == f"/feed/posts/{post.id}#comment-{first.id}"
    ada_browser.post_form(
        f"/feed/posts/{post.id}/comments",
        {"body": "A reply", "parent_id": str(first.id)},
        form_page=f"/feed/posts/{post.id}",
    )
    ada_browser.post_form(
        f"/feed/posts/{post.id}/comments", {"body": "Second"}, form_page=f"/feed/posts/{post.id}"
    )
    reply = db.scalars(select(Comment).where(Comment.parent_id == first.id)).one()
    page = ada_browser.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)
    assert page.index("First!") < page.index("A reply") < page.index("Second")
    assert f'id="comment-{reply.id}"' in page
    db.expire_all()
    assert db.get(Post, post.id).comment_count == 3
    kinds = {(n.user_id, n.kind, n.link) for n in db.scalars(select(Notification))}
    assert (ada_user.id, "comment", f"/feed/posts/{post.id}#comment-{first.id}") in kinds
    assert (bob_user.id, "reply", f"/feed/posts/{post.id}#comment-{reply.id}") in kinds
    # Nobody is told about their own comment on their own post.
    assert len([k for k in kinds if k[0] == ada_user.id]) == 1


def test_a_comment_too_long_is_refused_with_its_text_kept(db, ada):
    user, browser = ada
    post = add_post(db, user)
    text = "z" * 3001
    response = browser.post_form(
        f"/feed/posts/{post.id}/comments", {"body": text}, form_page=f"/feed/posts/{post.id}"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at most 3000 characters" in page and text in page


def test_reactions_toggle_and_are_counted_per_kind(db, ada, bob):
    ada_user, ada_browser = ada
    bob_user, bob_browser = bob
    post = add_post(db, ada_user)
    path = f"/feed/posts/{post.id}/reactions"
    for browser, kind in ((bob_browser, "like"), (ada_browser, "like"), (bob_browser, "insight")):
        assert browser.post_form(path, {"kind": kind}, form_page="/feed/").status_code == 302
    page = bob_browser.client.get("/feed/").get_data(as_text=True)
    assert 'aria-label="Like: 2, you reacted"' in page
    assert 'aria-label="Insightful: 1, you reacted"' in page
    assert 'aria-label="Celebrate: 0"' in page
    bob_browser.post_form(path, {"kind": "like"}, form_page="/feed/")
    page = bob_browser.client.get("/feed/").get_data(as_text=True)
    assert 'aria-label="Like: 1"' in page
    assert bob_browser.post_form(path, {"kind": "angry"}, form_page="/feed/").status_code == 422
    assert len(db.scalars(select(Reaction)).all()) == 2
    # Ada is told once about Bob (whatever he clicks), never about her own reaction.
    told = db.scalars(select(Notification).where(Notification.kind == "reaction")).all()
    assert [(n.user_id, n.link) for n in told] == [
        (ada_user.id, f"/feed/posts/{post.id}#reactions-from-{bob_user.id}")
    ]


def test_a_reaction_from_the_feed_returns_to_the_feed_page(db, ada):
    user, browser = ada
    post = add_post(db, user)
    response = browser.post_form(
        f"/feed/posts/{post.id}/reactions", {"kind": "like", "next": "/feed/?page=1"}, "/feed/"
    )
    assert response.headers["Location"] == "/feed/?page=1"
    response = browser.post_form(
        f"/feed/posts/{post.id}/reactions", {"kind": "like", "next": "//evil.example"}, "/feed/"
    )
    assert response.headers["Location"] == f"/feed/posts/{post.id}"


def test_the_feed_shows_pinned_posts_first_then_newest_twenty_a_page(db, ada):
    user, browser = ada
    for number in range(45):
        add_post(db, user, f"Post number {number:02d}", "text")
    add_post(db, user, "The pinned one", "read me", pinned=True)
    first = browser.client.get("/feed/").get_data(as_text=True)
    assert first.index("The pinned one") < first.index("Post number 44")
    assert "Post number 26" in first and "Post number 25" not in first
    assert "Page 1 of 3" in first and 'href="/feed/?page=2"' in first
    third = browser.client.get("/feed/?page=3").get_data(as_text=True)
    assert "Post number 00" in third and "Post number 05" in third
    assert "Post number 06" not in third
    assert browser.client.get("/feed/?page=99").status_code == 200


def _statements_for(app, browser, path: str) -> int:
    engine = app.extensions["db_engine"]
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert browser.client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_feed_page_costs_the_same_queries_with_5_or_2000_posts(app, db, ada, bob):
    ada_user, ada_browser = ada
    bob_user, _ = bob

    def fill(count: int) -> None:
        posts = [
            Post(
                tenant_id=ada_user.tenant_id,
                author_id=(ada_user if n % 2 else bob_user).id,
                title=f"Post {n}",
                body_markdown="hi",
                body_html="<p>hi</p>",
                created_at=utc_now(),
            )
            for n in range(count)
        ]
        db.add_all(posts)
        db.flush()
        db.add_all(
            Reaction(tenant_id=ada_user.tenant_id, post_id=p.id, user_id=u.id, kind="like")
            for p in posts
            for u in (ada_user, bob_user)
        )
        db.commit()

    fill(5)
    ada_browser.client.get("/feed/")  # warm up: first-request work is not the feed's
    few = _statements_for(app, ada_browser, "/feed/")
    fill(1995)
    many = _statements_for(app, ada_browser, "/feed/")
    later_page = _statements_for(app, ada_browser, "/feed/?page=50")
    assert few == many == later_page
    assert many <= 12


def test_hidden_comment_and_post_show_a_notice_to_students(db, ada, bob):
    ada_user, _ = ada
    _, bob_browser = bob
    post = add_post(db, ada_user, "Visible title", "secret words", hidden_at=utc_now())
    add_comment(db, ada_user, post, "rude words", hidden_at=utc_now())
    page = bob_browser.client.get(f"/feed/posts/{post.id}").get_data(as_text=True)
    assert "This post was hidden by the moderators." in page
    assert "This comment was hidden by the moderators." in page
    assert "secret words" not in page and "rude words" not in page
    feed = bob_browser.client.get("/feed/").get_data(as_text=True)
    assert "secret words" not in feed and "Visible title" not in feed


def test_an_author_deletes_their_own_post_and_comment_only(db, ada, bob):
    ada_user, ada_browser = ada
    bob_user, bob_browser = bob
    post = add_post(db, ada_user, "Mine", "my words")
    comment = add_comment(db, bob_user, post, "his words")
    page = f"/feed/posts/{post.id}"
    assert bob_browser.post_form(f"/feed/posts/{post.id}/delete", {}, page).status_code == 403
    assert ada_browser.post_form(f"/feed/comments/{comment.id}/delete", {}, page).status_code == 403
    assert ada_browser.post_form(f"/feed/posts/{post.id}/delete", {}, page).status_code == 302
    assert bob_browser.post_form(f"/feed/comments/{comment.id}/delete", {}, page).status_code == 302
    text = bob_browser.client.get(page).get_data(as_text=True)
    assert "This post was deleted by its author." in text
    assert "This comment was deleted by its author." in text
    assert "my words" not in text and "his words" not in text


def test_the_nav_links_to_the_holo_net(ada):
    _, browser = ada
    assert 'href="/feed/">Holo-Net</a>' in browser.client.get("/").get_data(as_text=True)
