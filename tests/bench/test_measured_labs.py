"""The measured-labs benchmark runs end to end (`make bench` calls it), for real.

The real grader pipeline and sandbox image, one grading of each lab each way. The times
are the bench's to report, never asserted here; what is asserted is that both ways were
graded, with the stopping rules on ("now") and off ("before"), and that the course's
solutions were never failed (a loaded CI host may leave a speed check inconclusive).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

BENCH = Path(__file__).resolve().parents[2] / "bench" / "measured_labs.py"


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
    for lab in figures["labs"].values():
        assert {way: len(seen) for way, seen in lab["verdicts"].items()} == {"now": 1, "before": 1}
        verdicts = lab["verdicts"]["now"] + lab["verdicts"]["before"]
        assert set(verdicts) <= {"passed", "inconclusive"}, verdicts
        assert lab["ratio"] > 0
    assert "unblock-the-loop" in finished.stdout and "target" in finished.stdout
