"""The verdict-on-screen benchmark runs end to end (`make bench` calls it), for real.

A real gunicorn, web-worker, grader and Chromium, as in the full run, but short: one
sample a way, 20 waiting pages, one round. The timings are the bench's to report, never
asserted here; what is asserted is that each way was measured as that way.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

pytestmark = pytest.mark.docker

BENCH = Path(__file__).resolve().parents[2] / "bench" / "verdict_push.py"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")


def test_a_short_run_measures_push_polling_and_waiting_pages(sandbox_image, tmp_path):
    require(Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM}: apt-get install chromium")
    out = tmp_path / "verdict_push.json"
    env = os.environ | {"SANDBOX_IMAGE": sandbox_image}
    arguments = ["--samples", "1", "--waiting", "20", "--rounds", "1", "--seconds", "0.5"]
    finished = subprocess.run(
        [sys.executable, str(BENCH), *arguments, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert len(figures["verdict"]["push"]["samples_seconds"]) == 1
    assert len(figures["verdict"]["polling"]["samples_seconds"]) == 1
    assert figures["waiting"]["waiting_pages"] == 20
    assert "push p50" in finished.stdout
