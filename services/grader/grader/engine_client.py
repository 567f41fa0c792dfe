"""Docker clients of the grader's Engine (DOCKER_HOST) that ask its API version only once.

docker-py's default client asks the Engine `GET /version` when it is made, before any
other call: one round trip per client. The worker makes clients for its checks and each
work-horse makes one for its job, so that request used to come before every grading. The
first client here asks it; the version is kept in this process, and the worker asks it
before it forks its horses, so a horse inherits the version and its client is made
without a word to the Engine.

A horse makes its own client rather than inheriting one: a client's connection pool
opened in the worker and used in both processes after the fork would put two processes'
requests on one socket. A client made with a known version costs no I/O at all.

On the Engine's local socket a client also stops consulting the environment before every
request: requests looks for proxies, a .netrc file and a CA bundle there each time, none of
which can apply to a Unix socket, and that look was about a third of the grader's CPU per
Engine call (0.6 of 1.6 ms an inspect, measured here). A remote Engine (tcp://, ssh://)
keeps it: a proxy may stand between the grader and its Engine.

A failed call forgets the version (`forget_api_version`), so an Engine replaced by another
(an upgrade, a different host behind DOCKER_HOST) is asked again.

Nor does a client inspect a container to learn what it set itself: docker-py's
`containers.create` inspects the container it has just created (a GET that fills the model
it returns), and `logs` inspects it again to learn whether it has a TTY. A sandbox run
needs neither (it inspects once, after the run, with `reload`), so a client here returns
the created container's model with its id only, and knows the TTY of the containers it
created: two of the eight Engine calls of a grading, each about 1.6 ms of the grader's CPU
and some of the Engine's.
"""

from __future__ import annotations

from typing import Any

import docker
from docker.models.containers import Container, ContainerCollection, _create_container_args

# docker-py's base URL for an Engine on a Unix socket (unix://, the default DOCKER_HOST).
LOCAL_SOCKET_URL = "http+docker://"

_api_version: str | None = None


def engine_client(**kwargs: Any) -> docker.DockerClient:
    """A client from the environment (`kwargs` as `docker.from_env`'s), its API version the
    one this process learnt, or asked of the Engine (and learnt) when there is none yet."""
    global _api_version
    client = EngineClient.from_env(version=_api_version or "auto", **kwargs)
    _api_version = client.api.api_version
    if client.api.base_url.startswith(LOCAL_SOCKET_URL):
        client.api.trust_env = False
    return client


def forget_api_version() -> None:
    """Ask the Engine its API version again with the next client (it failed a call)."""
    global _api_version
    _api_version = None


class EngineClient(docker.DockerClient):
    """docker-py's client, minus the inspects of a container it created (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.api = _EngineApi(*args, **kwargs)

    @property
    def containers(self) -> ContainerCollection:
        return _Containers(client=self)


class _Containers(ContainerCollection):
    def create(self, image: str, command: Any = None, **kwargs: Any) -> Container:
        """Create a container as docker-py does, and return its model without inspecting
        it: its `attrs` hold only the Id (and the Engine's warnings) until `reload()`."""
        # docker-py's own create, up to its `self.get(id)`.
        kwargs.update(image=image, command=command, version=self.client.api._version)
        created = self.client.api.create_container(**_create_container_args(kwargs))
        return self.prepare_model(created)


class _EngineApi(docker.APIClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whether each container this client created has a TTY (it cannot change). Small:
        # a horse's client creates a job's few containers; the worker's creates none.
        self._created_tty: dict[str, bool] = {}

    def create_container(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        created = super().create_container(*args, **kwargs)
        tty = kwargs["tty"] if "tty" in kwargs else len(args) > 6 and args[6]  # its 7th parameter
        self._created_tty[created["Id"]] = bool(tty)
        return created

    def _check_is_tty(self, container: str) -> bool:
        # docker-py asks this before reading a container's logs or attaching to it.
        known = self._created_tty.get(container)
        return super()._check_is_tty(container) if known is None else known
