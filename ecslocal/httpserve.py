"""Serve a WSGI app on a loopback port in a background thread (the endpoints the agent provides)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines would name credential ids; the runtime reports what matters."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ServedApp:
    """A WSGI app listening on ``host:port`` (port 0 picks a free one) until :meth:`stop`."""

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, name: str = "http"
    ) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"ecslocal-{name}", daemon=True
        )
        self.host = host
        self.port = self._server.server_port

    def set_app(self, app: Any) -> None:
        """Serve ``app`` (for an app that needs to know the port it is served on)."""
        self._server.app = app

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ServedApp:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests and close the socket."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
