"""The janitor of a live grader, on a real Engine: which sandbox containers it removes.

Containers are created (not started) with the labels a grader's sandbox run gives them.
A dead grader's container of this platform goes; a live grader's stays; another
platform's (another Valkey on the same Engine: a second suite, a staging copy) is judged
by its deadline only, whatever its grader's name means here.
"""

from __future__ import annotations

import time

import docker
import pytest

from grader.janitor import DEADLINE_MARGIN_SECONDS, remove_orphaned_containers
from grader.runsc_leftovers import leaked_ids
from grader.sandbox import (
    DEADLINE_LABEL,
    GRADER_LABEL,
    INSTANCE_LABEL,
    SANDBOX_LABEL,
    SUBMISSION_LABEL,
)

pytestmark = pytest.mark.docker


@pytest.fixture
def make_container(docker_client, sandbox_image):
    made = []

    def make(owner: str, instance: str, deadline: float):
        labels = {
            SANDBOX_LABEL: "1",
            SUBMISSION_LABEL: "janitor-test",
            GRADER_LABEL: owner,
            INSTANCE_LABEL: instance,
            DEADLINE_LABEL: str(int(deadline)),
        }
        container = docker_client.containers.create(sandbox_image, labels=labels)
        made.append(container)
        return container.id

    yield make
    for container in made:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass  # removed by the janitor


def test_only_dead_graders_and_overdue_containers_are_removed(docker_client, make_container):
    later = time.time() + 600
    dead_ours = make_container("grader-dead", "ours", later)
    live_ours = make_container("grader-live", "ours", later)
    dead_elsewhere = make_container("grader-dead", "theirs", later)
    overdue_elsewhere = make_container(
        "grader-live", "theirs", time.time() - DEADLINE_MARGIN_SECONDS - 1
    )

    removed = remove_orphaned_containers(
        docker_client,
        grader_alive=lambda name: name == "grader-live",
        instance="ours",
    )

    assert dead_ours in removed and overdue_elsewhere in removed
    assert live_ours not in removed and dead_elsewhere not in removed


def test_only_runsc_sandboxes_the_engine_does_not_know_are_leftovers():
    # runsc's list is read first: a container created after it is in the Engine's list.
    assert leaked_ids(["a" * 64, "b" * 64], ["b" * 64, "c" * 64]) == ["a" * 64]
    assert leaked_ids([], ["c" * 64]) == []
