"""Reading the Holo-Net: a page of the feed and a post's thread, in constant queries.

A feed page costs the same number of SQL statements whatever the number of posts: one
count, one select of the page's posts with their authors joined, one grouped count of
their reactions and one select of the reader's own reactions. Nothing is loaded per
post, and the HTML was rendered when the text was written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Comment, Post, Reaction, School, User
from portal.paging import Page, paginate

PER_PAGE = 20
COURSE_TEAM = "Course team"
SUMMARY_MAX = 240  # characters of a pinned post's summary on the feed
_summary_markdown = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class ShownPost:
    """A post with what its card shows: author, reactions and whether I reacted."""

    post: Post
    author_name: str
    reactions: dict[str, int]
    mine: frozenset[str]

    @property
    def summary(self) -> str:
        """Plain text of the post's first paragraph, cut at a word: a pinned post's card
        shows it above a "Read more" that holds the whole post."""
        return summary_of(self.post.body_markdown)


def summary_of(markdown: str, limit: int = SUMMARY_MAX) -> str:
    """The first paragraph of `markdown` as plain text (its words, no markup), at most
    `limit` characters, ending in "…" when cut."""
    tokens = _summary_markdown.parse(markdown or "")
    inline = next(
        (
            token
            for before, token in zip(tokens, tokens[1:], strict=False)
            if token.type == "inline" and before.type == "paragraph_open"
        ),
        next((token for token in tokens if token.type == "inline"), None),
    )
    if inline is None:
        return ""
    words = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
    text = " ".join("".join(words).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(".,;:") + "…"


@dataclass(frozen=True)
class ShownComment:
    """A comment with its author's name and its replies (one level deep)."""

    comment: Comment
    author_name: str
    replies: list[ShownComment] = field(default_factory=list)


def _author_name(post_or_comment: Post | Comment, author: User | None) -> str:
    if author is not None:
        return author.display_name
    is_guide = isinstance(post_or_comment, Post) and post_or_comment.kind == "guide"
    return COURSE_TEAM if is_guide or post_or_comment.author_id is None else "A former member"


def feed_page(session: Session, school: School, reader: User, number: int) -> Page:
    """Page `number` of the feed: pinned posts first, then newest; rows are ShownPosts."""
    posts_of_school = select(Post).where(Post.tenant_id == school.id)
    statement = (
        posts_of_school.add_columns(User)
        .outerjoin(User, User.id == Post.author_id)
        .order_by(Post.pinned.desc(), Post.created_at.desc(), Post.id.desc())
    )
    found = paginate(
        session, statement, number, per_page=PER_PAGE, whole_rows=True, counted=posts_of_school
    )
    posts = [post for post, _ in found.rows]
    counts, mine = reactions_of(session, reader, [post.id for post in posts])
    rows = [
        ShownPost(
            post,
            _author_name(post, author),
            counts.get(post.id, {}),
            mine.get(post.id, frozenset()),
        )
        for post, author in found.rows
    ]
    return Page(rows, found.number, found.total, found.per_page)


def reactions_of(
    session: Session, reader: User, post_ids: list[int]
) -> tuple[dict[int, dict[str, int]], dict[int, frozenset[str]]]:
    """Reaction counts per post and kind, and the reader's own kinds: two queries."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    mine: dict[int, set[str]] = defaultdict(set)
    if not post_ids:
        return {}, {}
    grouped = session.execute(
        select(Reaction.post_id, Reaction.kind, func.count())
        .where(Reaction.post_id.in_(post_ids))
        .group_by(Reaction.post_id, Reaction.kind)
    )
    for post_id, kind, count in grouped:
        counts[post_id][kind] = count
    own = session.execute(
        select(Reaction.post_id, Reaction.kind).where(
            Reaction.post_id.in_(post_ids), Reaction.user_id == reader.id
        )
    )
    for post_id, kind in own:
        mine[post_id].add(kind)
    return dict(counts), {post_id: frozenset(kinds) for post_id, kinds in mine.items()}


def shown_post(session: Session, reader: User, post: Post) -> ShownPost:
    """One post with its author and reactions, for its own page."""
    author = session.get(User, post.author_id) if post.author_id is not None else None
    counts, mine = reactions_of(session, reader, [post.id])
    return ShownPost(
        post, _author_name(post, author), counts.get(post.id, {}), mine.get(post.id, frozenset())
    )


def thread_of(session: Session, post: Post) -> list[ShownComment]:
    """The post's comments, oldest first, each with its replies under it."""
    rows = session.execute(
        select(Comment, User)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.post_id == post.id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    top: list[ShownComment] = []
    by_id: dict[int, ShownComment] = {}
    for comment, author in rows:
        shown = ShownComment(comment, _author_name(comment, author))
        by_id[comment.id] = shown
        parent = by_id.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is not None:
            parent.replies.append(shown)
        else:
            top.append(shown)
    return top
