"""A loopback TCP relay in front of a server, which watches the requests going through it.

Put between the service and moto (``AWS_ENDPOINT_URL`` at the relay), it tells a test the moment an
AWS action reaches the server (an event, not a sleep) and counts how often it did.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Forwards loopback connections to ``upstream_port``; counts requests carrying ``marker``."""

    def __init__(self, upstream_port: int, marker: bytes) -> None:
        self.upstream_port = upstream_port
        self.marker = marker
        self.seen = threading.Event()  # set when ``marker`` first passes
        self.count = 0  # request chunks that carried ``marker``
        self._lock = threading.Lock()
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(256)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, watch: bool) -> None:
        try:
            while data := source.recv(65536):
                if watch and self.marker in data:
                    with self._lock:
                        self.count += 1
                    self.seen.set()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):  # the other side may have closed first
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop accepting connections."""
        self.server.close()
