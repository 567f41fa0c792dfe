"""A.D.A.'s diagnoses: scripted submissions with known causes, and what each must produce.

The table is in diagnosis_cases.py. Older results lack the thread measurements, and any
number may be null: the rules fall back on what there is, and on the code only when
nothing measured speaks to the same cause. Each lab kind's `analyse` is called as the
pipeline calls it, so what is tested is what the portal receives.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from grader.adapters.node.labs.diagnoses.code_facts import read_code
from grader.adapters.node.labs.diagnoses.evidence import Cause
from grader.adapters.node.labs.kinds import lab_kind
from grader.lab_kind import Analysis
from portal.ada.passages import CourseIndex
from portal.catalogue.loader import load_catalogue
from tests.grader.diagnosis_cases import (
    ATOMICS_WAIT,
    AWAITS_IN_LOOP,
    CASES,
    INCONCLUSIVE_CHECK,
    KEEPS_CHUNKS,
    LOOP,
    SLOW,
    SPAWN,
    median,
    run,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"


def analysed(
    kind: str,
    measurements: Any,
    code: str = "",
    verdict: str = "failed",
    checks: list | None = None,
) -> Analysis:
    """What the grader sends the portal for a submission with these numbers and code."""
    return lab_kind(kind).analyse(verdict, checks or [], copy.deepcopy(measurements), code)


@pytest.mark.parametrize(
    ("kind", "measurements", "code", "verdict", "checks", "expected", "excluded"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_submission_gets_the_diagnosis_of_its_cause(
    kind, measurements, code, verdict, checks, expected, excluded
):
    diagnoses = analysed(kind, measurements, code, verdict, checks).diagnoses

    causes = {diagnosis.cause for diagnosis in diagnoses}
    assert expected <= causes, diagnoses
    assert not causes & (excluded - expected), diagnoses
    for diagnosis in diagnoses:
        assert type(diagnosis.cause) is str  # a plain identifier on the wire
        for part in (diagnosis.summary, diagnosis.evidence, diagnosis.advice):
            assert_complete_sentences(part)


def test_an_inconclusive_result_leads_with_the_busy_host():
    measurements = run(speedup={"median": 1.0, "ideal": 2})

    diagnoses = analysed(LOOP, measurements, "", "inconclusive", [INCONCLUSIVE_CHECK]).diagnoses

    assert diagnoses[0].cause == Cause.HOST_BUSY


def test_spawn_vs_exec_says_what_the_process_kept():
    measurements = {
        "output_bytes": 8 * 1024 * 1024,
        "variants": {
            "student": {"api": "spawn", "retained_growth_bytes": median(0.5 * 1024 * 1024)},
            "exec_reference": {"retained_growth_bytes": median(16 * 1024 * 1024)},
        },
    }
    older = {
        "variants": {
            "student": {"api": "exec+spawn", "peak_rss_growth_bytes": 36 * 1024 * 1024},
            "exec_reference": {"peak_rss_growth_bytes": 40 * 1024 * 1024},
        },
    }

    kept = analysed(SPAWN, measurements).findings
    grew = analysed(SPAWN, older).findings

    assert kept == (
        "Your code called `spawn` from `child_process`.",
        "Your process kept 0.5 MiB reading 8.0 MiB of output; exec's buffering kept 16.0 MiB "
        "in the grader's run (3% of it).",
    )
    assert grew[0] == "Your code called `exec` and `spawn` from `child_process`."
    assert grew[1].startswith("Your process grew by 36.0 MiB; exec's buffering grew by 40.0 MiB")


def test_the_evidence_quotes_the_numbers():
    sequential = run(variants__n_workers__parallelism=median(1.02), **SLOW)
    throttled = run(
        variants__n_workers__throttling={
            "periods": 120,
            "throttled_periods": 48,
            "throttled_ms": 310,
        },
        **SLOW,
    )

    [one_after_another] = analysed(LOOP, sequential).diagnoses
    [quota] = analysed(LOOP, throttled).diagnoses

    assert "on average 1.02 of them were working at once" in one_after_another.evidence
    assert "come close to 2" in one_after_another.evidence
    assert "`Promise.all`" in one_after_another.advice
    assert "48 of 120 scheduler periods (40%, 310 ms)" in quota.evidence


@pytest.fixture(scope="module")
def index() -> CourseIndex:
    return CourseIndex(load_catalogue(str(CONTENT)).course("node-workers"))


@pytest.mark.parametrize(
    ("cause", "step_id"),
    [
        (Cause.WORKERS_ONE_AFTER_ANOTHER, "worker-threads"),
        (Cause.ONE_WORKER_DID_ALL, "worker-threads"),
        (Cause.DUPLICATED_WORK, "worker-threads"),
        (Cause.WORK_ON_MAIN_THREAD, "event-loop"),
        (Cause.MAIN_THREAD_BLOCKED_WAITING, "worker-threads"),
        (Cause.QUOTA_THROTTLED, "wrap-up"),
        (Cause.BUFFERING_CALL, "child-processes"),
        (Cause.OUTPUT_KEPT_IN_MEMORY, "child-processes"),
    ],
)
def test_each_diagnosis_points_to_the_step_that_teaches_it(index, cause, step_id):
    topics = {diagnosis.cause: diagnosis.topic for diagnosis in all_diagnoses()}

    [best] = index.search(topics[cause], 1)

    assert best.passage.step_id == step_id


def all_diagnoses():
    for case in CASES:
        _id, kind, measurements, code, verdict, checks, *_rest = case
        yield from analysed(kind, measurements, code, verdict, checks).diagnoses


@pytest.mark.parametrize(
    ("source", "awaits_in_loop", "atomics", "chunks"),
    [
        (AWAITS_IN_LOOP, True, False, False),
        (
            "for (let i = 0; i < n; i++) { workers.push(new Worker(f)); }\n"
            "await Promise.all(workers.map(done));",
            False,
            False,
            False,
        ),
        (
            "for (const w of ws) {\n  const w = new Worker(f); await once(w, 'exit');\n}",
            True,
            False,
            False,
        ),
        ("// for (;;) { await new Worker(f) }  Atomics.wait(v, 0, 0)", False, False, False),
        ("const s = 'for (;;) { await new Worker(f) }';", False, False, False),
        (ATOMICS_WAIT, False, True, False),
        (KEEPS_CHUNKS, False, False, True),
        ("", False, False, False),
    ],
)
def test_code_facts_read_the_code_not_its_comments(source, awaits_in_loop, atomics, chunks):
    facts = read_code(source)
    assert (facts.awaits_workers_in_a_loop, facts.waits_with_atomics) == (awaits_in_loop, atomics)
    assert facts.keeps_output_chunks == chunks


def assert_complete_sentences(text: str) -> None:
    assert text, "an empty part"
    assert text[0].isupper() or text[0] == "`", text
    assert text.endswith((".", "?", "!")), text
    assert "…" not in text and "  " not in text, text
