"""The fairness benchmark runs end to end (`make bench` calls it): a short flood, for real.

Two real graders, a real Valkey, the portal's submit path and a real results worker, as in
the full run, with a flood of 4 and 2 samples a side: every submission of school B is
graded on both sides and school A's share is the cap the mechanism picks for two graders.
The timings themselves are the bench's to report, never asserted here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fairness.py"


def test_a_short_flood_is_measured_on_both_sides(sandbox_image, tmp_path):
    out = tmp_path / "fairness.json"
    env = os.environ | {"SANDBOX_IMAGE": sandbox_image}
    arguments = ["--flood", "4", "--samples", "2", "--no-contrast", "--out", str(out)]
    finished = subprocess.run(
        [sys.executable, str(BENCH), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert len(figures["idle_waits_seconds"]) == 2
    assert len(figures["flood_waits_seconds"]) == 2
    assert figures["school_share"] == 1  # two graders: all but one for any one school
    assert "ratio_p95" in finished.stdout
