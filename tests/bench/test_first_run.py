"""The first-run benchmark reads each step's figure from the lines `make run` prints.

The lines come from scripts/progress.py itself, so a change of their wording that the
benchmark would no longer read fails here. The benchmark's run (a fresh clone, network
downloads, image builds: minutes) is `make bench-first-run`'s, not a test's.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from progress import Progress  # noqa: E402


def load_bench():
    spec = importlib.util.spec_from_file_location("first_run", ROOT / "bench" / "first_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_ended_step_is_read_with_its_own_figure():
    console = io.StringIO()
    Progress("installing uv into .tools/", console).start().done()
    image = Progress("building the sandbox image x:1 (its log: var/images/x_1.log)", console)
    image.start(since=image.started - 12).done("built")
    Progress("starting the web server", console).start().done("the first page answered")
    Progress("migrating", console).start().done("failed (exit 1)")
    lines = [(0.0, line) for line in console.getvalue().splitlines()]

    steps = load_bench()._steps(lines)

    assert list(steps) == [
        "installing uv into .tools/",
        "building the sandbox image x:1 (its log: var/images/x_1.log)",
        "starting the web server",
        "migrating",
    ]
    assert steps["building the sandbox image x:1 (its log: var/images/x_1.log)"] >= 12
