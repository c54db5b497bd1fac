"""``python -m ecsdeploy plan|deploy|destroy|push [options]``.

Exit status: 0 done (or nothing to do), 1 AWS refused or failed something (one line naming it),
2 a bad argument (one line naming it). Arguments are checked before any AWS call.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from artifacts.context import DEFAULT_ENV, DEFAULT_SERVICE
from artifacts.loader import ArtifactError
from ecsdeploy.aws import Aws, new_botocore_session
from ecsdeploy.errors import EXIT_FAILED, EXIT_USAGE, DeployError, UsageError, describe_client_error
from ecsdeploy.image import push_image
from ecsdeploy.inputs import DEFAULT_SUBNETS, StackInputs
from ecsdeploy.stack import deploy, destroy, plan

PROG = "ecsdeploy"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    parser.add_argument("--profile", help="named profile (default: AWS_PROFILE or the chain)")
    parser.add_argument("--endpoint-url", help="send every call here (default: AWS_ENDPOINT_URL)")
    parser.add_argument("--service", default=DEFAULT_SERVICE, help="default: %(default)s")
    parser.add_argument("--env", default=DEFAULT_ENV, help="default: %(default)s")
    parser.add_argument("--image-tag", default="latest", help="tag in ECR (default: latest)")


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in (
        ("plan", "show the change set deploy would execute, then delete it"),
        ("deploy", "create or update the stack and follow its events"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        _common(sub)
        sub.add_argument("--image", default="", help="full image reference instead of the tag")
        sub.add_argument(
            "--subnets", default=DEFAULT_SUBNETS, help="subnet ids, comma-separated, or `default`"
        )
        sub.add_argument("--assign-public-ip", action="store_true", help="tasks get public IPs")
        sub.add_argument("--min-tasks", type=_count, default=1)
        sub.add_argument("--max-tasks", type=_count, default=4)
        sub.add_argument("--no-load-balancer", action="store_true", help="no ALB in front")
        sub.add_argument("--certificate-arn", default="", help="ACM certificate for HTTPS")
        sub.add_argument("--api-key-name", default="api-key", help="name under /<service>/<env>/")
    sub = commands.add_parser("destroy", help="delete the stack and the API key deploy made")
    _common(sub)
    sub.add_argument("--yes", action="store_true", help="do not ask (make YES=1)")
    sub.add_argument("--keep-images", action="store_true", help="keep the ECR repository")
    text = "push <service>:<tag> (built by make image) to the service's ECR repository"
    _common(commands.add_parser("push", help=text, description=text))
    return parser


def _inputs(args: argparse.Namespace, region: str) -> StackInputs:
    inputs = StackInputs(
        service=args.service,
        env=args.env,
        region=region,
        image_tag=args.image_tag,
        **(
            {
                "subnets": args.subnets,
                "image": args.image,
                "min_tasks": args.min_tasks,
                "max_tasks": args.max_tasks,
                "load_balancer": not args.no_load_balancer,
                "certificate_arn": args.certificate_arn,
                "public_ip": args.assign_public_ip,
                "api_key_name": args.api_key_name,
            }
            if args.command in ("plan", "deploy")
            else {}
        ),
    )
    inputs.validate()
    return inputs


def _confirm(inputs: StackInputs) -> None:
    prompt = (
        f"Delete stack {inputs.stack_name} in {inputs.region} and everything in it? "
        f"Type {inputs.stack_name} to confirm: "
    )
    try:
        answer = input(prompt)
    except EOFError:
        answer = ""
    if answer.strip() != inputs.stack_name:
        raise DeployError("not confirmed: nothing was deleted (YES=1 skips the question)")


def _emit(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    """Carry out the parsed command."""
    try:
        session = boto3.Session(botocore_session=new_botocore_session(), profile_name=args.profile)
    except ProfileNotFound as exc:
        raise UsageError(str(exc)) from None
    region = args.region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise UsageError("no region: set REGION (or AWS_REGION, or a profile's region)")
    inputs = _inputs(args, region)
    aws = Aws(session=session, region=region, endpoint_url=args.endpoint_url or None)
    if args.command == "plan":
        return plan(aws, inputs, _emit)
    if args.command == "deploy":
        return deploy(aws, inputs, _emit)
    if args.command == "destroy":
        if not args.yes:
            _confirm(inputs)
        return destroy(aws, inputs, _emit, keep_images=args.keep_images)
    return push_image(aws, inputs, _emit)


def _fail(message: str, status: int) -> int:
    prefix = f"{PROG}: error: " if status == EXIT_USAGE else f"{PROG}: "
    print(prefix + message, file=sys.stderr, flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, validate and run; every failure is one message and an exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (2) or the help (0)
        return int(exc.code or 0)
    try:
        return run(args)
    except (UsageError, ArtifactError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except DeployError as exc:
        return _fail(str(exc), EXIT_FAILED)
    except ClientError as exc:
        return _fail(describe_client_error(exc), EXIT_FAILED)
    except BotoCoreError as exc:
        return _fail(f"AWS call failed: {exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted: run the same command again to resume", 130)
