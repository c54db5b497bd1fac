"""The commands: plan, deploy, destroy and their ``--print-cli`` form.

Deploy runs in two phases because the execution-role policy names the KMS key by id: the key (and
its alias) first, then everything else rendered with the key's real id. ``plan`` shows both phases
at once; while the key does not exist, documents that name it are rendered with a placeholder id.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.exceptions import ProfileNotFound

from artifacts.context import PLACEHOLDER_KEY_ID, DeploymentContext
from artifacts.render import POLICIES_DIR, TASKDEF_FILE, render_artifacts
from ecsdeploy.apply import apply_changes
from ecsdeploy.aws import Aws, new_botocore_session
from ecsdeploy.desired import Deployment, Settings, desired_deployment, parameter_key
from ecsdeploy.errors import DeployError, UsageError
from ecsdeploy.model import CliWriter, Resolved
from ecsdeploy.network import resolve_network
from ecsdeploy.options import DEFAULT_SUBNETS
from ecsdeploy.planner import plan_resources, show_plan, teardown_resources
from ecsdeploy.resources.ecs import Network
from ecsdeploy.wait import wait_for_stable

Emit = Callable[[str], None]


@dataclass(frozen=True)
class Inputs:
    """Everything the operator asked for, validated (see :mod:`ecsdeploy.cli`)."""

    command: str
    region: str
    session: boto3.Session
    service: str
    env: str
    endpoint_url: str | None = None
    account_id: str | None = None
    image: str | None = None
    image_tag: str | None = None
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    assign_public_ip: bool = False
    settings: Settings = field(default_factory=Settings)
    policies_dir: Path = POLICIES_DIR
    taskdef_file: Path = TASKDEF_FILE
    print_cli: bool = False
    cli_dir: Path = Path("build/ecsdeploy")
    yes: bool = False


def session_for(profile: str | None) -> boto3.Session:
    """The operator's session (``--profile`` or the default chain)."""
    try:
        session = boto3.Session(botocore_session=new_botocore_session(), profile_name=profile)
        session.region_name  # noqa: B018 - reads the profile: an unknown one fails here
    except ProfileNotFound as exc:
        # The profile may come from AWS_PROFILE rather than --profile: name the one botocore tried.
        name = exc.kwargs.get("profile", profile)
        raise UsageError(f"unknown profile {name!r}: not in your AWS config files") from None
    return session


def make_context(
    inputs: Inputs, account_id: str, key_id: str = PLACEHOLDER_KEY_ID
) -> DeploymentContext:
    """The deployment context for ``account_id`` (raises ContextError on a bad name)."""
    context = DeploymentContext(
        account_id=account_id,
        region=inputs.region,
        service=inputs.service,
        env=inputs.env,
        image=inputs.image or "",
        parameter_key_id=key_id,
    )
    if inputs.image_tag:
        image = f"{context.ecr_registry}/{context.ecr_repository}:{inputs.image_tag}"
        context = dataclasses.replace(context, image=image)
    return context


def build_deployment(
    inputs: Inputs, account_id: str, key_id: str, settings: Settings | None = None
) -> Deployment:
    """Render the artifacts for the account and key, and derive the desired state."""
    artifacts = render_artifacts(
        make_context(inputs, account_id, key_id), inputs.policies_dir, inputs.taskdef_file
    )
    return desired_deployment(artifacts, settings or inputs.settings)


def connect(inputs: Inputs) -> tuple[Aws, str]:
    """The run's AWS access and the account it is in (checked against ``--account-id``)."""
    aws = Aws(inputs.session, inputs.region, inputs.endpoint_url)
    account = aws.account_id()
    if inputs.account_id and account != inputs.account_id:
        raise UsageError(
            f"--account-id {inputs.account_id} does not match the account of your credentials "
            f"({account}): check AWS_PROFILE"
        )
    return aws, account


def _image_note(aws: Aws, deployment: Deployment, context: DeploymentContext) -> list[str]:
    prefix = f"{context.ecr_registry}/{context.ecr_repository}:"
    image = context.image_uri
    if not image.startswith(prefix):
        return []
    tag = image.removeprefix(prefix)
    if deployment.repository.has_image(aws, tag):
        return []
    return [
        f"warning: image {image} is not in ECR yet: push it first (make push TAG={tag}), or the "
        "service's tasks cannot start"
    ]


def _settings_with_network(inputs: Inputs, aws: Aws, notes: list[str]) -> Settings:
    if not inputs.subnets:
        return inputs.settings
    network, network_notes = resolve_network(
        aws, inputs.subnets, inputs.security_groups, inputs.assign_public_ip
    )
    notes += network_notes
    return dataclasses.replace(inputs.settings, network=network)


def plan_or_deploy(inputs: Inputs, emit: Emit, apply: bool) -> int:
    """Show the plan; with ``apply``, carry it out and wait for the service."""
    aws, account = connect(inputs)
    notes: list[str] = []
    settings = _settings_with_network(inputs, aws, notes)
    resolved = Resolved()
    base = make_context(inputs, account)
    key_plan = plan_resources(aws, [parameter_key(base)], resolved)
    key_id = resolved.parameter_key_id or PLACEHOLDER_KEY_ID
    deployment = build_deployment(inputs, account, key_id, settings)
    main_plan = plan_resources(aws, deployment.apply_order(), resolved)
    context = make_context(inputs, account, key_id)
    notes += _image_note(aws, deployment, context)
    if resolved.parameter_key_id is None:
        notes.append(
            f"the KMS key {base.parameter_key_alias} does not exist yet: documents naming it are "
            "shown with a placeholder key id, and rendered with the real one once it is created"
        )
    plan = key_plan + main_plan
    plan.notes += notes

    where = f"{context.prefix} in account {account}, region {inputs.region}"
    if not plan.changes and not plan.conflicts:
        emit(f"No changes: {where} is up to date.")
        show_plan(plan, emit)
        if apply and settings.wait:  # an earlier run may have stopped before the service settled
            _wait(aws, deployment, settings, emit)
        return 0
    emit(f"Plan for {where}: {plan.counts()}.")
    show_plan(plan, emit)
    if plan.conflicts:
        raise DeployError(
            f"{len(plan.conflicts)} resource(s) with our names exist without our tags: this tool "
            "changes only what it created. Delete or rename them, or deploy under another "
            "--service/--env. Nothing was changed."
        )
    if not apply:
        return 0

    emit("Applying:")
    done = apply_changes(aws, key_plan.changes, emit, later=main_plan.changes)
    if resolved.parameter_key_id != key_id:
        # The key was just created: render again with its id and plan the rest anew.
        key_id = resolved.parameter_key_id or PLACEHOLDER_KEY_ID
        deployment = build_deployment(inputs, account, key_id, settings)
        resolved = Resolved(parameter_key_id=key_id)
        main_plan = plan_resources(aws, deployment.apply_order(), resolved)
        if main_plan.conflicts:
            show_plan(main_plan, emit)
            raise DeployError("a conflict appeared while deploying; nothing more was changed")
    done = apply_changes(aws, main_plan.changes, emit, done_before=done)
    emit(f"Applied {len(done)} change(s) to {where}.")
    if settings.wait:
        _wait(aws, deployment, settings, emit)
    elif resolved.service_changed:
        emit("Not waiting for the service to become stable (--no-wait).")
    return 0


def _wait(aws: Aws, deployment: Deployment, settings: Settings, emit: Emit) -> None:
    service = deployment.service
    wait_for_stable(aws, service.cluster, service.name, settings.wait_timeout)
    emit(f"Service {service.name} is stable.")


def _confirm(prompt: str) -> bool:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def destroy(inputs: Inputs, emit: Emit) -> int:
    """Delete the deployment's resources that carry its tags, after a confirmation."""
    aws, account = connect(inputs)
    deployment = build_deployment(inputs, account, PLACEHOLDER_KEY_ID)
    plan = teardown_resources(aws, deployment.teardown_order())
    context = make_context(inputs, account)
    where = f"{context.prefix} in account {account}, region {inputs.region}"
    changes = plan.changes
    if not changes:
        emit(f"Nothing to delete: no resource of {where} carries its tags.")
        show_plan(plan, emit)
        return 0
    deletions = sum(change.verb == "delete" for change in changes)
    emit(f"Destroy {where}: {deletions} to delete.")
    show_plan(plan, emit)
    if not inputs.yes and not _confirm(f"Delete these resources of {where}? [y/N] "):
        emit("Nothing deleted.")
        return 1
    done = apply_changes(aws, changes, emit)
    emit(f"Destroyed: {len(done)} step(s) done for {where}.")
    return 0


def print_cli(inputs: Inputs, emit: Emit) -> int:
    """Print the equivalent AWS CLI commands and write the documents they read."""
    if inputs.account_id:
        account, key_id, aws = inputs.account_id, PLACEHOLDER_KEY_ID, None
    else:
        aws, account = connect(inputs)
        resolved = Resolved()
        plan_resources(aws, [parameter_key(make_context(inputs, account))], resolved)
        key_id = resolved.parameter_key_id or PLACEHOLDER_KEY_ID
    settings = inputs.settings
    if inputs.subnets and aws is not None:
        settings = _settings_with_network(inputs, aws, [])
    elif inputs.subnets and inputs.subnets != [DEFAULT_SUBNETS]:  # no AWS call: ids as given
        network = Network(
            tuple(inputs.subnets),
            tuple(inputs.security_groups) or ("sg-REPLACE_ME",),
            inputs.assign_public_ip,
        )
        settings = dataclasses.replace(settings, network=network)
    deployment = build_deployment(inputs, account, key_id, settings)
    context = make_context(inputs, account, key_id)
    directory = inputs.cli_dir / context.prefix
    cli = CliWriter(directory.resolve(), inputs.region, inputs.endpoint_url)
    region = f"account {account}, region {inputs.region}"
    if inputs.command == "destroy":
        emit(f"# Delete {context.prefix} in {region} by hand, in this order.")
        emit("# Check each resource first: destroy itself deletes only what carries the tags")
        emit(f"# {deployment.key.ownership.describe()}.")
        for resource in deployment.teardown_order():
            emit(f"# {resource.kind} {resource.name}")
            for line in resource.cli_delete(cli):
                emit(line)
        return 0

    key_lines = deployment.key.cli_create(cli)
    body: list[str] = []
    for resource in deployment.apply_order():
        body.append(f"# {resource.kind} {resource.name}")
        body += resource.cli_create(cli)
    emit(f"# Create {context.prefix} in {region} from scratch with the AWS CLI, in this order.")
    emit(f"# The documents are written to {directory.resolve()}/ exactly as deploy sends them.")
    emit("# (`make plan` shows what differs in an account that already has some of it.)")
    emit(f"# {deployment.key.kind} {deployment.key.name}")
    for line in key_lines:
        emit(line)
    placeholder_files = [
        str(path) for path in cli.written.values() if PLACEHOLDER_KEY_ID in path.read_text()
    ]
    if key_id == PLACEHOLDER_KEY_ID and placeholder_files:
        emit("# Put the new key's id into the documents that name it:")
        files = " ".join(placeholder_files)
        emit(f'sed -i.bak "s/{PLACEHOLDER_KEY_ID}/$KEY_ID/g" {files}')
    if "REPLACE_ME" in (cli.directory / "service-network-configuration.json").read_text():
        emit(
            "# Edit service-network-configuration.json first: put your subnets and security "
            "groups in place of the REPLACE_ME ids."
        )
    for line in body:
        emit(line)
    return 0
