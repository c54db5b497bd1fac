"""An embedded moto server with the IAM compatibility bridges, and ``python -m ecslocal.moto_server``.

::

    from ecslocal.moto_server import EmbeddedMoto

    with EmbeddedMoto() as moto:            # or: moto = EmbeddedMoto(); endpoint = moto.start()
        endpoint = moto.endpoint            # http://127.0.0.1:<free port>
        ...                                 # bootstrap, enable enforcement, run the task
    # stopped: no serving thread, no handler thread, no socket left

moto's backends and its IAM enforcement switch are process-global: every EmbeddedMoto in a process
serves the same state. The first one started in a process installs the bridges
(:mod:`ecslocal.motocompat`), clears moto's state and switches enforcement off; the last one
stopped uninstalls the bridges it installed and restores the enforcement switch, so a test process
is left as it was found.

An external server for ``--aws-endpoint`` only has the bridges when it is started through here:
``python -m ecslocal.moto_server [--host H] [--port N]`` prints its endpoint on one line and stops
cleanly on SIGINT or SIGTERM. Such a server lists its bridges at :data:`BRIDGES_PATH`, so the
runtime can refuse a plain moto server before it changes anything there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from types import FrameType, TracebackType
from typing import Any

import moto
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import ThreadedWSGIServer

from ecslocal import motocompat

DEFAULT_HOST = "127.0.0.1"
# How long stop() waits for requests in flight (a long poll may run up to 20 s; its thread is a
# daemon and never keeps the process alive).
STOP_TIMEOUT_SECONDS = 5.0
# GET here answers {"moto": version, "bridges": [names]}; a plain moto server has no such path.
BRIDGES_PATH = "/ecslocal/bridges"


class MotoServerError(RuntimeError):
    """The embedded moto server cannot start (bad address, port in use, wrong moto version)."""


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without one access-log line per AWS call."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Access lines are noise here; errors are still logged by the handler."""


class _TrackingServer(ThreadedWSGIServer):
    """werkzeug's threaded server that can close its open connections and join their threads.

    boto3 keeps connections alive, so a handler thread waits on an idle socket until the client
    closes it. moto's ThreadedMotoServer leaves those threads and its listening socket behind.
    """

    daemon_threads = True
    block_on_close = False  # stop() joins with a deadline instead of waiting forever

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"moto-request-{client_address[1]}",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def close_connections(self, timeout: float) -> None:
        """Shut down every open connection and wait up to ``timeout`` s for its thread."""
        with self._connections_lock:
            connections = list(self._connections.items())
        for connection, _ in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        per_thread = timeout / max(len(connections), 1)
        for _, thread in connections:
            thread.join(per_thread)


def _listing_bridges(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """moto's WSGI app, with :data:`BRIDGES_PATH` answered in front of it."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != BRIDGES_PATH:
            return app(environ, start_response)
        listing = {"moto": moto.__version__, "bridges": list(motocompat.installed())}
        body = json.dumps(listing).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return serve


# Process-wide bookkeeping: moto state, bridges and the enforcement switch are shared.
_running_lock = threading.Lock()
_running = 0
_bridges_installed_here = False
_saved_auth: motocompat.EnforcementSwitch | None = None


def _first_start() -> None:
    global _bridges_installed_here, _saved_auth
    _bridges_installed_here = not motocompat.installed()
    motocompat.install()
    _saved_auth = motocompat.enforcement_switch()
    # A fresh account with enforcement off: no users, roles or queues from an earlier server.
    motocompat.set_enforcement_switch((float("inf"), 0))
    motocompat.reset_backends()


def _last_stop() -> None:
    global _bridges_installed_here, _saved_auth
    if _saved_auth is not None:
        motocompat.set_enforcement_switch(_saved_auth)
        _saved_auth = None
    if _bridges_installed_here:
        motocompat.uninstall()
        _bridges_installed_here = False


class EmbeddedMoto:
    """A moto server on a thread of this process, with the compatibility bridges installed.

    ``port=0`` (the default) picks a free port. :meth:`start` returns the endpoint URL; :meth:`stop`
    closes the listening socket and every open connection and joins the threads. Also a context
    manager. IAM enforcement starts off (see :func:`ecslocal.bootstrap.enable_enforcement`).
    """

    def __init__(self, host: str = DEFAULT_HOST, port: int = 0, *, quiet: bool = True) -> None:
        self.host = host
        self.port = port
        self._quiet = quiet
        self._server: _TrackingServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The server's URL, e.g. ``http://127.0.0.1:49152``; only while it runs."""
        if self._server is None:
            raise MotoServerError("the moto server is not running: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.port}"

    def start(self) -> str:
        """Install the bridges (idempotent), bind, serve on a thread; return the endpoint URL."""
        global _running
        if self._server is not None:
            raise MotoServerError(f"the moto server is already running at {self.endpoint}")
        with _running_lock:
            if _running == 0:
                try:
                    _first_start()
                except motocompat.MotoVersionError as exc:
                    raise MotoServerError(str(exc)) from None
            _running += 1
        try:
            self._server = self._make_server()
        except (OSError, OverflowError, ValueError) as exc:
            self._release()
            raise MotoServerError(f"cannot listen on {self.host}:{self.port}: {exc}") from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"moto-server-{self._server.port}",
            daemon=True,
        )
        self._thread.start()
        return self.endpoint

    def _make_server(self) -> _TrackingServer:
        # Bind here: on a bind error werkzeug prints and calls sys.exit(1), which would end the
        # whole runtime (or, in moto's ThreadedMotoServer, leave start() waiting forever).
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.create_server((self.host, self.port), family=family) as listener:
            return _TrackingServer(
                self.host,
                listener.getsockname()[1],
                _listing_bridges(DomainDispatcherApplication(create_backend_app)),
                handler=_QuietRequestHandler if self._quiet else MotoRequestHandler,
                fd=listener.fileno(),  # werkzeug duplicates the descriptor
            )

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop serving, close every socket, join the threads (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()  # returns once serve_forever has left its loop
        if thread is not None:
            thread.join(timeout)
        server.server_close()
        server.close_connections(timeout)
        self._release()

    @staticmethod
    def _release() -> None:
        global _running
        with _running_lock:
            _running -= 1
            if _running == 0:
                _last_stop()

    def __enter__(self) -> EmbeddedMoto:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.endpoint if self._server is not None else "stopped"
        return f"EmbeddedMoto({where})"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535, 0 = any free)")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve moto with the bridges until SIGINT or SIGTERM; print the endpoint when ready."""
    parser = argparse.ArgumentParser(
        prog="python -m ecslocal.moto_server",
        description="Serve moto with the local runtime's IAM compatibility bridges installed. "
        "Prints the endpoint URL on one line when ready; stops on Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on (0: any free)")
    args = parser.parse_args(argv)

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = EmbeddedMoto(args.host, args.port)
    try:
        endpoint = server.start()
    except MotoServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(endpoint, flush=True)
        while not stop_requested.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
