"""The measured labs open in the portal like the Thread Lab: mission, starter code, editor.

They are premium labs: the student here has premium (an admin's grant), as a student
must to open them (tests/web/premium/test_premium_gating.py covers those without).
"""

import re

import pytest

from portal.premium.entitlements import grant_to_user


@pytest.mark.parametrize(
    ("lab_id", "starter"),
    [("unblock-the-loop", "async function solve"), ("spawn-vs-exec", "function countErrors")],
)
def test_a_measured_lab_opens_with_its_mission_and_starter_code(
    db, default_school, student, student_browser, lab_id, starter
):
    grant_to_user(db, default_school, None, student.email, None, "measured labs test")
    course = student_browser.client.get("/courses/node-workers").get_data(as_text=True)
    assert f'href="/courses/node-workers/labs/{lab_id}"' in course

    page = student_browser.client.get(f"/courses/node-workers/labs/{lab_id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert starter in html
    assert re.search(r"<textarea[^>]*class=\"code-editor\"", html)
