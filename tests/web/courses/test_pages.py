"""The course pages a student reads, and escaping of what users type."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD


def test_the_catalogue_and_course_page_list_the_thread_lab(browser):
    index = browser.client.get("/").get_data(as_text=True)
    assert "Advanced Node.js: Workers &amp; Child Processes" in index
    course = browser.client.get("/courses/node-workers").get_data(as_text=True)
    assert 'href="/courses/node-workers/labs/thread-lab"' in course
    assert browser.client.get("/courses/nope").status_code == 404


def test_the_lab_page_has_the_mission_editor_and_script(student_browser):
    page = student_browser.client.get("/courses/node-workers/labs/thread-lab").get_data(
        as_text=True
    )
    assert "Write a script that imports <code>worker_threads</code>" in page
    assert re.search(r"<textarea[^>]*class=\"code-editor\"", page)
    assert "require(&#39;node:worker_threads&#39;)" in page  # the starter, escaped
    assert '<script src="/static/lab-status.js" defer></script>' in page
    assert "<script>" not in page  # nothing inline: ready for a strict CSP


def test_a_display_name_with_markup_is_shown_as_text(browser):
    browser.register("eve@example.org", "<script>alert(1)</script>", PASSWORD)
    browser.log_in("eve@example.org", PASSWORD)
    page = browser.client.get("/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_the_status_script_is_served(client):
    response = client.get("/static/lab-status.js")
    assert response.status_code == 200
    assert b"textContent" in response.data
    response.close()
