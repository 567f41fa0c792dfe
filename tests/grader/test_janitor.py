"""The janitor of a live grader, on a real Engine: which sandbox containers it removes.

Containers are created (not started) with the labels a grader's sandbox run gives them.
A dead grader's container of this platform goes; a live grader's stays; another
platform's (another Valkey on the same Engine: a second suite, a staging copy) is judged
by its deadline only, whatever its grader's name means here.

On a busy host other graders remove their finished sandboxes while a janitor runs: a
container gone between the Engine's list and the janitor's next request never stops the
run. The race is made certain by a client whose inspect of one container removes it first.
"""

from __future__ import annotations

import time

import docker
import pytest
import requests
from docker.errors import APIError

from grader.janitor import (
    DEADLINE_MARGIN_SECONDS,
    remove_containers_of,
    remove_leftover_containers,
    remove_orphaned_containers,
)
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


@pytest.fixture
def removed_when_inspected(docker_client, monkeypatch):
    """Make the containers whose ids it is given vanish as soon as the client inspects one,
    as another grader's removal of its finished sandbox would just after the Engine's list."""
    vanishing: set[str] = set()
    inspect = docker_client.api.inspect_container

    def inspect_after_a_concurrent_removal(container):
        container_id = getattr(container, "id", container)
        if container_id in vanishing:
            docker_client.api.remove_container(container_id, force=True, v=True)
        return inspect(container)  # NotFound for a vanished one

    monkeypatch.setattr(docker_client.api, "inspect_container", inspect_after_a_concurrent_removal)
    return vanishing.add


@pytest.fixture
def removed_by_another(docker_client, monkeypatch):
    """Make the removal of the containers whose ids it is given meet another grader's removal
    of them: the container goes, and the Engine answers 409, removal already in progress."""
    contended: set[str] = set()
    remove = docker_client.api.remove_container

    def remove_while_another_removes(container, **kwargs):
        container_id = getattr(container, "id", container)
        if container_id not in contended:
            return remove(container, **kwargs)
        remove(container_id, force=True, v=True)  # the other grader's removal
        conflict = requests.Response()
        conflict.status_code = 409
        raise APIError("removal of container is already in progress", response=conflict)

    monkeypatch.setattr(docker_client.api, "remove_container", remove_while_another_removes)
    return contended.add


@pytest.fixture
def only_listed(docker_client, monkeypatch):
    """Have the Engine's container list show only the ids it is given: other suites share
    the Engine, and a janitor that judges by age alone must not remove their sandboxes."""
    shown: set[str] = set()
    containers = docker_client.api.containers

    def containers_of_this_test(*args, **kwargs):
        return [c for c in containers(*args, **kwargs) if c["Id"] in shown]

    monkeypatch.setattr(docker_client.api, "containers", containers_of_this_test)
    return shown.add


def exists(docker_client, container_id: str) -> bool:
    """Whether the Engine still has the container (asked without inspecting it)."""
    return bool(docker_client.api.containers(all=True, filters={"id": container_id}))


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


def test_a_dead_graders_container_removed_meanwhile_does_not_stop_the_janitor(
    docker_client, make_container, removed_when_inspected
):
    later = time.time() + 600
    vanishing = make_container("grader-dead", "ours", later)
    other = make_container("grader-dead", "ours", later)
    removed_when_inspected(vanishing)

    removed = remove_orphaned_containers(
        docker_client, grader_alive=lambda name: False, instance="ours"
    )

    assert other in removed
    assert not exists(docker_client, other) and not exists(docker_client, vanishing)


def test_a_container_another_grader_is_removing_does_not_stop_the_janitor(
    docker_client, make_container, removed_by_another
):
    later = time.time() + 600
    contended = make_container("grader-dead", "ours", later)
    other = make_container("grader-dead", "ours", later)
    removed_by_another(contended)

    removed = remove_orphaned_containers(
        docker_client, grader_alive=lambda name: False, instance="ours"
    )

    assert removed == [other]  # the contended one is the other grader's to count
    assert not exists(docker_client, other) and not exists(docker_client, contended)


def test_a_graders_own_containers_go_even_when_one_is_removed_meanwhile(
    docker_client, make_container, removed_when_inspected
):
    later = time.time() + 600
    vanishing = make_container("grader-horse-died", "ours", later)
    other = make_container("grader-horse-died", "ours", later)
    someone_elses = make_container("grader-live", "ours", later)
    removed_when_inspected(vanishing)

    removed = remove_containers_of(docker_client, "grader-horse-died", "ours")

    assert removed in (1, 2)  # the vanishing one is counted if the janitor removed it first
    assert not exists(docker_client, other) and not exists(docker_client, vanishing)
    assert exists(docker_client, someone_elses)


def test_leftovers_are_judged_by_their_age(
    docker_client, make_container, removed_when_inspected, only_listed
):
    later = time.time() + 600
    vanishing = make_container("grader-gone", "ours", later)
    old = make_container("grader-gone", "ours", later)
    for container_id in (vanishing, old):
        only_listed(container_id)
    removed_when_inspected(vanishing)

    assert remove_leftover_containers(docker_client, older_than_seconds=3600) == 0
    assert exists(docker_client, old)

    assert remove_leftover_containers(docker_client, older_than_seconds=0) in (1, 2)
    assert not exists(docker_client, old) and not exists(docker_client, vanishing)


def test_only_runsc_sandboxes_the_engine_does_not_know_are_leftovers():
    # runsc's list is read first: a container created after it is in the Engine's list.
    assert leaked_ids(["a" * 64, "b" * 64], ["b" * 64, "c" * 64]) == ["a" * 64]
    assert leaked_ids([], ["c" * 64]) == []
