"""A driven lab's student forges the driver's channel: the known hole, kept in sight.

In a driven lab (Async Gather, Beat the GIL) the student's module is imported into the
driver's own process, so it holds the channel's descriptor (`--channel-fd` in its argv)
and can write the facts and timed runs the harness summarises, then exit before the driver
measures anything. Today that passes: the test is a strict xfail that turns into a failure
(and must then lose its mark) once the measurements come from somewhere the student's
process cannot write (for Async Gather, the lab server forked before the import, made
non-dumpable, with a pipe of its own to the harness).
"""

import pytest

pytestmark = pytest.mark.docker

FORGE = """\
import json, os, sys
fd = int(sys.argv[sys.argv.index("--channel-fd") + 1])
def send(kind, value):
    os.write(fd, (json.dumps({"k": kind, "v": value}) + "\\n").encode())
send("fact", {"urls": 20, "slowest_ms": 300, "sum_ms": 3500, "tick_ms": 10})
for repeat in range(3):
    for variant in ("fetch_all", "reference_gather"):
        send("run", {"variant": variant, "repeat": repeat, "wall_ms": 320.0,
                     "lag_p50_ms": 0.5, "lag_p99_ms": 1.0, "lag_max_ms": 1.5, "ticks": 32,
                     "expected_ticks": 32, "requests": 20, "max_in_flight": 20,
                     "arrival_span_ms": 3.0, "correct": True, "bodies_present": True,
                     "error": None})
os._exit(0)
"""


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="the student's code shares the driver's process"
)
def test_forged_channel_measurements_do_not_pass(grade_hostile):
    result = grade_hostile(FORGE, wall_seconds=10.0)

    assert result.verdict != "passed", result.feedback
