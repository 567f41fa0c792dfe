"""The grader's HTTP side: `/healthz`, `/readyz` and `/metrics`, served by the worker.

It runs in a thread of `grader worker` (stdlib ThreadingHTTPServer), on
GRADER_METRICS_BIND:GRADER_METRICS_PORT (127.0.0.1:9101 by default: only the host can
reach it; compose binds 0.0.0.0 inside its own network). Orchestrators probe it:

- `/healthz` 200 while the process serves requests (its worker loop is the main thread:
  when that ends, the process and this server end with it);
- `/readyz` 200 when this grader could grade now: the Docker Engine answers, holds the
  sandbox image and knows the sandbox runtime (SANDBOX_RUNTIME), and Valkey answers;
  otherwise 503 with a JSON body naming what failed;
- `/metrics` the Prometheus text format of what the worker and its work-horses counted.
  When METRICS_TOKEN is set it asks for `Authorization: Bearer <token>` (404 otherwise);
  unset, the bind address is the protection.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docker
import redis
import requests
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from grader.engine_client import engine_client, forget_api_version
from grader.metrics import exposition_registry

log = logging.getLogger(__name__)

DEFAULT_PORT = 9101
DEFAULT_BIND = "127.0.0.1"
# A probe must answer before the orchestrator's own timeout (typically 1-5 s).
CHECK_TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class HttpSettings:
    """What the grader's HTTP server needs to answer its three paths."""

    redis_url: str
    sandbox_image: str
    metrics_dir: str | None  # the worker's multiprocess metrics directory
    metrics_token: str = ""  # "" : /metrics needs no token
    sandbox_runtime: str = "runc"  # the OCI runtime the sandboxes run under


def check_readiness(settings: HttpSettings) -> dict[str, str]:
    """Each dependency's state: "ok", or one line that says what is wrong."""
    return {
        "docker": check_docker(settings.sandbox_image, settings.sandbox_runtime),
        "valkey": _check_valkey(settings.redis_url),
    }


def check_docker(image: str, runtime: str = "runc") -> str:
    """Whether the Docker Engine answers, holds `image` and knows the OCI `runtime`: "ok",
    else what is wrong.

    The worker asks it too before taking a job (grader.worker): a grader that could not
    run a sandbox now takes none. A runtime the Engine lacks (runsc not registered in its
    daemon.json) would fail every start as infra_error, so it is checked here, where the
    operator sees it, rather than found by the students.
    """
    try:
        client = engine_client(timeout=CHECK_TIMEOUT_SECONDS)
    except docker.errors.DockerException as error:
        forget_api_version()
        return f"the Docker Engine is unreachable: {error}"
    try:
        client.ping()
        client.images.get(image)
        known = sorted(client.info().get("Runtimes") or {})
    except docker.errors.ImageNotFound:
        return f"the sandbox image {image} is missing"
    except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
        forget_api_version()
        return f"the Docker Engine is unreachable: {error}"
    finally:
        client.close()
    if runtime not in known:
        return (
            f"the Docker Engine has no runtime {runtime!r} (SANDBOX_RUNTIME; it knows "
            f"{', '.join(known) or 'none'}): register it in its daemon.json, see deploy/README.md"
        )
    return "ok"


def _check_valkey(redis_url: str) -> str:
    client = redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return f"Valkey is unreachable: {error}"
    finally:
        client.close()
    return "ok"


def make_handler(settings: HttpSettings) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to `settings`."""

    class GraderHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(HTTPStatus.OK, "application/json", {"status": "alive"})
            elif path == "/readyz":
                checks = check_readiness(settings)
                ready = all(state == "ok" for state in checks.values())
                status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
                body = {"status": "ready" if ready else "not ready", "checks": checks}
                self._send(status, "application/json", body)
            elif path == "/metrics" and self._may_read_metrics():
                text = generate_latest(exposition_registry(settings.metrics_dir))
                self._send(HTTPStatus.OK, CONTENT_TYPE_LATEST, text)
            else:
                self._send(HTTPStatus.NOT_FOUND, "application/json", {"status": "not found"})

        def _may_read_metrics(self) -> bool:
            if not settings.metrics_token:
                return True
            expected = f"Bearer {settings.metrics_token}".encode()
            given = self.headers.get("Authorization", "").encode()
            return hmac.compare_digest(given, expected)

        def _send(self, status: HTTPStatus, content_type: str, body: dict | bytes) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode() + b"\n"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
            # Probes come every few seconds: keep them out of the worker's log.
            log.debug("%s %s", self.address_string(), format % args)

    return GraderHandler


def start_http_server(settings: HttpSettings, bind: str, port: int) -> ThreadingHTTPServer:
    """Serve the three paths from a daemon thread; `port` 0 picks a free one."""
    server = ThreadingHTTPServer((bind, port), make_handler(settings))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="grader-http", daemon=True)
    thread.start()
    log.info("grader HTTP on %s:%d (/healthz /readyz /metrics)", *server.server_address[:2])
    return server
