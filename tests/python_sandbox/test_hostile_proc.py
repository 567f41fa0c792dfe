"""Hostile programs that read /proc: they see their own container only, and no secret.

A private pid namespace shows docker-init, the harness and the program; what they may read
there (command lines, environments, mounts, stdins, its files) holds nothing of the grader's
host: the grading process keeps fake secrets in its environment and the program looks for
them in everything it can open.
"""

import json

import pytest

from tests.conftest import both_runtimes
from tests.python_sandbox.conftest import FAKE_SECRETS

pytestmark = pytest.mark.docker


@both_runtimes
def test_only_the_containers_own_processes_are_visible(run_python):
    source = """\
import json, os
processes = []
for pid in sorted((name for name in os.listdir("/proc") if name.isdigit()), key=int):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            command = file.read().split(b"\\0")[0].decode()
    except OSError as error:
        command = "unreadable: " + error.strerror
    processes.append(command)
with open("/proc/sys/kernel/hostname") as file:
    hostname = file.read().strip()
print(json.dumps({"processes": processes, "hostname": hostname}))
"""
    run = run_python(source)

    seen = json.loads(run.text)
    assert seen["hostname"] == "sandbox"
    assert sorted(seen["processes"]) == ["/sbin/docker-init", "/usr/bin/python3", "python3"]


@both_runtimes
def test_nothing_readable_in_proc_or_work_holds_a_secret_of_the_grader(grade_hostile):
    # Reads every process's command line and environment, the mounts, the kernel's command
    # line, every process's stdin (the grader streams the job on the harness's, which the
    # harness read to its end before the program started), the files under /work (a plain
    # run's job) and its own files, and names each that holds a fake secret. Spelled
    # backwards in the source, which the program also reads.
    backwards = sorted(value[::-1] for value in FAKE_SECRETS.values())
    source = f"""\
import glob, json, os
needles = [needle[::-1].encode() for needle in {backwards!r}]
paths = glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ")
paths += ["/proc/self/mountinfo", "/proc/cmdline", "/proc/1/mountinfo"]
paths += glob.glob("/proc/[0-9]*/fd/0")
files = glob.glob("/work/**", recursive=True) + glob.glob("/tmp/submission/**", recursive=True)
paths += [path for path in files if os.path.isfile(path)]
read, found = [], []
for path in paths:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a stdin never ended: no wait
        with open(descriptor, "rb") as file:
            data = file.read() or b""
    except OSError:
        continue
    read.append(path)
    found += [path for needle in needles if needle in data]
print(json.dumps({{"read": sorted(read), "found": found}}))
os._exit(0)
"""
    result = grade_hostile(source)

    seen = json.loads(result.output.text)
    assert "/proc/self/mountinfo" in seen["read"] and "/tmp/submission/main.py" in seen["read"]
    assert "/proc/1/fd/0" in seen["read"]  # docker-init's stdin, the container's: ended, empty
    assert seen["found"] == []
    assert result.verdict != "passed"
