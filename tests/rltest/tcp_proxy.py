"""A TCP proxy on 127.0.0.1 that a test can partition (black-hole) and heal.

``TcpProxy(target_port).start()`` listens on a free port and forwards every connection to
``127.0.0.1:<target_port>``. ``partition()`` stops forwarding without refusing or closing
anything: bytes already sent wait unread, new connections are accepted and left silent, as a
network that drops packets looks to a client that cannot tell. ``heal()`` forwards again, the
waiting bytes first. Being a userspace proxy, its kernel still acknowledges what clients send,
so TCP keepalives and ``tcp_user_timeout`` never fire through it: only timeouts the client
keeps itself do.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from dataclasses import dataclass, field

__all__ = ["TcpProxy"]

_CHUNK = 64 * 1024


@dataclass
class _Pair:
    client: socket.socket
    server: socket.socket
    pending: dict[socket.socket, bytearray] = field(default_factory=dict)


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>`` on one thread of its own."""

    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._pairs: dict[socket.socket, _Pair] = {}
        self._held: list[socket.socket] = []  # accepted during a partition, not yet connected
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self.connections = 0

    def start(self) -> TcpProxy:
        """Start forwarding; returns the proxy."""
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread.start()
        return self

    @property
    def partitioned(self) -> bool:
        """Whether forwarding is stopped."""
        return not self._forwarding.is_set()

    def partition(self) -> None:
        """Stop forwarding in both directions; connections stay open and silent."""
        self._forwarding.clear()
        self._wake()

    def heal(self) -> None:
        """Forward again: held connections are connected, waiting bytes delivered."""
        self._forwarding.set()
        self._wake()

    def close(self) -> None:
        """Stop the thread and close every socket."""
        self._stop.set()
        self._wake()
        self._thread.join(timeout=10)
        for pair in list(self._pairs.values()):
            self._drop(pair)
        for held in self._held:
            held.close()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        self._selector.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the forwarding thread ------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._rearm()
            for key, _ in self._selector.select(timeout=0.5):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        self._wake_r.recv(4096)
                elif self._forwarding.is_set():
                    self._pump(key.fileobj)  # type: ignore[arg-type]

    def _rearm(self) -> None:
        """Watch every socket while forwarding, none while partitioned."""
        forwarding = self._forwarding.is_set()
        if forwarding:
            held, self._held = self._held, []
            for client in held:
                self._connect(client)
        for sock in list(self._pairs):
            registered = sock in self._selector.get_map()
            if forwarding and not registered:
                self._selector.register(sock, selectors.EVENT_READ, "data")
            elif not forwarding and registered:
                self._selector.unregister(sock)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        self.connections += 1
        if self._forwarding.is_set():
            self._connect(client)
        else:
            self._held.append(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, server):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(client, server)
        self._pairs[client] = self._pairs[server] = pair
        if self._forwarding.is_set():
            for sock in (client, server):
                self._selector.register(sock, selectors.EVENT_READ, "data")

    def _pump(self, sock: socket.socket) -> None:
        pair = self._pairs.get(sock)
        if pair is None:
            return
        other = pair.server if sock is pair.client else pair.client
        try:
            data = sock.recv(_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(pair)
            return
        try:
            other.setblocking(True)
            other.sendall(data)
            other.setblocking(False)
        except OSError:
            self._drop(pair)

    def _drop(self, pair: _Pair) -> None:
        for sock in (pair.client, pair.server):
            self._pairs.pop(sock, None)
            if sock.fileno() != -1 and sock in self._selector.get_map():
                self._selector.unregister(sock)
            sock.close()
