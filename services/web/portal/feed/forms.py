"""The Holo-Net's forms. Lengths are checked by the services (one set of messages).

Text boxes say how many rows they start with: without it a browser shows two.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.feed.moderation import REASON_MAX
from portal.feed.posting import BODY_MAX, COMMENT_MAX, NOTE_MAX, TITLE_MAX

POST_ROWS, COMMENT_ROWS, NOTE_ROWS = 12, 6, 4


class PostForm(FlaskForm):
    """A new post: a title and a Markdown body."""

    title = StringField("Title", description=f"1 to {TITLE_MAX} characters.")
    body = TextAreaField(
        "Your post (Markdown)",
        description=f"1 to {BODY_MAX} characters. Links work; images and HTML are not shown.",
        render_kw={"rows": POST_ROWS},
    )


class CommentForm(FlaskForm):
    """A comment, or a reply when `parent_id` names a comment."""

    body = TextAreaField(
        "Your comment (Markdown)",
        description=f"1 to {COMMENT_MAX} characters.",
        render_kw={"rows": COMMENT_ROWS},
    )
    parent_id = HiddenField(validators=[Optional()])


class FlagForm(FlaskForm):
    """A flag: an optional reason for the moderators."""

    reason = TextAreaField("Why? (optional)", description=f"At most {REASON_MAX} characters.")


class ReactionForm(FlaskForm):
    """One reaction button: its kind, and the page to come back to."""

    kind = HiddenField()
    next = HiddenField()


class ShareForm(FlaskForm):
    """Sharing an unlocked achievement, with an optional note."""

    achievement = HiddenField()
    note = TextAreaField(
        "A note (optional)",
        description=f"At most {NOTE_MAX} characters.",
        render_kw={"rows": NOTE_ROWS},
    )


class ModerationForm(FlaskForm):
    """A moderator's decision on a flagged item (`days` only for a suspension)."""

    action = HiddenField()
    days = IntegerField("Days", validators=[Optional()])
