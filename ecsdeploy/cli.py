"""``python -m ecsdeploy plan|deploy|destroy|image|push [options]``.

Exit status: 0 done (or nothing to do), 1 AWS refused or failed something (the message names the
missing permission, or what was done and what was not), 2 a bad argument (the message names it).
Arguments are checked before any AWS call.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from artifacts.context import (
    DEFAULT_ENV,
    DEFAULT_SERVICE,
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    ContextError,
)
from artifacts.loader import ArtifactError
from artifacts.render import POLICIES_DIR, TASKDEF_FILE, render_artifacts
from ecsdeploy import options
from ecsdeploy.commands import Inputs, destroy, make_context, plan_or_deploy, print_cli, session_for
from ecsdeploy.desired import Settings
from ecsdeploy.errors import EXIT_FAILED, EXIT_USAGE, DeployError, UsageError, describe_client_error
from ecsdeploy.image import build_image, push_image

PROG = "ecsdeploy"


def _common(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("AWS")
    aws.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's region)")
    aws.add_argument("--profile", help="named profile (default: AWS_PROFILE or the default chain)")
    aws.add_argument(
        "--endpoint-url", help="send every call to this endpoint (default: AWS_ENDPOINT_URL)"
    )
    aws.add_argument(
        "--account-id",
        help="the account you expect: refuse to run when the credentials are for another "
        "(with --print-cli: the account to render for, without any AWS call)",
    )
    names = parser.add_argument_group("deployment")
    names.add_argument(
        "--service", default=DEFAULT_SERVICE, help="service name (default: %(default)s)"
    )
    names.add_argument("--env", default=DEFAULT_ENV, help="environment name (default: %(default)s)")
    names.add_argument(
        "--cluster", help="ECS cluster (default: <service>-<env>, created if missing)"
    )


def _image(parser: argparse.ArgumentParser, full_reference: bool) -> None:
    group = parser.add_argument_group("image")
    if full_reference:
        group.add_argument("--image", help="full image reference (default: the ECR repository's)")
    group.add_argument("--image-tag", help="tag in the service's ECR repository (default: latest)")


def _print_cli(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--print-cli",
        action="store_true",
        help="print the equivalent AWS CLI commands (and write the JSON they read); change nothing",
    )
    parser.add_argument(
        "--cli-dir",
        type=Path,
        default=Path("build/ecsdeploy"),
        help="where --print-cli writes its JSON files (default: %(default)s/<service>-<env>)",
    )


def _waiting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-wait", action="store_true", help="do not wait for the service (make WAIT=0)"
    )
    parser.add_argument(
        "--wait-timeout", type=float, default=900.0, help="seconds to wait (default: %(default)s)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Deploy the service to ECS on Fargate from the shipped artifacts; plan, "
        "apply idempotently, tear down.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in (
        ("plan", "show what deploy would create or change; change nothing"),
        ("deploy", "create what is missing, update what differs, wait for the service"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        _common(sub)
        _image(sub, full_reference=True)
        net = sub.add_argument_group("network and scaling")
        net.add_argument(
            "--subnets",
            action="append",
            help="subnet ids for the tasks, comma-separated or repeated, or `default` for the "
            "default VPC's subnets (required by deploy)",
        )
        net.add_argument(
            "--security-groups",
            action="append",
            help="security group ids (default: the subnets' VPC default group)",
        )
        net.add_argument(
            "--assign-public-ip",
            action="store_true",
            help="give tasks a public IP (default: none; use private subnets with a NAT or VPC endpoints)",
        )
        net.add_argument("--min-tasks", help="fewest tasks (default: MIN_TASKS or 1)")
        net.add_argument("--max-tasks", help="most tasks (default: MAX_TASKS or 4)")
        net.add_argument(
            "--backlog-target",
            type=int,
            default=100,
            help="visible pending messages to aim for when scaling (default: %(default)s)",
        )
        net.add_argument(
            "--log-retention-days",
            type=int,
            default=30,
            help="days CloudWatch keeps the logs (default: %(default)s)",
        )
        arts = sub.add_argument_group("artifacts")
        arts.add_argument("--policies", type=Path, default=POLICIES_DIR, help="policies directory")
        arts.add_argument("--taskdef", type=Path, default=TASKDEF_FILE, help="task definition file")
        _waiting(sub)
        _print_cli(sub)

    sub = commands.add_parser(
        "destroy",
        help="delete what deploy created (only what carries its tags)",
        description="Delete what deploy created: only resources carrying the deployment's tags.",
    )
    _common(sub)
    sub.add_argument("--yes", action="store_true", help="do not ask for confirmation (make YES=1)")
    _waiting(sub)
    _print_cli(sub)

    for name, text in (
        ("image", "docker build -f docker/Dockerfile . as <service>:<tag>"),
        ("push", "push <service>:<tag> to the service's ECR repository (created if missing)"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        _common(sub)
        _image(sub, full_reference=False)
    return parser


def resolve_inputs(args: argparse.Namespace, env: dict[str, str]) -> Inputs:
    """Validate every argument (no AWS call) and gather them; raise UsageError naming a bad one."""
    session = session_for(args.profile)
    # boto3 reads AWS_DEFAULT_REGION and the profile; AWS_REGION (what ECS and the SDKs set) wins.
    region = args.region or env.get("AWS_REGION") or session.region_name
    if args.command == "image" and not region:
        region = LOCAL_REGION  # building calls no AWS service
    region = options.check_region(region)
    account_id = options.check_account_id(args.account_id)
    cluster = options.check_cluster(args.cluster)
    image, image_tag = options.check_image(
        getattr(args, "image", None), getattr(args, "image_tag", None)
    )
    command = args.command
    inputs = Inputs(
        command=command,
        region=region,
        session=session,
        service=args.service,
        env=args.env,
        endpoint_url=args.endpoint_url or None,
        account_id=account_id,
        image=image,
        image_tag=image_tag,
        yes=getattr(args, "yes", False),
        print_cli=getattr(args, "print_cli", False),
        cli_dir=getattr(args, "cli_dir", Path("build/ecsdeploy")),
    )
    make_context(inputs, account_id or LOCAL_ACCOUNT_ID)  # names: raises ContextError
    wait = not getattr(args, "no_wait", False)
    timeout = options.check_positive(getattr(args, "wait_timeout", 900.0), "--wait-timeout")
    if command not in ("plan", "deploy"):
        return _replace(inputs, settings=Settings(cluster=cluster, wait=wait, wait_timeout=timeout))

    subnets = options.check_subnets(
        options.split_ids(args.subnets),
        required=command == "deploy" and not inputs.print_cli,
    )
    groups = options.check_security_groups(options.split_ids(args.security_groups))
    min_tasks = options.parse_task_count(args.min_tasks or env.get("MIN_TASKS"), "min tasks", 1)
    max_tasks = options.parse_task_count(args.max_tasks or env.get("MAX_TASKS"), "max tasks", 4)
    options.check_task_bounds(min_tasks, max_tasks)
    options.check_positive(args.backlog_target, "--backlog-target")
    settings = Settings(
        cluster=cluster,
        min_tasks=min_tasks,
        max_tasks=max_tasks,
        backlog_target=args.backlog_target,
        log_retention_days=options.check_log_retention(args.log_retention_days),
        wait=wait,
        wait_timeout=timeout,
    )
    inputs = _replace(
        inputs,
        subnets=subnets,
        security_groups=groups,
        assign_public_ip=args.assign_public_ip,
        settings=settings,
        policies_dir=args.policies,
        taskdef_file=args.taskdef,
    )
    # Render once with a stand-in account: unreadable or malformed artifacts stop here.
    render_artifacts(make_context(inputs, LOCAL_ACCOUNT_ID), args.policies, args.taskdef)
    return inputs


def _replace(inputs: Inputs, **changes: object) -> Inputs:
    return dataclasses.replace(inputs, **changes)  # type: ignore[arg-type]


def _emit(line: str) -> None:
    print(line, flush=True)


def run(inputs: Inputs) -> int:
    """Carry out the command ``inputs`` describe."""
    if inputs.print_cli:
        return print_cli(inputs, _emit)
    if inputs.command in ("plan", "deploy"):
        return plan_or_deploy(inputs, _emit, apply=inputs.command == "deploy")
    if inputs.command == "destroy":
        return destroy(inputs, _emit)
    if inputs.command == "image":
        return build_image(inputs, _emit)
    return push_image(inputs, _emit)


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
        inputs = resolve_inputs(args, dict(os.environ))
    except (UsageError, ContextError, ArtifactError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        return run(inputs)
    except (UsageError, ContextError, ArtifactError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except DeployError as exc:
        return _fail(str(exc), EXIT_FAILED)
    except ClientError as exc:
        return _fail(describe_client_error(exc), EXIT_FAILED)
    except BotoCoreError as exc:
        return _fail(f"AWS call failed: {exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted: run the same command again to resume", 130)
