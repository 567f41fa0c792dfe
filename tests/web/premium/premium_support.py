"""Counting rows across schools, for the premium tests that check nothing was written.

The premium tests' fixtures (a school admin, a second school) are in conftest.py here.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def count(db: Session, model) -> int:
    """How many rows `model` has, across every school."""
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))
