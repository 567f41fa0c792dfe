"""Security headers, session cookie attributes, the proxy setting, and CSP-ready templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

import contract
from portal.jobs import record_result
from portal.models import LoginAttempt

TEMPLATES = Path(__file__).resolve().parents[3] / "services" / "web" / "portal" / "templates"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
EVERYWHERE = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response, csp: str = POLICY) -> None:
    for name, value in {**EVERYWHERE, "Content-Security-Policy": csp}.items():
        assert response.headers.get(name) == value, name
    permissions = response.headers["Permissions-Policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions
    assert "geolocation=()" in permissions


@pytest.mark.parametrize(
    "path, accept, status, mimetype",
    [
        ("/", "text/html", 200, "text/html"),
        ("/auth/login", "text/html", 200, "text/html"),
        ("/courses/node-workers/steps/event-loop", "text/html", 200, "text/html"),
        ("/no-such-page", "text/html", 404, "text/html"),
        ("/no-such-page", "application/json", 404, "application/json"),
        ("/submissions/1/status", "application/json", 401, "application/json"),
        ("/static/portal.css", "text/css", 200, "text/css"),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    client, path, accept, status, mimetype
):
    response = client.get(path, headers={"Accept": accept})
    response.close()  # a static file's response holds the file open until closed
    assert response.status_code == status
    assert response.mimetype == mimetype
    assert_security_headers(response)
    # Plain http in development: telling browsers "https only" would lock localhost out.
    assert "Strict-Transport-Security" not in response.headers


def test_a_refused_form_and_a_wrong_method_carry_them_too(client):
    assert_security_headers(client.post("/auth/login", data={}))  # no CSRF token: 400
    assert_security_headers(client.put("/auth/login"))  # 405


def test_production_adds_strict_transport_security(make_app):
    response = make_app(PORTAL_ENV="production").test_client().get("/")
    assert_security_headers(response)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.fixture
def chart_url(app, submission, student, make_grade_result) -> str:
    chart = contract.Chart(
        "Speedup", "x", (contract.ChartBar("Measured speedup", 1.7, "1.7x", "measured"),)
    )
    result = make_grade_result(str(submission.id), str(student.tenant_id), charts=(chart,))
    with app.app_context():
        record_result(contract.encode(result))
    return f"/submissions/{submission.id}/chart.svg"


def test_a_view_with_a_stricter_policy_keeps_it(student_browser, chart_url):
    response = student_browser.client.get(chart_url)
    assert response.status_code == 200
    assert_security_headers(response, csp="default-src 'none'")


# --- the session cookie ------------------------------------------------------------------


def session_cookie_of_login(app, make_user, make_browser) -> set[str]:
    """The attributes of the session cookie a successful login sets, lower-cased."""
    make_user("ada@example.org", "correct horse battery")
    response = make_browser(app).log_in("ada@example.org", "correct horse battery")
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    return {part.strip().lower() for part in cookies[0].split(";")}


def test_the_session_cookie_is_httponly_and_lax_in_development(app, make_user, make_browser):
    attributes = session_cookie_of_login(app, make_user, make_browser)
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # development runs on plain http


def test_the_session_cookie_is_also_secure_in_production(make_app, make_user, make_browser):
    attributes = session_cookie_of_login(make_app(PORTAL_ENV="production"), make_user, make_browser)
    assert {"httponly", "samesite=lax", "secure"} <= attributes


# --- behind a reverse proxy --------------------------------------------------------------

# Over https Flask-WTF also wants a same-origin Referer; browsers send at least the origin.
FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "Referer": "https://localhost/",
}


def seen_through(app, make_browser, tmp_path: Path) -> tuple[str, str]:
    """The address a failed login records and the start of a mailed reset link."""
    browser = make_browser(app)
    data = {"email": "ada@example.org", "password": "wrong", "csrf_token": browser.csrf_token()}
    response = browser.client.post("/auth/login", data=data, headers=FORWARDED)
    assert response.status_code == 401
    data = {"email": "ada@example.org", "csrf_token": browser.csrf_token("/auth/forgot")}
    assert browser.client.post("/auth/forgot", data=data, headers=FORWARDED).status_code == 200
    with app.app_context():
        session = app.extensions["db_sessionmaker"]()
        address = session.scalars(select(LoginAttempt.remote_addr)).one()
        session.close()
    (mail,) = (tmp_path / "outbox").glob("*.eml")
    link = re.search(r"(\S+)/auth/reset\?token=", mail.read_text()).group(1)
    return address, link


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(
    make_app, make_browser, student, tmp_path
):
    address, link = seen_through(make_app(), make_browser, tmp_path)
    assert address == "127.0.0.1" and link == "http://localhost"


def test_a_trusted_proxy_gives_the_client_address_and_https(
    make_app, make_browser, student, tmp_path
):
    app = make_app(TRUSTED_PROXY_COUNT=1)
    address, link = seen_through(app, make_browser, tmp_path)
    assert address == "203.0.113.7" and link == "https://localhost"


# --- templates the policy can live with -------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_holds_inline_script_style_or_handlers(template: Path):
    text = JINJA_COMMENT.sub("", template.read_text(encoding="utf-8"))
    for name, pattern in [
        ("inline <script>", INLINE_SCRIPT),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
        ("on...= handler", HANDLER_ATTRIBUTE),
        ("javascript: URL", JAVASCRIPT_URL),
    ]:
        assert not pattern.search(text), f"{name} in {template.name}: the CSP would refuse it"


def test_htmx_is_told_not_to_inject_its_indicator_style(client):
    page = client.get("/").get_data(as_text=True)
    assert '<meta name="htmx-config"' in page and '"includeIndicatorStyles":false' in page
