"""One page of a query's rows, and what the template needs to link the others.

A base module: the admin lists, the reports queue and the notifications inbox all page
the same way, so none of them owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """The rows of page `number` (from 1) and the total, for "page 2 of 7" links."""

    rows: list[Any]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(
    session: Session,
    query: Select,
    number: int,
    per_page: int = PER_PAGE,
    whole_rows: bool = False,
    counted: Select | None = None,
) -> Page:
    """Page `number` of `query` (clamped to 1..last), counted on the same filters.

    Rows are the first entity of each result, or tuples of all when `whole_rows`.
    `counted` is a cheaper statement matching the same rows, when there is one (the
    query without an outer join that only decorates its rows).
    """
    # Count the matching rows without reading their columns: the cost of a page must
    # not grow with the school's size more than this one count does.
    matching = (counted if counted is not None else query).order_by(None)
    matching = matching.with_only_columns(literal(1), maintain_column_froms=True)
    total = session.scalar(select(func.count()).select_from(matching.subquery()))
    number = min(max(1, number), max(1, -(-(total or 0) // per_page)))
    limited = query.limit(per_page).offset((number - 1) * per_page)
    if whole_rows:
        rows: list[Any] = [tuple(row) for row in session.execute(limited)]
    else:
        rows = list(session.scalars(limited))
    return Page(rows, number, total or 0, per_page)
