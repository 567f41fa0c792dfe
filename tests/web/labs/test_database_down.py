"""The database down while a result is recorded: the record job is retried, recorded once.

Real processes: a real `flask --app portal results-worker` reaches PostgreSQL through a TCP
proxy this test owns (PORTAL_DATABASE_URL), so the database can go away for that worker
alone: the proxy is cut (connections refused, live ones closed) and a grader's result is
published meanwhile. The record job must fail and be retried, not lost; once the proxy is
restored the result must be recorded exactly once, EXP and achievements awarded once, and
the web-worker must be the same running process. PostgreSQL only: an unreachable server is
the fault; a locked SQLite file is another one.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import make_url

import contract
from grader.publish import RECORD_RETRY_INTERVALS, publish_result
from portal.models import Submission
from tests.conftest import require
from tests.fault_proxies import FaultProxy
from tests.web.conftest import PASSWORD, TEST_DATABASE_URL, grade_result
from tests.web.labs.rewards_support import assert_rewarded_once
from tests.web.labs.test_abandoned_jobs import wait_for

FLASK = str(Path(sys.executable).parent / "flask")
ROOT = Path(__file__).resolve().parents[3]
# Longer than the first retry interval: the record job fails again while the database is
# still away, and is retried after that too.
DATABASE_AWAY_SECONDS = RECORD_RETRY_INTERVALS[0] + 7
# A bound on a hang, not a speed target: the next retry after the database returns.
RECORDED_WITHIN_SECONDS = sum(RECORD_RETRY_INTERVALS[:3]) + 30

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def postgresql_server():
    """Before any database fixture: skip (locally) or fail (CI) without PostgreSQL."""
    require(bool(TEST_DATABASE_URL), "no PostgreSQL: TEST_DATABASE_URL is not set")


@pytest.fixture
def database_proxy(database_url):
    """A TCP proxy in front of the test database's server; cut and restored by the test."""
    url = make_url(database_url)
    proxy = FaultProxy(("127.0.0.1", 0), (url.host, url.port or 5432)).start()
    yield proxy
    proxy.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_result_recorded_while_the_database_is_down_is_recorded_once_after(
    app, db, browser, database_url, database_proxy, redis_url, tmp_path
):
    assert browser.register("ines@example.org", "Ines", PASSWORD).status_code == 302
    assert browser.log_in("ines@example.org", PASSWORD).status_code == 302
    location = browser.submit_code("// graded by hand below").headers["Location"]
    submission = db.get(Submission, int(location.rsplit("=", 1)[1]))
    host, port = database_proxy.listen_address
    env = {
        "PATH": "/usr/bin:/bin",
        "REDIS_URL": redis_url,
        "PORTAL_DATABASE_URL": make_url(database_url)
        .set(host=host, port=port)
        .render_as_string(hide_password=False),
    }
    log_path = tmp_path / "web-worker.log"
    with log_path.open("w") as output:
        worker = subprocess.Popen(
            [FLASK, "--app", "portal", "results-worker"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    connection = Redis.from_url(redis_url)
    job_id = contract.result_job_id(str(submission.id))

    def job() -> Job:
        return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)

    try:
        wait_for("the web-worker listening", 60, lambda: connection.scard("rq:workers") == 1)
        database_proxy.cut()
        result = grade_result(str(submission.id), str(submission.tenant_id))
        publish_result(connection, result, contract.GRADE_RESULT_VERSION)  # as a grader does

        # It fails on the database and waits for its retry; it fails again while the
        # database stays away, and waits again.
        wait_for("the first retry", 60, lambda: job().get_status() == JobStatus.SCHEDULED)
        wait_for(
            "a second try",
            DATABASE_AWAY_SECONDS,
            lambda: job().retries_left < len(RECORD_RETRY_INTERVALS) - 1,
        )
        db.expire_all()
        assert not db.get(Submission, submission.id).is_final
        assert worker.poll() is None, "the web-worker died with the database"

        database_proxy.restore()
        restored_at = time.monotonic()
        wait_for(
            "the result recorded",
            RECORDED_WITHIN_SECONDS,
            lambda: job().get_status() == JobStatus.FINISHED,
        )
        recorded_after = time.monotonic() - restored_at
        assert worker.poll() is None, "the web-worker stopped"
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)

    print(f"recorded {recorded_after:.1f} s after the database returned")
    assert job().return_value() == {"submission_id": str(submission.id), "recorded": True}
    log = log_path.read_text()
    assert log.count("result recorded") == 1, log  # one try got through: the one that counted
    db.expire_all()
    recorded = db.get(Submission, submission.id)
    assert recorded.is_final and recorded.verdict == "passed" and recorded.gradable
    assert_rewarded_once(db, submission.user_id)
