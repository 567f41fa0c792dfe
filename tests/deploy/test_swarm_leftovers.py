"""A swarm run killed before its clean-up (a session or CI job cut short) leaves its network
namespaces behind; the next run's set-up removes them, and never a live run's."""

import os
import secrets
import shutil
import subprocess
import time

import pytest

from tests.conftest import require
from tests.deploy.swarm_nodes import remove_abandoned_namespaces


def namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}


@pytest.fixture
def made_namespaces():
    require(shutil.which("ip") is not None and os.geteuid() == 0, "needs root and iproute2")
    made: list[str] = []
    yield made
    for name in made:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def test_an_abandoned_namespace_goes_and_a_live_one_stays(made_namespaces):
    suffix = secrets.token_hex(3)
    dead, live = f"cpswarm-a-{suffix}", f"cpswarm-b-{suffix}"
    for name in (dead, live):
        subprocess.run(["ip", "netns", "add", name], check=True)
        made_namespaces.append(name)
    sleeper = subprocess.Popen(["ip", "netns", "exec", live, "sleep", "60"])
    try:
        for _ in range(50):  # until the sleeper is inside
            pids = subprocess.run(["ip", "netns", "pids", live], capture_output=True, text=True)
            if pids.stdout.strip():
                break
            time.sleep(0.1)

        remove_abandoned_namespaces()

        left = namespaces()
        assert dead not in left
        assert live in left
    finally:
        sleeper.kill()
        sleeper.wait()
