"""Helpers for the Holo-Net tests: posts written straight into the database, logins."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from portal.models import Comment, Post, Role, User, utc_now
from portal.rendering import render_user_markdown
from tests.web.conftest import PASSWORD, Browser


def add_post(db: Session, author: User | None, title: str = "Hello", body: str = "Hi", **fields):
    """A post as the feed would store it, committed."""
    post = Post(
        tenant_id=author.tenant_id if author else fields.pop("tenant_id"),
        author_id=author.id if author else None,
        title=title,
        body_markdown=body,
        body_html=render_user_markdown(body),
        **fields,
    )
    db.add(post)
    db.commit()
    return post


def add_comment(db: Session, author: User, post: Post, body: str = "A comment", **fields):
    """A comment as the feed would store it, committed."""
    comment = Comment(
        tenant_id=author.tenant_id,
        post_id=post.id,
        author_id=author.id,
        body_markdown=body,
        body_html=render_user_markdown(body),
        **fields,
    )
    db.add(comment)
    post.comment_count += 1
    db.commit()
    return comment


def member(make_user, make_browser, app: Flask, name: str, role: Role = Role.STUDENT, old=True):
    """A logged-in member; `old` accounts are past the new-account limits."""
    email = f"{name.lower().replace(' ', '.')}@example.org"
    user = make_user(email, PASSWORD, name, role=role)
    if old:
        user.created_at = utc_now() - timedelta(days=30)
        Session.object_session(user).commit()
    browser = make_browser(app)
    assert browser.log_in(email, PASSWORD).status_code == 302
    return user, browser


def age(db: Session, user: User, days: int) -> None:
    """Make `user`'s account `days` old."""
    db.get(User, user.id).created_at = utc_now() - timedelta(days=days)
    db.commit()


def write_post(browser: Browser, title: str, body: str):
    return browser.post_form("/feed/new", {"title": title, "body": body})
