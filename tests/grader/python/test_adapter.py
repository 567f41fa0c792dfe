"""The Python adapter as the runner sees it: its name, image, limits, report and source facts."""

import pytest

from grader.adapter import load_adapter
from grader.adapters.python import ADAPTER
from grader.adapters.python.details import read_details
from grader.adapters.python.prepare import prepare, read_source_facts
from grader.config import GraderConfig
from grader.report import ReportError

ZEROS = {
    "workers_created": 0,
    "workers_online": 0,
    "messages_to_main": 0,
    "messages_to_worker": 0,
}


def test_grader_adapter_python_names_it_with_its_own_image_and_shm():
    config = GraderConfig.from_env({"GRADER_ADAPTER": "python"})

    assert load_adapter("python") is ADAPTER
    assert config.loaded_adapter() is ADAPTER
    assert config.sandbox_image == "course-sandbox-python:1"
    assert ADAPTER.ipc_mode == "private"
    assert sorted(ADAPTER.lab_kinds) == ["async-gather", "beat-the-gil"]


def test_sandbox_image_overrides_the_adapters():
    config = GraderConfig.from_env({"GRADER_ADAPTER": "python", "SANDBOX_IMAGE": "mine:2"})

    assert config.sandbox_image == "mine:2"


@pytest.mark.parametrize("fields", [{}, {"observations": ZEROS}, {"child_process_calls": None}])
def test_a_report_without_or_with_legacy_observations_is_read(fields):
    assert read_details(fields) is None


@pytest.mark.parametrize(
    "observations",
    [None, [], {**ZEROS, "workers_created": -1}, {**ZEROS, "messages_to_main": "1"}],
)
def test_malformed_observations_make_the_report_untrusted(observations):
    with pytest.raises(ReportError):
        read_details({"observations": observations})


def test_prepare_renames_nothing_and_reads_imports_parsed_not_grepped():
    source = (
        "# import threading would be a comment\n"
        "import multiprocessing as mp\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        'text = "import urllib"\n'
    )

    files, entrypoint, facts = prepare({"main.py": source}, "main.py")

    assert (files, entrypoint) == ({"main.py": source}, "main.py")
    assert facts.imports_any("multiprocessing", "concurrent.futures.ProcessPoolExecutor")
    assert not facts.imports_any("threading", "urllib")


def test_source_that_does_not_parse_has_no_facts():
    facts = read_source_facts("def broken(:\n")

    assert not facts.parses and facts.imports == frozenset()


def test_sentences_speak_of_cpython_not_node():
    words = " ".join(
        [ADAPTER.sentences.kept_running, ADAPTER.sentences.kept_running_run]
        + [ADAPTER.heap_limit.marker, ADAPTER.heap_limit.reason]
    )

    assert "MemoryError" in words
    for node_word in ("V8", "worker.terminate", "parentPort", "JavaScript"):
        assert node_word not in words


def test_a_memory_error_is_reported_as_cpythons(grade_python):
    result = grade_python(
        "beat-the-gil",
        {"problem": "load_error", "problem_detail": "MemoryError"},
        exit_code=1,
        error_line="MemoryError",
        cgroup={"oom_kills": 1},
    )

    assert result.verdict == "memory_exceeded"
    assert "MemoryError" in result.feedback


@pytest.mark.parametrize("lab", ["beat-the-gil", "async-gather"])
def test_a_program_that_never_ends_scores_nothing_and_is_told_to_find_the_loop(grade_python, lab):
    # `while True: pass` at the top of main.py: the driver never got to time anything.
    result = grade_python(
        lab,
        {"problem": "not_measured", "problem_detail": None},
        source="while True:\n    pass\n",
        status="timeout",
        exit_code=None,
        signal="SIGKILL",
    )

    assert (result.verdict, result.score) == ("timeout", 0.0)  # issue 14: it scored 20-33%
    assert result.feedback.splitlines()[0].startswith("Your program ran out of time.")
    start_here = [line for line in result.feedback.splitlines() if line.startswith("Start here")]
    assert start_here == [
        "Start here: Your program was stopped at the time limit before it ended: look for a "
        "loop that never ends, or for work that waits for something that never comes."
    ]
