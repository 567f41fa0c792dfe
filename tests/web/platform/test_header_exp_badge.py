"""The header's EXP badge is a student's: staff, who earn no EXP, have none (issue 14:
admins saw "0 EXP Lv 1"), and their pages do not read an EXP total for it."""

from __future__ import annotations

import pytest
from sqlalchemy import event

PAGES = ("/", "/feed/", "/notifications")


def _badge(page: str) -> bool:
    return 'class="exp-counter"' in page or 'id="exp-value"' in page


def test_a_student_has_the_badge(browsers):
    for path in PAGES:
        page = browsers["student"].client.get(path).get_data(as_text=True)
        assert _badge(page) and "Lv 1" in page, path


@pytest.mark.parametrize("role", ["instructor", "school_admin", "platform_admin"])
def test_staff_have_no_exp_badge(app, browsers, role):
    engine = app.extensions["db_engine"]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        pages = {path: browsers[role].client.get(path) for path in PAGES}
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    for path, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert not _badge(page) and "Lv 1" not in page, (role, path)
    assert not [s for s in statements if "exp_entries" in s and "sum(" in s.lower()]
