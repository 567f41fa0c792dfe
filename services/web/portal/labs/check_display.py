"""A graded submission's checks and A.D.A.'s feedback as a student reads them.

The grader names each check with an identifier (`imports_worker_threads`) and writes its
messages in Markdown (`worker_threads` in backticks); the lab's content gives each check its
title. Here both become safe HTML: titles are content (portal.catalogue.markdown); messages
and feedback come from a grader and may quote what the student's code printed, so they go
through the sanitiser for text nobody vetted (portal.rendering: raw HTML off, allow-list).
The portal knows no lab kind: a check without a title in the content (which the content
tests forbid for the shipped labs) falls back to its name in words. A grader's sentences may
name a check by its identifier ("fix `exports_solve` first"); the portal knows the lab's check
names from the content, so it puts each one's title in its place before showing the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from portal.catalogue.catalogue import Lab, check_title, with_check_titles
from portal.catalogue.markdown import render_markdown_inline
from portal.rendering import render_user_markdown


def shown_checks(checks: Iterable[Mapping[str, Any]], lab: Lab | None) -> list[dict[str, Any]]:
    """The stored checks with `title` (plain text) and `title_html`, `message_html`."""
    shown = []
    for check in checks:
        title = check_title(lab, str(check.get("name", "")))
        shown.append(
            {
                **check,
                "title": title,
                "title_html": render_markdown_inline(title),
                "message_html": inline_user_markdown(
                    with_check_titles(str(check.get("message", "")), lab)
                ),
            }
        )
    return shown


def inline_user_markdown(text: str) -> Markup:
    """A grader's one-paragraph message as safe HTML without its <p> (it sits in a line)."""
    html = render_user_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


def feedback_html(feedback: str, lab: Lab | None = None) -> Markup:
    """A.D.A.'s feedback, one paragraph a line, as safe HTML (check names as their titles)."""
    lines = [line for line in with_check_titles(feedback, lab).splitlines() if line.strip()]
    return Markup(render_user_markdown("\n\n".join(lines)))
