"""The real platform for a real browser: a gunicorn server on a free port with a fresh
SQLite database, the web-worker and two grader workers (Docker): the Node one on `grading`
and the Python one on `grading-python`, each with its sandbox image, as the portal's
default GRADER_QUEUES names them. And Debian's Chromium driven by Playwright.

Playwright's own browser download cannot work here, so the tests launch the browser of
Debian's `chromium` package. Without it they skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE_URL = "/static/vendor/axe-core/axe.min.js"
START_TIMEOUT_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the web server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out: not up yet
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_SECONDS} s")


@pytest.fixture
def platform_url(
    tmp_path: Path, redis_url: str, sandbox_image: str, python_sandbox_image: str
) -> Iterator[str]:
    """The base URL of the whole platform, started for one test and stopped after it."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "e2e-secret-key",
        "SANDBOX_IMAGE": sandbox_image,
    }
    if "DOCKER_HOST" in os.environ:
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    flask = [str(BIN / "flask"), "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = {
        "web": [
            str(BIN / "gunicorn"),
            "-c",  # gthread workers, as every deployment runs them (the lab page's stream)
            str(REPO / "services" / "web" / "gunicorn.conf.py"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "portal.wsgi:app",
        ],
        "web-worker": [*flask, "results-worker"],
        "grader": [str(BIN / "grader"), "worker", "--name", f"e2e-{os.getpid()}"],
        "python-grader": [str(BIN / "grader"), "worker", "--name", f"e2e-py-{os.getpid()}"],
    }
    # Each grader its own metrics port (two on the default one: the second says it is busy).
    own_env = {
        "grader": {"GRADER_METRICS_PORT": str(_free_port())},
        "python-grader": {
            "GRADER_ADAPTER": "python",
            "GRADER_QUEUE": "grading-python",
            "SANDBOX_IMAGE": python_sandbox_image,
            "GRADER_METRICS_PORT": str(_free_port()),
        },
    }
    processes: list[subprocess.Popen] = []
    log_files = []
    try:
        for name, command in commands.items():
            log = (logs / f"{name}.log").open("wb")
            log_files.append(log)
            processes.append(
                subprocess.Popen(
                    command,
                    env={**env, **own_env.get(name, {})},
                    cwd=tmp_path,
                    stdout=log,
                    stderr=log,
                )
            )
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url + "/", processes[0])
        yield url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in log_files:
            log.close()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched headless through Playwright."""
    require(Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def serious_accessibility_violations(page) -> list[dict]:
    """Run the vendored axe-core on the page; its serious and critical violations."""
    # Loaded by URL like any script of the site, so the page's own CSP allows it (pasted
    # inline it would be refused, and bypassing the CSP would hide the pages' violations).
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(" "))}))"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# Reports every Content-Security-Policy violation of every page to the test, from before
# the page's first script runs (init scripts and bindings are not subject to the CSP).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const editor = (element) => !!(element && element.closest(".CodeMirror-code"));
  window.reportCspViolation({
    page: location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
    element: target ? target.outerHTML.slice(0, 200) : "",
    // Text inserted into the code editor (a contenteditable) by the browser's own editing
    // engine, which may wrap it in a style attribute; see watch_csp_violations.
    typed_into_editor: editor(target) || (!!target && !target.isConnected
                                          && editor(document.activeElement)),
  });
}, true);
"""


def watch_csp_violations(context, violations: list | None = None) -> list:
    """A list (`violations`, or a new one) that fills with the CSP violations of every
    page `context` opens.

    One exception, and only that one: when text is typed or inserted into the code editor
    (CodeMirror's contenteditable), Chromium's editing engine itself may carry the old
    text's colour over as a `style` attribute on the new text. The CSP refuses it (as it
    should), CodeMirror redraws the line from its own model a moment later, and no markup
    or script of the site is involved, so such a `style-src-attr` refusal is not counted.
    """
    violations = [] if violations is None else violations

    def report(_source, seen: dict) -> None:
        if seen.pop("typed_into_editor") and seen["directive"] == "style-src-attr":
            return
        violations.append(seen)

    context.expose_binding("reportCspViolation", report)
    context.add_init_script(CSP_REPORTER)
    return violations
