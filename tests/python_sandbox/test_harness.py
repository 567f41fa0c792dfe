"""The Python harness reports what a student's program did, in the grader's envelope."""

import pytest

pytestmark = pytest.mark.docker

PASSING = """\
import sys
print("hello", 40 + 2)
print("to stderr", file=sys.stderr)
print("isolated", sys.flags.isolated)
"""


def test_a_passing_program_prints_in_order_and_exits_0(run_python):
    run = run_python(PASSING)

    assert run.report.status == "exited"
    assert run.report.exit_code == 0
    assert run.report.signal is None
    # Each stream keeps its order. Across the two pipes, lines written within one poll of the
    # harness may come in either order (arrival order is all the harness can see).
    lines = run.text.splitlines()
    assert sorted(lines) == ["hello 42", "isolated 1", "to stderr"]
    assert lines.index("hello 42") < lines.index("isolated 1")
    assert run.report.output["truncated"] is False
    assert run.report.syntax_error is None
    assert run.report.error_line is None
    assert run.report.oom_kills == 0


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ('print("ran")\nvalues = [1, 2\nprint(values)\n', 2, "SyntaxError: '[' was never closed"),
        ("def f():\nreturn 1\n", 2, "IndentationError: expected an indented block"),
        ("x = 1 +\n", 1, "SyntaxError: invalid syntax"),
    ],
)
def test_a_syntax_error_is_located_and_nothing_runs(run_python, source, line, message):
    run = run_python(source)

    problem = run.report.syntax_error
    assert problem is not None
    assert problem.line == line
    assert problem.message.startswith(message)
    assert problem.column is not None and problem.column >= 1
    assert run.report.exit_code == 1
    assert "ran" not in run.text  # the program did not start
    assert f'File "/tmp/submission/main.py", line {line}' in run.text


def test_an_uncaught_exception_is_the_error_line(run_python):
    run = run_python(
        "def parse(text):\n    return int(text)\nprint('before')\nparse('forty-two')\n"
    )

    assert run.report.status == "exited"
    assert run.report.exit_code == 1
    expected = "ValueError: invalid literal for int() with base 10: 'forty-two'"
    assert run.report.error_line == expected
    assert run.text.startswith("before\nTraceback (most recent call last):\n")


def test_an_infinite_loop_is_stopped_at_the_wall_time(run_python):
    run = run_python("while True:\n    pass\n", wall_seconds=1.0)

    assert run.report.status == "timeout"
    assert run.report.signal == "SIGKILL"
    assert 1000 <= run.report.wall_ms < 3000


def test_an_output_flood_keeps_its_head_and_tail(run_python):
    run = run_python(
        "i = 0\nwhile True:\n    print(f'line {i}')\n    i += 1\n", output_bytes=256 * 1024
    )

    assert run.report.status == "output_limit"
    output = run.report.output
    assert output["truncated"] is True
    assert output["bytes_total"] > 256 * 1024
    assert output["text"].startswith("line 0\nline 1\n")
    assert "bytes elided] …" in output["text"]
    last_line = output["text"].rstrip("\n").rsplit("\n", 1)[-1]
    assert last_line.startswith("line ")  # the tail, from far beyond the head
    assert len(output["text"].encode()) < 20 * 1024


def test_invalid_utf8_output_becomes_replacement_characters(run_python):
    run = run_python("import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe \\xc3\\xa9\\n')\n")

    assert run.report.status == "exited"
    assert run.text == "ok \ufffd\ufffd é\n"


def test_a_memory_error_counts_as_out_of_memory(run_python):
    run = run_python("blocks = bytearray(10 ** 12)\n")

    assert run.report.error_line == "MemoryError"
    assert run.report.oom_kills >= 1
