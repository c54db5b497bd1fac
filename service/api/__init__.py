"""The HTTP API: thin blueprints that parse and validate, call a plain function, and shape JSON."""

from __future__ import annotations

from flask import Flask

from service.api.health import health
from service.api.identity import identity
from service.api.messages import messages


def register_blueprints(app: Flask) -> None:
    """Register every route of the API."""
    for blueprint in (health, identity, messages):
        app.register_blueprint(blueprint)
