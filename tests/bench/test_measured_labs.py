"""The measured-labs benchmark runs end to end (`make bench` calls it), for real, against
the sandbox image of the commit before issue 16's work, which it takes from git's history.

The real grader pipeline and sandbox images, one grading of each lab each way (the before
image built first if its tag is absent). The times are the bench's to report, never
asserted here; what is asserted is that both ways were graded, today's image with the
stopping rules ("now") and the old one without ("before"), and that the course's solutions
were never failed (a loaded CI host may leave a speed check inconclusive). Without Docker:
that the before image's sources are the pinned commit's, and that a clone without that
commit says so.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "measured_labs.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH.parent))  # as when run as a script: its sibling modules
    spec = importlib.util.spec_from_file_location("measured_labs_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(BENCH.parent))


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_the_before_image_is_built_from_the_pinned_commits_own_sources(bench):
    pinned = git("rev-parse", f"{bench.BEFORE_COMMIT[:7]}^{{commit}}", cwd=bench.ROOT).strip()
    assert pinned == bench.BEFORE_COMMIT
    driver = "services/sandbox-image/labs/unblock-the-loop/driver.js"
    then = git("show", f"{bench.BEFORE_COMMIT}:{driver}", cwd=bench.ROOT)
    assert then != (bench.ROOT / driver).read_text()  # so reading HEAD's would show here

    with bench.source_tree(bench.BEFORE_COMMIT) as tree:
        assert (tree / driver).read_text() == then
        harness = tree / "services" / "sandbox-image" / "harness" / "run.js"
        assert harness.stat().st_mode & 0o777 == 0o644  # the sandbox's user reads it
        assert (tree / "services" / "sandbox-image" / "Dockerfile").is_file()
        # The drivers of then: Unblock the Loop had no stopping rule yet.
        assert not (tree / "services/sandbox-image/labs/unblock-the-loop/stopping-rule.js").exists()
    assert not tree.exists()
    assert bench.BEFORE_COMMIT[:7] not in git("worktree", "list", cwd=bench.ROOT)


def test_a_clone_without_the_pinned_commit_says_so(bench, tmp_path):
    clone = tmp_path / "shallow"
    git("clone", "--quiet", "--depth", "1", f"file://{bench.ROOT}", str(clone), cwd=tmp_path)
    assert git("rev-parse", "--is-shallow-repository", cwd=clone).strip() == "true"

    with pytest.raises(SystemExit) as refused, bench.source_tree(bench.BEFORE_COMMIT, clone):
        pass
    assert bench.BEFORE_COMMIT in str(refused.value)
    assert "shallow" in str(refused.value) and "git fetch --unshallow" in str(refused.value)


@pytest.mark.docker
def test_one_sample_grades_each_lab_both_ways(sandbox_image, tmp_path):
    out = tmp_path / "measured_labs.json"
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--samples", "1", "--out", str(out)],
        env=os.environ | {"SANDBOX_IMAGE": sandbox_image},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert set(figures["labs"]) == {"unblock-the-loop", "spawn-vs-exec"}
    assert figures["image"] == sandbox_image
    assert figures["before_image"] == "course-sandbox-node:before-16-node22"
    assert figures["before_commit"].startswith("d75b714")
    for lab in figures["labs"].values():
        assert {way: len(seen) for way, seen in lab["verdicts"].items()} == {"now": 1, "before": 1}
        verdicts = lab["verdicts"]["now"] + lab["verdicts"]["before"]
        assert set(verdicts) <= {"passed", "inconclusive"}, verdicts
        assert lab["ratio"] > 0
    assert "unblock-the-loop" in finished.stdout and "target" in finished.stdout
    assert "before: course-sandbox-node:before-16-node22 (commit d75b714)" in finished.stdout
