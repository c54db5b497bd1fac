"""Start-up steps shared by the app factory, the WSGI entry point and the gunicorn config.

A configuration error stops start-up with one message naming every problem and no traceback; the
identity line says once per process which role and credential source the process runs with.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import NoReturn

from service.config import ConfigError
from service.errors import IdentityUnavailable
from service.identity import CredentialChecker, report_to_dict

# gunicorn stops (rather than respawning workers) when a worker exits with 4, "app failed to load".
CONFIG_ERROR_EXIT = 4

log = logging.getLogger("service.startup")


def exit_on_config_error(error: ConfigError) -> NoReturn:
    """Print the configuration problems to stderr and exit without a traceback."""
    print(f"courier: cannot start: {error}", file=sys.stderr, flush=True)
    raise SystemExit(CONFIG_ERROR_EXIT)


def log_identity_in_background(checker: CredentialChecker) -> threading.Thread:
    """Log the identity from a thread of its own: start-up never waits on AWS.

    With AWS hung, the worker serves ``/healthz`` at once and the line comes when the bounded
    calls give up (and ``/readyz`` says why the service is not ready meanwhile).
    """
    thread = threading.Thread(
        target=log_identity, args=(checker,), name="identity-at-start", daemon=True
    )
    thread.start()
    return thread


def log_identity(checker: CredentialChecker) -> None:
    """Log the process's identity once (role and credential source); never raises."""
    try:
        report = checker.report()
    except IdentityUnavailable as error:
        log.warning(
            "identity unknown: %s",
            error.message,
            extra={
                "event": "identity",
                "error": error.code,
                "warnings": [finding.code for finding in error.warnings],
            },
        )
        return
    except Exception as exc:  # start-up must not fail on a check; the type says enough
        log.warning(
            "identity check failed (%s)",
            type(exc).__name__,
            extra={"event": "identity", "error": type(exc).__name__},
        )
        return
    document = report_to_dict(report)
    credentials = document["credentials"]
    log.log(
        logging.WARNING if report.has_errors else logging.INFO,
        "running as %s with %s credentials",
        report.describe_principal(),
        credentials["source"],
        extra={
            "event": "identity",
            "account": report.account,
            "arn": report.arn,
            "principal_type": report.principal_type,
            "role_name": report.role_name,
            "credential_source": credentials["source"],
            "access_key_id": credentials["access_key_id"],
            "expires_at": credentials["expires_at"],
            "warnings": [finding.code for finding in report.warnings],
        },
    )
