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
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(\"'])")
# A full stop that does not end a sentence.
ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf)\.|\b[A-Z]\.)$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")


def plain_text(markdown: str) -> str:
    """The Markdown's words without its markup: no code fences, tables, emphasis or links.

    Inline code keeps its backticks (the answer is rendered as Markdown, so it shows as
    code); each list item becomes a sentence of its own.
    """
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"^\s*\|.*\|\s*$", " ", text, flags=re.MULTILINE)  # table rows
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = text.replace("**", "").replace("__", "")
    lines = []
    for line in text.split("\n"):
        if LIST_ITEM.match(line):
            item = LIST_ITEM.sub("", line).strip()
            lines.append(f"\n{_capitalised(item)}" if item else "")
        else:
            lines.append(line)
    items = [re.sub(r"\s+", " ", part).strip() for part in "\n".join(lines).split("\n\n")]
    return " ".join(_ended(part) if part != items[-1] else part for part in items if part)


def sentences(text: str) -> list[str]:
    """The text cut into whole sentences (abbreviations such as "e.g." do not end one)."""
    whole: list[str] = []
    for part in (part.strip() for part in SENTENCE_END.split(text)):
        if not part:
            continue
        if whole and ABBREVIATION.search(whole[-1]):
            whole[-1] = f"{whole[-1]} {part}"
        else:
            whole.append(part)
    return whole


def best_excerpt(markdown: str, question: str, max_sentences: int = MAX_SENTENCES) -> str:
    """The passage's sentences that best match `question`, whole and in their order.

    The best one is always quoted whole; a further one only when the quote stays under
    MAX_CHARACTERS. A sentence is never cut: a quote ends where a sentence ends.
    """
    parts = sentences(plain_text(markdown))
    if not parts:
        return ""
    wanted = set(terms(question))
    overlap = [len(wanted & set(terms(part))) for part in parts]
    ranked = sorted(range(len(parts)), key=lambda i: (-overlap[i], i))
    chosen = [ranked[0]]
    length = len(parts[ranked[0]])
    for i in ranked[1:max_sentences]:
        if overlap[i] and length + 1 + len(parts[i]) <= MAX_CHARACTERS:
            chosen.append(i)
            length += 1 + len(parts[i])
    return " ".join(_ended(parts[i]) for i in sorted(chosen))


def _ended(sentence: str) -> str:
    """The sentence with a full stop where it ended on a colon (what followed is not quoted)
    or on nothing (a list item)."""
    sentence = sentence.rstrip()
    if sentence.endswith(":"):
        return sentence[:-1].rstrip() + "."
    return sentence if sentence.endswith((".", "!", "?", "…")) else f"{sentence}."


def _capitalised(item: str) -> str:
    return item[0].upper() + item[1:] if item[:1].islower() else item
