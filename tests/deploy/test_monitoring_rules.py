"""deploy/monitoring: the alert rules, Prometheus's configuration and the Grafana dashboard.

promtool (from Debian's `prometheus` package; `.ci/run` installs it) checks the rules and
runs their unit tests (alerts.test.yml), and checks the example configuration. Every
metric the rules and the dashboard name must be one that a real scrape of the web app and
of a real grader worker exports, and every alert is explained in deploy/README.md.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from portal import create_app
from tests.conftest import require

REPO_ROOT = Path(__file__).resolve().parents[2]
MONITORING = REPO_ROOT / "deploy" / "monitoring"
RULES = MONITORING / "alerts.yml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
OUR_METRIC = re.compile(r"\b(?:portal|grader)_[a-z0-9_]+\b")
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
}


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    require(path is not None, "promtool is missing: install Debian's prometheus (see .ci/run)")
    return path


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def test_the_alert_rules_are_valid(promtool):
    checked = run([promtool, "check", "rules", str(RULES)], MONITORING)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_when_it_should_and_not_before(promtool):
    tested = run([promtool, "test", "rules", "alerts.test.yml"], MONITORING)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    unit_tests = yaml.safe_load((MONITORING / "alerts.test.yml").read_text())["tests"]
    alerts_tested = {case["alertname"] for test in unit_tests for case in test["alert_rule_test"]}
    assert alerts_tested == {rule["alert"] for rule in rules()}


def test_the_example_configuration_is_valid(promtool, tmp_path):
    # A copy whose token file exists, so that promtool checks everything it refers to.
    token = tmp_path / "metrics_token"
    token.write_text("example-token\n")
    for name in ("alerts.yml", "prometheus.yml"):
        text = (MONITORING / name).read_text()
        (tmp_path / name).write_text(text.replace("/etc/prometheus/metrics_token", str(token)))
    checked = run([promtool, "check", "config", "prometheus.yml"], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 1 rule files found" in checked.stdout + checked.stderr


def test_the_dashboard_queries_are_promql(promtool, tmp_path):
    # promtool has no offline query parser; a recording rule per query is parsed instead.
    # Grafana fills in $__rate_interval; any range parses the same.
    recorded = [
        {
            "record": f"dashboard:query_{number}",
            "expr": expression.replace("$__rate_interval", "5m"),
        }
        for number, expression in enumerate(dashboard_expressions())
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recorded}]}))
    checked = run([promtool, "check", "rules", str(path)], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(recorded) >= 15


def exported_sample_names(text: str) -> set[str]:
    """Every sample name a scrape's families can have, observed yet or not."""
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in SAMPLE_SUFFIXES[family.type]
    }


@pytest.mark.docker
def test_rules_and_dashboard_name_only_metrics_we_export(graded_by_worker, redis_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            # /metrics needs no database: this one is never opened.
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": "monitoring-test",
            "CONTENT_DIR": str(REPO_ROOT / "content"),
        }
    )
    web = app.test_client().get("/metrics")
    assert web.status_code == 200
    grader_text, _ = graded_by_worker({"401": "crashes.js"})
    exported = exported_sample_names(web.get_data(as_text=True)) | exported_sample_names(
        grader_text
    )

    expressions = [rule["expr"] for rule in rules()] + dashboard_expressions()
    named = {name for expression in expressions for name in OUR_METRIC.findall(expression)}
    assert named - exported == set()
    # The families both sides export are all on show somewhere.
    assert {"portal_queue_jobs", "grader_jobs_total", "portal_http_requests_total"} <= named


def test_every_alert_is_explained_in_the_deploy_guide():
    guide = (REPO_ROOT / "deploy" / "README.md").read_text()
    section = guide.split("## Monitoring and alerts", 1)[1].split("\n## ", 1)[0]
    unexplained = [rule["alert"] for rule in rules() if f"`{rule['alert']}`" not in section]
    assert unexplained == []
