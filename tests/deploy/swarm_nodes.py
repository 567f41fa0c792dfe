"""Two extra Docker Engines beside the host's, joined in a real two-node Docker Swarm.

Each node is a `dockerd` of its own: in a network namespace this module creates, with a
private mount namespace whose `/run` is a fresh tmpfs (so the node has its own
`/var/run/docker.sock`, which its graders mount), its own UTS name, data root and exec
root. A veth pair joins the two namespaces. Every address comes from
198.18.0.0/15 (the benchmarking range) and lives only inside the namespaces made here:
the veth pair, each Engine's bridges and the swarm's overlay pool. `nsenter` (not `ip
netns exec`, which remounts /sys and loses the cgroup mounts) puts dockerd in its
namespace.

The host reaches a node's Engine through a second socket in the node's directory, and a
node's published port through a socket opened inside its namespace (`connect_inside`):
nothing is published on the host. `SwarmNodes.remove` undoes everything, in reverse, and
runs even when bringing the nodes up failed halfway.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require

CLONE_NEWNET = 0x40000000
# The veth pair's /24, then each node's own bridges and the swarm's overlay networks.
LINK_PREFIX = "198.18.0"
OVERLAY_POOL = "198.18.128.0/18"
ENGINE_START_SECONDS = 60
TOOLS = ("dockerd", "docker", "unshare", "nsenter", "ip")


def missing_tools() -> list[str]:
    """The commands a node needs that this machine lacks."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def run(*command: str, timeout: float = 120, stdin=None) -> str:
    """Run a command that must succeed; its standard output."""
    done = subprocess.run(
        command, capture_output=True, text=stdin is None, timeout=timeout, stdin=stdin
    )
    if done.returncode != 0:
        err = done.stderr if isinstance(done.stderr, str) else done.stderr.decode()
        raise AssertionError(f"{' '.join(command[:6])}: exit {done.returncode}: {err[-2000:]}")
    return done.stdout if isinstance(done.stdout, str) else done.stdout.decode()


@dataclass
class SwarmNode:
    """One Docker Engine in its own network, mount and UTS namespaces."""

    name: str  # also the node's host name, as the swarm (and a GradeResult) names it
    netns: str
    address: str
    index: int
    directory: Path
    storage_driver: str = "overlay2"  # storage_driver_for() decides
    process: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.directory / "dockerd.log"

    @property
    def socket_path(self) -> Path:
        """The Engine's socket as the host sees it (the node's own is in its /run)."""
        return self.directory / "docker.sock"

    def docker(self, *args: str, timeout: float = 120, stdin=None) -> str:
        """A docker CLI command against this node's Engine."""
        return run(
            "docker", "-H", f"unix://{self.socket_path}", *args, timeout=timeout, stdin=stdin
        )

    def start(self) -> None:
        """Start dockerd in the node's namespaces; return once it answers."""
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        # The node's bridges: a /24 for docker0, a /18 pool for its local networks.
        bridge = f"198.18.{8 + self.index}.1/24"
        pool = f"base=198.18.{64 + 16 * self.index}.0/20,size=24"
        config = self.directory / "daemon.json"
        config.write_text("{}\n")  # not the host's /etc/docker/daemon.json
        dockerd = [
            "dockerd",
            "--config-file", str(config),
            "--data-root", str(data),
            "--exec-root", "/run/docker",
            "--pidfile", str(self.directory / "dockerd.pid"),
            "--host", "unix:///var/run/docker.sock",
            "--host", f"unix://{self.socket_path}",
            "--bip", bridge,
            "--default-address-pool", pool,
            "--storage-driver", self.storage_driver,
            "--log-level", "warn",
        ]  # fmt: skip
        script = f'mount -t tmpfs -o mode=755 tmpfs /run && hostname {self.name} && exec "$@"'
        command = [
            "nsenter", f"--net=/run/netns/{self.netns}", "--",
            "unshare", "--mount", "--uts", "--propagation", "slave", "--",
            "sh", "-c", script, "node", *dockerd,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + ENGINE_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dockerd of {self.name} stopped: {self.tail_of_log()}")
            done = subprocess.run(
                ["docker", "-H", f"unix://{self.socket_path}", "version"],
                capture_output=True, timeout=10, check=False,
            )  # fmt: skip
            if done.returncode == 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"dockerd of {self.name} did not answer: {self.tail_of_log()}")

    def tail_of_log(self, characters: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop dockerd (its containers with it), then whatever is left in its namespace."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._kill_what_is_left()

    def kill_engine(self) -> None:
        """The node's whole Docker Engine dies at once, as in a crash: SIGKILL to dockerd,
        its containerd, the shims and every container (the graders and their sandboxes).

        What is on disk stays (the data root: containers, images, the swarm's state), so
        `start()` brings back the same Engine, which finds its containers dead. A fresh
        /run comes with it, as after a reboot.
        """
        assert self.process is not None and self.process.poll() is None, "Engine not running"
        # All in one go, containers first: a grader that outlived its Engine by a moment
        # would see it gone and fail its job as an infrastructure error, another fault.
        engine = self._pids_in_namespace()
        for pid in [child for parent in engine for child in children_of(parent)] + engine:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self._kill_what_is_left()

    def _pids_in_namespace(self) -> list[int]:
        """dockerd, containerd and the shims (a container has a network namespace of its own)."""
        listed = subprocess.run(
            ["ip", "netns", "pids", self.netns], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in listed.stdout.split()]

    def _kill_what_is_left(self) -> None:
        # Shims and container processes that outlived their Engine, by pid (they are ours).
        # A container has network and pid namespaces of its own, so only its shim is in the
        # node's network namespace: the shim's children (each container's init; the kernel
        # then ends everything in that pid namespace) go first, then the shim.
        for _ in range(20):
            pids = self._pids_in_namespace()
            if not pids:
                break
            inits = [child for shim in pids for child in children_of(shim)]
            for pid in inits + pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.25)


def children_of(pid: int) -> list[int]:
    """The direct children of a process (from /proc), [] once it is gone."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def connect_inside(netns: str, port: int, timeout: float = 30) -> socket.socket:
    """A TCP connection to 127.0.0.1:port inside a network namespace.

    A socket belongs to the namespace of the thread that created it: a short-lived thread
    enters the namespace (setns affects only itself), makes the socket and ends; the
    connection is then used from anywhere, and the host's network is never touched.
    """
    made: dict[str, object] = {}

    def make() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
            finally:
                os.close(fd)
            made["socket"] = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except Exception as error:  # handed to the caller's thread
            made["error"] = error

    thread = threading.Thread(target=make)
    thread.start()
    thread.join()
    if "error" in made:
        raise made["error"]  # type: ignore[misc]
    sock: socket.socket = made["socket"]  # type: ignore[assignment]
    sock.settimeout(timeout)
    try:
        sock.connect(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class SwarmNodes:
    """Node A (the manager) and node B (a worker), joined by a veth pair."""

    directory: Path
    suffix: str = field(default_factory=lambda: secrets.token_hex(3))
    nodes: list[SwarmNode] = field(default_factory=list)
    veth_made: bool = False

    @property
    def manager(self) -> SwarmNode:
        return self.nodes[0]

    @property
    def worker(self) -> SwarmNode:
        return self.nodes[1]

    def create(self) -> None:
        """Namespaces, the veth pair, both Engines, then the swarm."""
        remove_abandoned_namespaces()
        for index, letter in enumerate("ab"):
            node = SwarmNode(
                name=f"swarm-{letter}-{self.suffix}",
                netns=f"cpswarm-{letter}-{self.suffix}",
                address=f"{LINK_PREFIX}.{index + 1}",
                index=index,
                directory=self.directory / letter,
            )
            node.directory.mkdir(parents=True)
            self.nodes.append(node)
            run("ip", "netns", "add", node.netns)
            run("ip", "-n", node.netns, "link", "set", "lo", "up")
        a, b = self.nodes
        run("ip", "link", "add", f"cpva{self.suffix}", "netns", a.netns,
            "type", "veth", "peer", "name", f"cpvb{self.suffix}", "netns", b.netns)  # fmt: skip
        self.veth_made = True
        for node, link in ((a, f"cpva{self.suffix}"), (b, f"cpvb{self.suffix}")):
            run("ip", "-n", node.netns, "addr", "add", f"{node.address}/24", "dev", link)
            run("ip", "-n", node.netns, "link", "set", link, "up")
        storage = storage_driver_for(self.directory)
        for node in self.nodes:
            node.storage_driver = storage
            node.start()
        a.docker(
            "swarm", "init", "--advertise-addr", a.address, "--listen-addr", f"{a.address}:2377",
            "--default-addr-pool", OVERLAY_POOL, "--default-addr-pool-mask-length", "24",
        )  # fmt: skip
        token = a.docker("swarm", "join-token", "--quiet", "worker").strip()
        b.docker(
            "swarm", "join", "--token", token, "--advertise-addr", b.address,
            "--listen-addr", f"{b.address}:2377", f"{a.address}:2377",
        )  # fmt: skip

    def ready_nodes(self) -> dict[str, str]:
        """Each swarm node's host name and status, as the manager sees them."""
        listed = self.manager.docker("node", "ls", "--format", "{{.Hostname}} {{.Status}}")
        return dict(line.split() for line in listed.splitlines() if line.strip())

    def load_images(self, per_node: dict[str, list[str]]) -> None:
        """Copy images from the host's Engine into each node's, all nodes at once."""
        loads = []
        for node in self.nodes:
            images = per_node[node.name]
            save = subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE)
            load = subprocess.Popen(
                ["docker", "-H", f"unix://{node.socket_path}", "load", "--quiet"],
                stdin=save.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            save.stdout.close()
            loads.append((node, save, load))
        for node, save, load in loads:
            _, error = load.communicate(timeout=600)
            save.wait(timeout=60)
            assert save.returncode == 0 and load.returncode == 0, (
                f"images into {node.name}: {error.decode()[-2000:]}"
            )

    def remove(self) -> None:
        """Stop both Engines, delete the namespaces (the veth goes with them) and the data."""
        for node in reversed(self.nodes):
            node.stop()
        for node in self.nodes:
            subprocess.run(["ip", "netns", "del", node.netns], capture_output=True, check=False)
        if self.veth_made:  # gone with its namespaces; this only catches a half-made one
            subprocess.run(
                ["ip", "link", "del", f"cpva{self.suffix}"], capture_output=True, check=False
            )
        shutil.rmtree(self.directory, ignore_errors=True)


def remove_abandoned_namespaces() -> None:
    """Delete the swarm namespaces of runs that were killed before their `remove` (a session
    or a CI job cut short): those no process lives in. A live run's namespaces hold its
    Engines, so they are left alone."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    for line in listed.stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        if not name.startswith("cpswarm-"):
            continue
        pids = subprocess.run(
            ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
        )
        if pids.returncode == 0 and not pids.stdout.strip():
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def storage_driver_for(directory: Path) -> str:
    """overlay2 where the data root's filesystem can hold it (ext4, xfs), else vfs."""
    probe = directory / "overlay-probe"
    parts = {name: probe / name for name in ("lower", "upper", "work", "merged")}
    for path in parts.values():
        path.mkdir(parents=True)
    options = f"lowerdir={parts['lower']},upperdir={parts['upper']},workdir={parts['work']}"
    mounted = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", options, str(parts["merged"])],
        capture_output=True, check=False,
    )  # fmt: skip
    if mounted.returncode == 0:
        subprocess.run(["umount", str(parts["merged"])], capture_output=True, check=False)
    shutil.rmtree(probe, ignore_errors=True)
    return "overlay2" if mounted.returncode == 0 else "vfs"


@pytest.fixture(scope="module")
def two_node_swarm(tmp_path_factory) -> Iterator[SwarmNodes]:
    """A two-node swarm (A the manager, B a worker), removed with all it made afterwards."""
    require(os.geteuid() == 0, "a swarm of extra Engines needs root (namespaces, dockerd)")
    # A node's socket is /var/run/docker.sock under its private /run: were /var/run not
    # /run, its dockerd would take the host's socket.
    require(Path("/var/run").resolve() == Path("/run"), "/var/run is not a link to /run")
    missing = missing_tools()
    require(not missing, f"missing for the swarm's nodes: {', '.join(missing)}")
    nodes = SwarmNodes(tmp_path_factory.mktemp("swarm"))
    started = time.monotonic()
    try:
        nodes.create()
        print(f"\ntwo-node swarm formed in {time.monotonic() - started:.1f} s")
        yield nodes
    finally:
        nodes.remove()
