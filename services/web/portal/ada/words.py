"""Words as the ranking compares them: lower-case, no stopwords, lightly stemmed.

A deliberately small, deterministic stemmer: it only has to make "workers", "worker" and
"blocked", "blocking", "block" meet, not to be linguistically right. Query and passages
go through the same function, so whatever it does, it does to both.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")

# English function words, and the verbs of asking ("use", "explain"), which say nothing
# about which part of the course a question is about.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each few
    for from further get got had has have having he her here hers him his how i if in into
    is it its itself just me more most my myself no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    s t d ll m re ve y let lets one
    use used using instead need want like happen happens please tell explain mean means
    """.split()
)


def stem(word: str) -> str:
    """Strip a common English suffix, keeping at least three letters of stem."""
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The text's searchable terms, in order (repeats kept: BM25 counts them)."""
    return [stem(word) for word in WORD.findall(text.lower()) if word not in STOPWORDS]


def has_content(text: str) -> bool:
    """Whether `text` has a word to look up (not only punctuation, spaces or stopwords)."""
    return bool(terms(text))
