"""The grader's Docker clients ask the Engine its API version once, not once per client.

The "Engine" is a small HTTP server on a unix socket that answers `/version` and `/_ping`
as dockerd does and notes every path it is asked, so the test sees the requests a client
really sends (docker-py's own transport, no mock of it).
"""

from __future__ import annotations

import json
import socketserver
import struct
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from grader.engine_client import engine_client, forget_api_version

API_VERSION = "1.44"
CONTAINER_ID = "c" * 64
LOG_LINES = (b"some output\n", b"HARNESS-REPORT {}\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine(tmp_path, monkeypatch):
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            asked.append(self.path)
            if "Authorization" in self.headers:
                asked.append("Authorization: " + self.headers["Authorization"])
            if self.path.endswith("/version"):
                body = json.dumps({"ApiVersion": API_VERSION, "Version": "fake"}).encode()
            elif "/logs?" in self.path:
                # The Engine's multiplexed stream of a container without a TTY: stdout frames.
                body = b"".join(struct.pack(">BxxxL", 1, len(line)) + line for line in LOG_LINES)
            elif self.path.endswith("/json"):
                body = json.dumps({"Id": CONTAINER_ID, "Config": {"Tty": False}}).encode()
            else:
                body = b"OK"
            self._answer(200, body)

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            asked.append("POST " + self.path.split("?")[0])
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"Id": CONTAINER_ID, "Warnings": []}).encode()
            self._answer(201, body)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # noqa: A002 (the stdlib's name)
            pass

        def address_string(self) -> str:
            return "unix"

    path = tmp_path / "docker.sock"
    server = _Server(str(path), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    forget_api_version()
    yield asked
    forget_api_version()
    server.shutdown()
    server.server_close()


def test_only_the_first_client_asks_the_engine_its_api_version(engine):
    first = engine_client()
    assert engine == ["/version"]
    second = engine_client(timeout=3)
    assert second.ping()
    assert engine == ["/version", f"/v{API_VERSION}/_ping"]
    first.close()
    second.close()


def test_a_forgotten_version_is_asked_again(engine):
    engine_client().close()
    forget_api_version()
    engine_client().close()
    assert engine == ["/version", "/version"]


def test_a_client_of_the_local_socket_does_not_consult_the_environment(
    engine, tmp_path, monkeypatch
):
    # requests would otherwise look at proxies, .netrc and CA bundles before every request
    # (CPU taken from the sandboxes); a .netrc naming "localhost" shows whether it still does.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine localhost login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = engine_client()
    assert client.ping()
    client.close()
    # The one /version ask of the process is docker-py's, made before the client is set up.
    assert engine[-1] == f"/v{API_VERSION}/_ping"  # no Authorization header after it


def test_a_created_container_is_not_inspected_to_learn_what_the_client_set(engine):
    # docker-py inspects a container it has just created, and again before reading its
    # logs (to learn whether it has a TTY): two Engine calls of the eight in a sandbox run.
    client = engine_client()
    container = client.containers.create("img", stdin_open=True, labels={"a": "b"})
    assert container.id == CONTAINER_ID
    assert container.logs(stdout=True, stderr=False) == b"".join(LOG_LINES)
    client.close()
    assert [path for path in engine if path.endswith("/json")] == []
    assert engine[1] == f"POST /v{API_VERSION}/containers/create"
    assert engine[2].startswith(f"/v{API_VERSION}/containers/{CONTAINER_ID}/logs?")


def test_a_container_the_client_did_not_create_is_still_inspected_for_its_tty(engine):
    client = engine_client()
    assert client.api.logs(CONTAINER_ID, stdout=True, stderr=False) == b"".join(LOG_LINES)
    client.close()
    assert f"/v{API_VERSION}/containers/{CONTAINER_ID}/json" in engine
