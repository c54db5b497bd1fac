"""Serve several WSGI apps on one port, chosen by path prefix (as ECS serves credentials and
metadata on one link-local address)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def path_dispatcher(apps: Mapping[str, WsgiApp]) -> WsgiApp:
    """A WSGI app that hands each request to the app whose prefix its path starts with."""
    routes = sorted(apps.items(), key=lambda item: len(item[0]), reverse=True)

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, app in routes:
            if path.startswith(prefix):
                return app(environ, start_response)
        body = json.dumps({"code": "NotFound", "message": "no endpoint at this path"}).encode()
        start_response(
            "404 Not Found",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return dispatch
