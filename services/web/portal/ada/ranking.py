"""BM25 over a fixed list of documents, in pure Python: the offline engine's retrieval.

Okapi BM25 (k1 = 1.5, b = 0.75, the non-negative idf of Lucene) scores each document for
the query's terms. A document may also carry title terms (its step's title, its heading):
a query term found there adds `TITLE_BOOST` times its idf, so a passage of the step
*about* a subject outranks one that merely mentions it. Ties keep the documents' order,
so the same query always gives the same ranking.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from portal.ada.words import terms

K1 = 1.5
B = 0.75
TITLE_BOOST = 1.0


@dataclass(frozen=True)
class Scored:
    """A document's position in the index and its score for one query."""

    index: int
    score: float


class Bm25Index:
    """An immutable index of `(body, title)` texts, built once and queried many times."""

    def __init__(self, documents: Sequence[tuple[str, str]]) -> None:
        self._bodies = [Counter(terms(body)) for body, _title in documents]
        self._titles = [frozenset(terms(title)) for _body, title in documents]
        self._lengths = [sum(counts.values()) for counts in self._bodies]
        count = len(documents)
        self._average_length = (sum(self._lengths) / count) if count else 0.0
        frequency: Counter[str] = Counter()
        for counts, title in zip(self._bodies, self._titles, strict=True):
            frequency.update(set(counts) | title)
        self._idf = {
            term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in frequency.items()
        }

    def __len__(self) -> int:
        return len(self._bodies)

    def search(self, query: str, limit: int = 10) -> list[Scored]:
        """The best documents for `query`, best first; documents scoring 0 are left out."""
        query_terms = list(dict.fromkeys(terms(query)))  # each term once, in order
        scored = []
        for index in range(len(self._bodies)):
            score = self._score(index, query_terms)
            if score > 0:
                scored.append(Scored(index, score))
        scored.sort(key=lambda hit: (-hit.score, hit.index))
        return scored[:limit]

    def _score(self, index: int, query_terms: list[str]) -> float:
        counts, title = self._bodies[index], self._titles[index]
        length_ratio = self._lengths[index] / self._average_length if self._average_length else 0
        score = 0.0
        for term in query_terms:
            idf = self._idf.get(term)
            if idf is None:
                continue
            frequency = counts.get(term, 0)
            if frequency:
                score += idf * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length_ratio))
            if term in title:
                score += TITLE_BOOST * idf
        return score
