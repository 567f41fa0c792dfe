"""'Run before you submit': the Run action, its rate limit, its status and its recording.

A run goes on the lab's own grading queue as a RunRequest and comes back as a RunResult:
never a submission, never an attempt, no EXP and no achievement.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import contract
from portal import jobs
from portal.catalogue.catalogue import get_catalogue
from portal.labs import runs
from portal.labs.run_status import NOT_GRADED, OUTCOME_LABELS
from portal.labs.service import SubmissionRejected
from portal.models import AchievementAward, ExpEntry, LabRun, Submission, utc_now
from portal.premium.entitlements import grant_to_user
from tests.web.conftest import PASSWORD, log_in_as

THREAD_LAB = "/courses/node-workers/labs/thread-lab"
RUN = f"{THREAD_LAB}/run"
CODE = "console.log('hello from <b>my</b> run');\n"
JSON = {"Accept": "application/json"}


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def post_run(browser, code=CODE, path=RUN, headers=JSON, token=True):
    data = {"code": code}
    if token:
        data["csrf_token"] = browser.csrf_token(THREAD_LAB)
    return browser.client.post(path, data=data, headers=headers, content_type="multipart/form-data")


def run_result(run_id, tenant_id, lab_id="thread-lab", **changes) -> contract.RunResult:
    fields = dict(
        schema_version=contract.SCHEMA_VERSION,
        run_id=str(run_id),
        tenant_id=str(tenant_id),
        lab_id=lab_id,
        outcome="completed",
        message="Your program ended on its own, exit code 0.",
        output=contract.Output("hello from <b>my</b> run\n", False, 25),
        measurements={
            "wall_ms": {"label": "Wall time", "value": 81.0, "unit": "ms", "text": "81 ms"},
            "main_loop_delay_p99_ms": {
                "label": "Main thread's event-loop delay while workers ran (p99)",
                "value": 1.2,
                "unit": "ms",
                "text": "1.2 ms",
            },
        },
        times=contract.PhaseTimes("a", "b", "c", "d"),
    )
    fields.update(changes)
    return contract.RunResult(**fields)


def record(app, result) -> dict:
    with app.app_context():
        return jobs.record_run(contract.encode(result))


# --- the Run action ------------------------------------------------------------------


def test_a_run_is_committed_then_enqueued_on_the_labs_grading_queue(
    student_browser, student, grading_queue, db
):
    response = post_run(student_browser, CODE.replace("\n", "\r\n"))

    assert response.status_code == 202
    document = response.get_json()
    run = db.scalars(select(LabRun)).one()
    assert document["id"] == str(run.id) and document["status"] == "queued"
    assert document["status_url"] == f"/runs/{run.id}/status"
    assert document["not_graded"] == NOT_GRADED == "Not graded: no checks, no EXP, no attempt used."
    assert (run.user_id, run.lab_id, run.status) == (student.id, "thread-lab", "queued")

    (job,) = grading_queue.jobs  # the same queue, so the same grader workers run it
    assert job.id == contract.run_job_id(str(run.id)) and job.func_name == contract.RUN_JOB
    assert job.timeout == 5 + 120 and not job.retries_left
    request = contract.decode(contract.RunRequest, job.args[0])
    assert (request.run_id, request.tenant_id) == (str(run.id), str(student.tenant_id))
    assert (request.lab_id, request.lab_kind, request.entrypoint) == (
        "thread-lab",
        "thread-lab",
        "main.js",
    )
    assert request.files == (contract.SubmittedFile("main.js", CODE),)
    assert request.limits == contract.Limits(5.0, 256, 1.0, 64, 1048576)
    assert count(db, Submission) == 0  # never a submission, never an attempt


def test_without_the_script_the_form_comes_back_to_the_lab_page_with_the_run(
    student_browser, grading_queue, db
):
    response = post_run(student_browser, headers={})

    run = db.scalars(select(LabRun)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{THREAD_LAB}?run={run.id}#run")
    page = student_browser.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not graded: no checks, no EXP, no attempt used." in page
    assert f'data-run-status-url="/runs/{run.id}/status"' in page
    assert "Queued: waiting for a grader to run your code." in page
    assert "hello from &lt;b&gt;my&lt;/b&gt; run" in page  # the editor holds the code it ran
    assert run.code == CODE


def test_the_lab_page_has_a_run_button_beside_submit(student_browser):
    page = student_browser.client.get(THREAD_LAB).get_data(as_text=True)
    assert 'formaction="/courses/node-workers/labs/thread-lab/run"' in page
    assert ">Run</button>" in page and ">Submit</button>" in page
    assert "lab-run.js" in page
    assert '<section class="run-panel" id="run"' in page and "hidden" in page


def test_a_run_without_csrf_token_is_refused_and_nothing_is_stored(
    student_browser, grading_queue, db
):
    response = post_run(student_browser, token=False)
    assert response.status_code == 400
    assert count(db, LabRun) == 0 and grading_queue.count == 0


@pytest.mark.parametrize(
    ("code", "complaint"),
    [("   \n", "Your submission is empty."), ("x" * (64 * 1024 + 1), "larger than 64 KiB")],
)
def test_code_that_cannot_run_is_refused_with_its_reason(
    student_browser, grading_queue, db, code, complaint
):
    response = post_run(student_browser, code)
    assert response.status_code == 422 and complaint in response.get_json()["error"]
    assert count(db, LabRun) == 0 and grading_queue.count == 0


def test_a_second_run_while_one_is_in_flight_gets_429_with_the_wait(
    student_browser, grading_queue, db
):
    assert post_run(student_browser).status_code == 202
    response = post_run(student_browser)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == (
        "Your last run has not finished yet. You can run again in 5 seconds."
    )
    assert count(db, LabRun) == 1 and grading_queue.count == 1


def test_over_the_rate_the_page_says_when_to_run_again(app, student_browser, student, db):
    for seconds_ago in (50, 40, 30, 20, 10, 5):
        db.add(finished_run(student, utc_now() - timedelta(seconds=seconds_ago)))
    db.commit()

    response = post_run(student_browser, headers={})

    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 9 <= wait <= 11  # the run of 50 s ago leaves the minute's window in 10 s
    page = response.get_data(as_text=True)
    assert (
        f"You have used your 6 runs for this minute. You can run again in {wait} seconds." in page
    )
    assert "hello from &lt;b&gt;my&lt;/b&gt; run" in page  # the code stays in the editor
    assert count(db, LabRun) == 6


def test_a_premium_lab_runs_only_with_premium(
    app, pupil, pupil_browser, grading_queue, db, default_school
):
    lab = "/courses/node-workers/labs/unblock-the-loop"
    refused = post_run(pupil_browser, path=f"{lab}/run")
    assert refused.status_code == 403 and "needs premium" in refused.get_json()["error"]
    assert count(db, LabRun) == 0 and grading_queue.count == 0

    grant_to_user(db, default_school, None, pupil.email, None, "test")
    assert post_run(pupil_browser, path=f"{lab}/run").status_code == 202
    request = contract.decode(contract.RunRequest, grading_queue.jobs[0].args[0])
    assert request.lab_kind == "unblock-the-loop" and request.check_config == {"workers": 2}


def test_when_redis_is_down_the_run_says_it_could_not_start(make_app, make_browser, student, db):
    down_app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    browser = make_browser(down_app)
    assert browser.log_in("ada@example.org", "correct horse battery").status_code == 302

    response = post_run(browser)

    assert response.status_code == 202
    document = response.get_json()
    assert document["final"] and document["outcome"] == "infra_error"
    assert document["message"] == runs.UNREACHABLE
    assert post_run(browser).status_code == 202  # a failed start holds no place in flight


# --- the status and the recorded result ----------------------------------------------


def test_a_recorded_result_shows_output_and_measurements_in_order_and_rewards_nothing(
    app, student_browser, student, grading_queue, db
):
    run_id = post_run(student_browser).get_json()["id"]

    assert record(app, run_result(run_id, student.tenant_id)) == {
        "run_id": run_id,
        "recorded": True,
    }
    status = student_browser.client.get(f"/runs/{run_id}/status")

    assert status.headers["Cache-Control"] == "no-store"
    document = status.get_json()
    assert document["final"] and document["status"] == "finished"
    assert (document["outcome"], document["outcome_label"]) == ("completed", "Ran to the end")
    assert document["output"]["text"] == "hello from <b>my</b> run\n"
    assert [m["label"] for m in document["measurements"]] == [
        "Wall time",
        "Main thread's event-loop delay while workers ran (p99)",
    ]
    assert document["measurements"][0]["text"] == "81 ms"
    assert count(db, Submission) == count(db, ExpEntry) == count(db, AchievementAward) == 0

    page = student_browser.client.get(f"{THREAD_LAB}?run={run_id}").get_data(as_text=True)
    assert "hello from &lt;b&gt;my&lt;/b&gt; run" in page and "<b>my</b>" not in page
    assert "<dt>Wall time</dt><dd>81 ms</dd>" in page
    assert "No submissions yet." in page  # a run is not listed as a submission


def test_a_result_is_recorded_once(app, student_browser, student, grading_queue, db):
    run_id = post_run(student_browser).get_json()["id"]
    assert record(app, run_result(run_id, student.tenant_id))["recorded"] is True
    later = run_result(run_id, student.tenant_id, outcome="error", message="Changed.")
    assert record(app, later)["recorded"] is False
    db.expire_all()
    assert db.get(LabRun, int(run_id)).outcome == "completed"


def test_a_result_for_another_school_or_lab_is_refused(app, student_browser, student, db):
    run_id = post_run(student_browser).get_json()["id"]
    with pytest.raises(ValueError, match="names tenant"):
        record(app, run_result(run_id, student.tenant_id + 1))
    with pytest.raises(ValueError, match="names tenant"):
        record(app, run_result(run_id, student.tenant_id, lab_id="spawn-vs-exec"))
    assert record(app, run_result("999", student.tenant_id))["recorded"] is False  # pruned


def test_another_students_run_is_404(app, make_user, make_browser, student, db):
    mine = finished_run(student, utc_now())
    db.add(mine)
    db.commit()
    other = make_user("grace@example.org", PASSWORD, "Grace")
    browser = log_in_as(make_browser, app, other)

    assert browser.client.get(f"/runs/{mine.id}/status").status_code == 404
    assert browser.client.get("/runs/999/status").status_code == 404
    page = browser.client.get(f"{THREAD_LAB}?run={mine.id}").get_data(as_text=True)
    assert "data-run-status-url" not in page


def test_a_run_whose_job_is_gone_is_shown_lost_and_holds_no_place(
    app, student_browser, student, grading_queue, db
):
    run_id = post_run(student_browser).get_json()["id"]
    grading_queue.empty()  # the job is gone (Redis flushed, or a worker lost it)
    run = db.get(LabRun, int(run_id))
    run.created_at = utc_now() - timedelta(minutes=2)
    db.commit()

    document = student_browser.client.get(f"/runs/{run_id}/status").get_json()
    assert document["final"] and document["outcome"] == "infra_error"
    assert document["message"] == runs.LOST

    assert post_run(student_browser).status_code == 202
    db.expire_all()
    assert db.get(LabRun, int(run_id)).outcome == "infra_error"


# --- the service: the rate limit and pruning -------------------------------------------


def finished_run(user, created_at) -> LabRun:
    return LabRun(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log('an earlier run');\n",
        status="finished",
        outcome="completed",
        message="Done.",
        output={"text": "", "truncated": False, "bytes_total": 0},
        measurements=[],
        created_at=created_at,
        finished_at=created_at,
    )


@pytest.fixture
def start(app, db, student, grading_queue):
    """start_run for the student on Thread Lab, at a chosen time and policy."""

    def start(now, policy=None, code=CODE):
        with app.app_context():
            lab = get_catalogue().lab("node-workers", "thread-lab")
            run = runs.start_run(db, grading_queue, student, lab, code, policy, now=now)
        run.status = "finished"  # as if its result came back at once
        db.commit()
        return run

    return start


def test_the_rate_limit_is_a_sliding_minute(start):
    t0 = utc_now()
    policy = runs.RunPolicy(runs_per_minute=3)
    for offset in (0, 20, 40):
        start(t0 + timedelta(seconds=offset), policy)

    with pytest.raises(runs.RunThrottled) as refused:
        start(t0 + timedelta(seconds=45), policy)
    assert refused.value.retry_after == 15
    assert str(refused.value) == (
        "You have used your 3 runs for this minute. You can run again in 15 seconds."
    )
    start(t0 + timedelta(seconds=61), policy)  # the first run has left the window


def test_one_second_is_said_in_the_singular(start):
    t0 = utc_now()
    policy = runs.RunPolicy(runs_per_minute=1)
    start(t0, policy)
    with pytest.raises(runs.RunThrottled, match="You can run again in 1 second\\.$"):
        start(t0 + timedelta(seconds=59.5), policy)


def test_the_policy_comes_from_the_config(make_app):
    app = make_app(RUNS_PER_MINUTE=2, RUNS_IN_FLIGHT_PER_USER=3)
    policy = runs.RunPolicy.from_config(app.config)
    assert (policy.runs_per_minute, policy.max_in_flight) == (2, 3)
    assert runs.RunPolicy.from_config(make_app().config).runs_per_minute == 6


def test_runs_older_than_a_day_are_pruned_when_the_student_runs_again(start, student, db):
    db.add(finished_run(student, utc_now() - timedelta(days=2)))
    db.commit()
    start(utc_now())
    assert count(db, LabRun) == 1


def test_refused_code_raises_before_anything_is_stored(start, db):
    with pytest.raises(SubmissionRejected):
        start(utc_now(), code="a\x00b")
    assert count(db, LabRun) == 0


def test_every_outcome_of_the_contract_has_a_label():
    assert set(OUTCOME_LABELS) == set(contract.RUN_OUTCOMES)


def test_a_run_whose_result_failed_to_record_is_lost_but_one_on_its_way_is_not(
    app, student_browser, student, grading_queue, results_queue, db
):
    run_id = post_run(student_browser).get_json()["id"]
    run = db.get(LabRun, int(run_id))
    grading_queue.empty()
    result = results_queue.enqueue(
        contract.RECORD_RUN_JOB, {}, job_id=contract.run_result_job_id(run_id)
    )
    assert not runs.run_is_lost(grading_queue, run)  # the web-worker has yet to record it

    result.set_status("failed")
    assert runs.run_is_lost(grading_queue, run)
