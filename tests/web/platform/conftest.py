"""Fixtures of the tenant isolation tests: two schools holding the same kinds of data."""

from __future__ import annotations

import pytest

from tests.web.two_schools import B_MARKER, SchoolData, fill_school


@pytest.fixture
def school_b(db, make_user) -> SchoolData:
    # School B first, so its ids are not also school A's ids by coincidence.
    return fill_school(db, make_user, "school-b", B_MARKER)


@pytest.fixture
def school_a(db, make_user, school_b) -> SchoolData:
    return fill_school(db, make_user, "school-a", "SCHOOL-A")
