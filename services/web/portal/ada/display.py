"""How a stored answer is laid out on the page: paragraphs and bullet lists of plain text.

Answers are stored as plain text (the offline engine's paragraphs, or whatever the
school's endpoint said); the page shows them as text, escaped, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerBlock:
    """A paragraph (`lines` of one item) or a bullet list (`lines` are its items)."""

    kind: str  # "paragraph" or "list"
    lines: tuple[str, ...]


def answer_blocks(text: str) -> list[AnswerBlock]:
    """The answer's paragraphs; lines starting with "- " become a list after their lead-in."""
    blocks: list[AnswerBlock] = []
    for chunk in (part.strip() for part in text.replace("\r\n", "\n").split("\n\n")):
        if not chunk:
            continue
        lines = chunk.split("\n")
        lead = [line for line in lines if not line.startswith("- ")]
        items = [line[2:].strip() for line in lines if line.startswith("- ")]
        if lead:
            blocks.append(AnswerBlock("paragraph", (" ".join(lead),)))
        if items:
            blocks.append(AnswerBlock("list", tuple(items)))
    return blocks
