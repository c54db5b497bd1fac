"""The Flask app factory: configuration validated once, AWS clients and the checker built once.

``create_app`` is what the WSGI entry point (:mod:`service.wsgi`) and the tests call. Routes live
in :mod:`service.api`; errors become JSON in :mod:`service.errors`; the API key check, request
logging and the OpenAPI document are installed here in the order requests meet them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from botocore.exceptions import BotoCoreError
from flask import Flask

from service.api import register_blueprints
from service.auth import install_api_key_check
from service.aws import AwsClients, build_clients
from service.awserrors import translate
from service.capacity import install_aws_request_cap
from service.config import ConfigError, Settings
from service.denials import describe_denial
from service.errors import AccessDenied, ServiceError, register_error_handlers
from service.identity import CredentialChecker, Expectations
from service.identity.checker import redact_environment
from service.logs import configure_logging, install_request_logging
from service.messages import MAX_REQUEST_BYTES
from service.queues import ServiceQueues
from service.readiness import ReadinessProbe
from service.startup import log_identity_in_background
from service.state import EXTENSION, IDENTITY_AT_START, ServiceState


def create_app(
    settings: Settings | None = None,
    clients: AwsClients | None = None,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """Build the service's app.

    ``settings`` default to :meth:`Settings.from_env` of ``environ`` (default ``os.environ``),
    which raises :class:`~service.config.ConfigError` naming every problem. ``clients`` default to
    one session and one client per service for the settings' region; a credential chain that
    cannot even be loaded is a ``ConfigError`` too.
    """
    environ = os.environ if environ is None else environ
    settings = settings or Settings.from_env(environ)
    configure_logging()
    if clients is None:
        try:
            clients = build_clients(settings.region)
        except BotoCoreError as exc:
            # botocore resolves the chain while it builds a client: a named profile that does not
            # exist, half a key pair or a malformed container credentials variable is a
            # configuration error, not a crash.
            problem = (
                f"the AWS credential chain cannot be loaded: {redact_environment(exc, environ)}"
            )
            raise ConfigError([problem]) from None
    checker = CredentialChecker(clients, Expectations.from_settings(settings), environ=environ)

    def describe(error: ServiceError) -> str:
        if isinstance(error, AccessDenied):
            return describe_denial(error, settings, checker.last_report())
        return error.message

    queues = ServiceQueues.from_settings(settings)
    state = ServiceState(
        settings=settings,
        clients=clients,
        queues=queues,
        checker=checker,
        readiness=ReadinessProbe(clients, queues, describe=describe),
    )

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = state
    # Hook order is the order a request meets them: request id and timing, then the API key.
    install_request_logging(app)
    install_api_key_check(app, lambda: settings.api_key)
    install_aws_request_cap(app, settings.aws_request_limit)
    register_error_handlers(app, translate_aws=translate, render_access_denied=describe)
    register_blueprints(app)

    app.extensions[IDENTITY_AT_START] = log_identity_in_background(checker)
    return app
