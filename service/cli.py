"""``python -m service``: the identity report in a terminal, and the container health check.

``whoami`` exits 0 when the report has no error-severity warning, 1 otherwise (or when STS cannot
answer, or the region is malformed), 2 when no credentials are found. ``healthcheck`` is what the task definition's health check
runs inside the image: it uses the standard library only and needs no AWS access.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from service.config import DEFAULT_PORT, parse_port  # standard library only, like the check

if TYPE_CHECKING:
    from service.aws import AwsClients

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_NO_CREDENTIALS = 2

HEALTHCHECK_TIMEOUT_SECONDS = 3.0
# botocore's pseudo-region for the global STS endpoint (signed for us-east-1).
GLOBAL_STS_REGION = "aws-global"


def healthcheck(env: Mapping[str, str]) -> int:
    """GET /healthz on the local service; 0 on HTTP 200, else 1 with a one-line reason."""
    port_text = env.get("PORT") or str(DEFAULT_PORT)
    port = parse_port(port_text)
    if port is None:
        print(f"healthcheck: PORT {port_text!r} is not a port number", file=sys.stderr)
        return EXIT_PROBLEMS
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTHCHECK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except urllib.error.URLError as exc:
        print(f"healthcheck: GET {url} failed: {exc.reason}", file=sys.stderr)
        return EXIT_PROBLEMS
    except TimeoutError:
        print(
            f"healthcheck: GET {url} timed out after {HEALTHCHECK_TIMEOUT_SECONDS:g} s",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    except OSError as exc:
        print(f"healthcheck: GET {url} failed: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if status != 200:
        print(f"healthcheck: GET {url} answered HTTP {status}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"healthcheck: GET {url} answered HTTP 200")
    return EXIT_OK


def _build_clients(region: str | None) -> AwsClients:
    """The service's clients; without a region, a session with only the (global) STS client."""
    from botocore.exceptions import NoRegionError

    from service.aws import CLIENT_CONFIG, AwsClients, build_clients

    try:
        return build_clients(region)
    except NoRegionError:
        # SQS needs a region, STS does not: still report the identity (with REGION_MISSING),
        # asking the global STS endpoint the way boto3 does for a client without a region.
        import boto3

        session = boto3.Session()
        sts = session.client("sts", region_name=GLOBAL_STS_REGION, config=CLIENT_CONFIG)
        return AwsClients(session=session, sqs=None, sts=sts, probe_sqs=None)


def whoami(env: Mapping[str, str], as_json: bool) -> int:
    """Print the identity report; the exit status says whether it is the right identity."""
    # Imported here so that the health check starts fast and needs no AWS library.
    from service.config import REGION_RE, region_from_env
    from service.errors import CredentialsUnavailable, IdentityUnavailable
    from service.identity import (
        CredentialChecker,
        Expectations,
        diagnose_without_credentials,
        error_to_dict,
        error_to_text,
        report_to_dict,
        report_to_text,
    )
    from service.identity.checker import redact_environment

    expectations = Expectations.from_env(env)
    region = region_from_env(env)
    try:
        if region is not None and not REGION_RE.match(region):
            # botocore would refuse it while building the clients, which reads like a
            # credentials problem.
            raise IdentityUnavailable(
                f"AWS_REGION (or AWS_DEFAULT_REGION) {region!r} is not a region name like "
                "eu-west-1",
                diagnose_without_credentials(expectations, env, region),
            )
        try:
            clients = _build_clients(region)
        except Exception as exc:
            # boto3 resolves credentials while it builds clients: a broken chain fails here.
            raise CredentialsUnavailable(
                f"The AWS credentials could not be loaded: {redact_environment(exc, env)}",
                diagnose_without_credentials(expectations, env, region),
            ) from None
        report = CredentialChecker(clients, expectations, environ=env).report()
    except IdentityUnavailable as error:
        if as_json:
            print(json.dumps(error_to_dict(error), indent=2))
        else:
            print(error_to_text(error), file=sys.stderr)
        return EXIT_NO_CREDENTIALS if isinstance(error, CredentialsUnavailable) else EXIT_PROBLEMS
    print(json.dumps(report_to_dict(report), indent=2) if as_json else report_to_text(report))
    return EXIT_PROBLEMS if report.has_errors else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m service",
        description="Tools for the courier service process.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    who = commands.add_parser(
        "whoami",
        help="report the AWS identity this process holds and what is wrong with it",
        description=(
            "Report the AWS identity the default credential chain yields, where it came from "
            "and any warnings (the same report as GET /whoami)."
        ),
        epilog=(
            "exit status:\n"
            "  0  no error-severity warning\n"
            "  1  an error-severity warning, a malformed region, or STS could not confirm the\n"
            "     identity\n"
            "  2  no credentials found"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    who.add_argument("--json", action="store_true", help="print the /whoami JSON document")
    commands.add_parser(
        "healthcheck",
        help="GET http://127.0.0.1:$PORT/healthz (exit 0 on HTTP 200, else 1)",
        description="Check the local service's liveness endpoint with a 3 s timeout.",
    )
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    if args.command == "healthcheck":
        return healthcheck(env)
    return whoami(env, args.json)
