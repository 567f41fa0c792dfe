"""Short quotes of a passage: its sentences that best match the question, as plain text.

A.D.A. quotes the course rather than rewriting it, so an answer never says more than the
content does; the quote is cut to the one or two sentences that share the most words
with the question, in their original order.
"""

from __future__ import annotations

import re

from portal.ada.words import terms

MAX_SENTENCES = 2
MAX_CHARACTERS = 320
SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z`*(\"'])")


def plain_text(markdown: str) -> str:
    """The Markdown's words without its markup: no code fences, tables, emphasis or links.

    Inline code keeps its backticks: "split it over `workers` workers" reads wrong
    without them.
    """
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"^\s*\|.*\|\s*$", " ", text, flags=re.MULTILINE)  # table rows
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", text, flags=re.MULTILINE)  # list markers
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = text.replace("**", "").replace("__", "")
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """The text cut into sentences (good enough for course prose)."""
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]


def best_excerpt(markdown: str, question: str) -> str:
    """The passage's sentences that best match `question`, in order, briefly."""
    parts = sentences(plain_text(markdown))
    if not parts:
        return ""
    wanted = set(terms(question))
    overlap = [len(wanted & set(terms(part))) for part in parts]
    ranked = sorted(range(len(parts)), key=lambda i: (-overlap[i], i))[:MAX_SENTENCES]
    chosen = [parts[i] for i in sorted(ranked) if overlap[i] or i == ranked[0]]
    excerpt = " ".join(chosen)
    if len(excerpt) > MAX_CHARACTERS:
        excerpt = excerpt[: MAX_CHARACTERS - 1].rsplit(" ", 1)[0] + "…"
    return excerpt
