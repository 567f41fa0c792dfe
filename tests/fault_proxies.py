"""A forwarding proxy that a test cuts and restores: a real outage of one dependency.

Put it between a process under test and a server (the Docker Engine's unix socket,
PostgreSQL's TCP port), point the process at the proxy, then `cut()`: the listening
socket closes (a new connection is refused, as from a server that is down) and every live
connection is closed under its users (as when the server dies). `restore()` listens on the
same address again. The server itself is never touched, so other users of it (the
machine's own dockerd, other tests' databases) see nothing.

One thread accepts, two threads per connection copy bytes; plain sockets, no dependency.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading

Address = str | tuple[str, int]  # a unix socket's path, or (host, port)
CHUNK_BYTES = 64 * 1024


class FaultProxy:
    """Forward connections from `listen` to `target` until cut."""

    def __init__(self, listen: Address, target: Address) -> None:
        self.listen_address = listen
        self.target = target
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()

    def start(self) -> FaultProxy:
        """Listen (again) and forward; returns self."""
        if isinstance(self.listen_address, str):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.listen_address)  # a cut proxy's stale socket file
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(self.listen_address)
        if not isinstance(self.listen_address, str):
            self.listen_address = listener.getsockname()[:2]  # port 0: the one picked
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        """Refuse new connections and close the live ones, at once."""
        with self._lock:
            listener, self._listener = self._listener, None
            live, self._live = self._live, set()
        if listener is not None:
            _close(listener)
        for connection in live:
            _close(connection)

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                family = socket.AF_UNIX if isinstance(self.target, str) else socket.AF_INET
                upstream = socket.socket(family, socket.SOCK_STREAM)
                upstream.connect(self.target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._live.update((client, upstream))
            pair = (client, upstream)
            ended = threading.Barrier(2, action=lambda pair=pair: self._forget(pair))
            for source, sink in (pair, pair[::-1]):
                threading.Thread(target=_pump, args=(source, sink, ended), daemon=True).start()

    def _forget(self, pair: tuple[socket.socket, socket.socket]) -> None:
        with self._lock:
            self._live.difference_update(pair)
        for sock in pair:
            _close(sock)


def _pump(source: socket.socket, sink: socket.socket, ended: threading.Barrier) -> None:
    """Copy one direction; when both directions ended, the pair is closed."""
    try:
        while data := source.recv(CHUNK_BYTES):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)  # pass the end of the stream on
    except OSError:
        _close(source)
        _close(sink)
    with contextlib.suppress(threading.BrokenBarrierError):
        ended.wait()


def _close(sock: socket.socket) -> None:
    # shutdown first: close alone would not wake a thread blocked in recv on it.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
