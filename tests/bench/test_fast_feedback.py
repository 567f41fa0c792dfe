"""`make bench` ends with issue 16's four figures beside their targets, read from what the
benches wrote: a figure below its target says MISSED, one not measured says so."""

import importlib.util
import json
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "bench" / "fast_feedback.py"


@pytest.fixture
def summary(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("fast_feedback_under_test", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    return module


def write(directory: Path, name: str, figures: dict) -> None:
    (directory / f"{name}.json").write_text(json.dumps(figures))


def test_each_figure_is_shown_beside_its_target_and_misses_are_named(summary, capsys):
    write(summary.OUT, "grading", {"node": {"overhead_ratio_p50": 0.99, "throughput_ratio": 0.943}})
    write(
        summary.OUT,
        "verdict_push",
        {
            "verdict": {"push": {"p50_seconds": 0.9, "to_grading_ratio": 1.1}},
            "waiting": {"rate_ratio": 0.95, "refused_streams": [0, 3]},
        },
    )
    summary.main()
    lines = {line.split("  ")[1].strip(): line for line in capsys.readouterr().out.splitlines()[2:]}

    assert lines["1 push p50, s"].endswith("<= 1.0: met")
    assert "MISSED" in lines["1 page rate, 200 waiting / none"]  # 3 pages had to poll
    assert lines["3 overhead p50 / docker run"].endswith("<= 1.05: met")
    assert lines["3 throughput / docker run"].endswith(">= 0.95: MISSED")
    assert "not measured: run bench/measured_labs.py" in lines["2 measured labs sooner"]
    assert "not measured: run bench/first_run.py" in lines["4 a newcomer's first run"]


def test_a_first_run_that_never_reached_its_page_is_missed(summary, capsys):
    write(summary.OUT, "first_run", {"first_page_seconds": None, "target_seconds": 60})
    summary.main()
    assert "4 first page, s                       never   <= 60: MISSED" in capsys.readouterr().out
