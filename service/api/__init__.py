"""The HTTP API: thin blueprints that parse and validate, call a plain function, and shape JSON."""

from __future__ import annotations

from flask import Flask

from service.api.health import health
from service.api.identity import identity
from service.api.messages import messages

# GET routes whose work is not safe to repeat for a HEAD: werkzeug answers HEAD by running the GET
# view and dropping the body, so a HEAD of GET /messages would receive messages (hiding them for
# their visibility timeout) and throw their receipt handles away.
NO_HEAD_ENDPOINTS = frozenset({"messages.receive"})


def register_blueprints(app: Flask) -> None:
    """Register every route of the API (HEAD only where GET has no side effect)."""
    for blueprint in (health, identity, messages):
        app.register_blueprint(blueprint)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NO_HEAD_ENDPOINTS and rule.methods is not None:
            # werkzeug adds HEAD to every GET rule and has no switch for it; the router reads
            # ``methods`` on each match, so a HEAD is then a 405 like any other unrouted method.
            rule.methods.discard("HEAD")
