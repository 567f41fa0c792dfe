"""The verdict-accuracy benchmark's bookkeeping: which verdict is right for which solution,
read from the file's own header, and how the gradings add up against the targets."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "verdict_accuracy.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH.parent))  # as when run as a script: its sibling modules
    spec = importlib.util.spec_from_file_location("verdict_accuracy", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]
    sys.path.remove(str(BENCH.parent))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "solution.js"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("honest", "expect", "verdict", "score", "outcome"),
    [
        (True, "", "passed", 0.6, "right"),
        (True, "", "failed", 0.8, "wrong"),
        (True, "", "timeout", 0.0, "wrong"),
        (True, "", "inconclusive", 0.6, "inconclusive"),
        (False, "", "failed", 0.8, "right"),
        (False, "", "error", 0.0, "right"),
        (False, "", "passed", 0.9, "wrong"),
        (False, "", "infra_error", 0.0, "infra_error"),
        (False, "// Expect: passed with partial marks, speeds_up not held", "passed", 0.8, "right"),
        (False, "// Expect: passed with partial marks, speeds_up not held", "passed", 1.0, "wrong"),
        (False, "// Expect: passed with partial marks, speeds_up not held", "failed", 0.5, "wrong"),
    ],
)
def test_each_grading_is_judged_by_the_class_and_the_files_expectation(
    bench, tmp_path, honest, expect, verdict, score, outcome
):
    path = write(tmp_path, f"// Style: one worker.\n{expect}\nconst x = 1;\n")
    solution = bench.read_solution("unblock-the-loop", path, honest)

    assert bench.judge(solution, verdict, score) == outcome


def test_the_style_runs_over_several_comment_lines_and_the_expectation_names_its_check(
    bench, tmp_path
):
    path = write(
        tmp_path,
        "// Style: spawn the command,\n// then count it again.\n"
        "// Expect: failed on uses_worker (the main thread did it).\nconst x = 1; // not style\n",
    )
    solution = bench.read_solution("unblock-the-loop", path, honest=False)

    assert solution.style == "spawn the command, then count it again."
    assert solution.deciding_check == "uses_worker"
    assert solution.expected == "not passed"


def test_totals_leave_infra_errors_out_of_the_shares_and_name_the_missed_targets(bench):
    outcomes = ["right"] * 7 + ["inconclusive"] * 2 + ["wrong"] + ["infra_error"] * 2

    totals = bench.tally(outcomes)

    assert totals["gradings"] == 12 and totals["infra_error"] == 2
    assert (totals["right"], totals["inconclusive"], totals["wrong"]) == (0.7, 0.2, 0.1)
    assert not any(bench.targets_met(totals).values())
    assert all(bench.targets_met(bench.tally(["right"] * 9 + ["inconclusive"])).values())


def test_each_runtime_gets_its_own_column_under_the_same_load(bench, capsys):
    def summary(*outcomes):
        records = [
            {
                "lab": "unblock-the-loop",
                "class": "honest",
                "file": f"{i}.js",
                "style": "",
                "expected": "passed",
                "verdict": outcome,
                "score": 1.0,
                "outcome": outcome,
                "message": "",
                "seconds": 1.0,
            }
            for i, outcome in enumerate(outcomes)
        ]
        return bench.summarize(records)

    bench.print_side_by_side(
        {"runc": summary("right", "right"), "runsc": summary("right", "inconclusive")}
    )

    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["runc", "runsc"]
    row = next(line for line in lines if line.startswith("unblock-the-loop honest"))
    assert row.split("honest", 1)[1].split() == "100% / 0% / 0% 50% / 50% / 0%".split()
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[1:] == "100% / 0% / 0% 50% / 50% / 0%".split()


def test_each_row_counts_the_repetitions_its_gradings_timed(bench, capsys):
    records = [
        {
            "lab": "unblock-the-loop",
            "class": "honest",
            "file": f"{i}.js",
            "style": "",
            "expected": "passed",
            "verdict": "passed",
            "score": 1.0,
            "outcome": "right",
            "message": "",
            "seconds": 7.0,
            "repeats": repeats,
            "stopped": "decided" if repeats == 2 else None,
        }
        for i, repeats in enumerate((2, 3, 2, None))
    ]

    summary = bench.summarize(records)
    bench.print_summary("quiet", summary)

    assert summary["rows"][0]["repeats"] == {"2": 2, "3": 1}
    row = next(line for line in capsys.readouterr().out.splitlines() if "honest" in line)
    assert row.endswith("2: 2, 3: 1")


def test_settings_reach_every_labs_check_config_and_keep_the_labs_own(bench):
    course = bench.load_catalogue(bench.ROOT / "content").course(bench.COURSE)
    labs = {lab.kind: lab for lab in course.labs}

    changed = bench.with_settings(labs, {"stop_when_decided": 0, "reference_repeats": 3})

    assert changed.keys() == labs.keys()
    for kind, lab in changed.items():
        assert lab.check_config == {
            **labs[kind].check_config,
            "stop_when_decided": 0,
            "reference_repeats": 3,
        }
        assert lab.solution == labs[kind].solution


@pytest.mark.parametrize(
    ("first_line", "honest", "style"),
    [
        ("# Honest: asyncio.gather keeps the order.", True, "asyncio.gather keeps the order."),
        ("# Dishonest: threads instead of processes.", False, "threads instead of processes."),
        ("# Wrong order: bodies as they arrive.", False, "bodies as they arrive."),
        ("# Incomplete: count_primes alone.", False, "count_primes alone."),
    ],
)
def test_a_python_style_file_says_in_its_first_comment_whether_it_is_honest(
    bench, tmp_path, first_line, honest, style
):
    path = tmp_path / "solution.py"
    path.write_text(f"{first_line}\nimport asyncio\n")

    solution = bench.read_solution("async-gather", path)

    assert (solution.honest, solution.style) == (honest, style)
    assert solution.expected == ("passed" if honest else "not passed")


def test_the_python_labs_are_graded_with_their_style_files_and_the_python_adapter(bench):
    labs = bench.course_labs()
    solutions = bench.find_solutions([labs["beat-the-gil"], labs["async-gather"]])
    honest = {(s.lab, s.path.name) for s in solutions if s.honest}

    assert ("beat-the-gil", "pool_map.py") in honest
    assert ("async-gather", "task_group.py") in honest
    assert ("async-gather", "async-gather.py") in honest  # the course's own solution
    assert ("beat-the-gil", "threads.py") not in honest
    assert ("async-gather", "as_completed_unordered.py") not in honest
    assert bench.adapter_of("async-gather").name == "python"
    assert bench.adapter_of("thread-lab").name == "node"
