"""The Holo-Net: a school's feed of posts, their comments and reactions, and flags.

A post or comment keeps the Markdown its author wrote and the HTML it renders to, made
once when it is written (rendered, then sanitised), so showing a page of the feed is a
read, never a re-render. Moderation hides rather than deletes: a hidden item keeps its
text for the review queue and can be restored. Every moderation action is in the audit
log (`AuditEvent`, actions `moderation.*`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class Post(TenantOwned, Base):
    """A post: a student's or staff's text, a pinned guide, or a shared achievement."""

    __tablename__ = "posts"
    __table_args__ = (
        # The feed's order: pinned first, then newest first.
        Index(None, "tenant_id", "pinned", "created_at"),
        # The hourly posting limit counts an author's recent posts.
        Index(None, "author_id", "created_at"),
        CheckConstraint("kind IN ('post', 'guide', 'achievement')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty for posts the platform wrote (the course's guide in a new school).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="post")
    title: Mapped[str] = mapped_column(String(200), default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # For a shared achievement: which one (its text comes from the course content).
    achievement_id: Mapped[str | None] = mapped_column(String(100))
    pinned: Mapped[bool] = mapped_column(default=False)
    comment_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Comment(TenantOwned, Base):
    """A comment under a post; `parent_id` names the comment it replies to, if any."""

    __tablename__ = "comments"
    __table_args__ = (
        Index(None, "post_id", "created_at"),
        # The hourly comment limit counts an author's recent comments.
        Index(None, "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Reaction(TenantOwned, Base):
    """One user's reaction of one kind to a post (a second click takes it back)."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class Flag(TenantOwned, Base):
    """Someone's report that a post or a comment breaks the rules; staff review it."""

    __tablename__ = "flags"
    __table_args__ = (
        Index(None, "tenant_id", "resolved_at"),
        # One flag per member and item. Two partial unique indexes, because NULLs never
        # collide in a plain unique constraint over (reporter, post, comment).
        Index(
            None,
            "reporter_id",
            "post_id",
            unique=True,
            sqlite_where=text("comment_id IS NULL"),
            postgresql_where=text("comment_id IS NULL"),
        ),
        Index(
            None,
            "reporter_id",
            "comment_id",
            unique=True,
            sqlite_where=text("comment_id IS NOT NULL"),
            postgresql_where=text("comment_id IS NOT NULL"),
        ),
        # A flag is about exactly one thing: a post or a comment.
        CheckConstraint("(post_id IS NULL) <> (comment_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the reviewer did: "hidden", "kept" or "author_suspended".
    outcome: Mapped[str | None] = mapped_column(String(30))
