"""plan, deploy and destroy: CloudFormation change sets and stack events, nothing per resource."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from artifacts.template import PARAMETERS_KEY, render_template_text
from ecsdeploy.apikey import delete_api_key, ensure_api_key
from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError
from ecsdeploy.inputs import (
    StackInputs,
    repository_exists,
    require_image,
    resolve_network,
    stack_parameters,
)

Emit = Callable[[str], None]
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]
POLL_SECONDS = 2.0
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_SYMBOLS = {"Add": "+", "Modify": "~", "Remove": "-", "Import": "<", "Dynamic": "?"}


def _stack(aws: Aws, name: str) -> dict[str, Any] | None:
    try:
        return aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
            return None
        raise DeployError(aws.explain(exc, f"stack {name}")) from None


def _owns_repository(aws: Aws, name: str) -> bool:
    resources = aws.client("cloudformation").list_stack_resources(StackName=name)
    return any(r["LogicalResourceId"] == "Repository" for r in resources["StackResourceSummaries"])


def _prepare(aws: Aws, inputs: StackInputs) -> tuple[str, list[dict[str, Any]]]:
    """Check everything checkable first; the change set type and the parameters."""
    aws.account_id()  # credentials work, before anything else
    name = inputs.stack_name
    stack = _stack(aws, name)
    status = stack["StackStatus"] if stack else None
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        raise DeployError(
            f"stack {name} is {status} and cannot be updated: make destroy, then deploy again"
        )
    if status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError(f"stack {name} is busy ({status}): wait for it to finish and run again")
    network = resolve_network(aws, inputs)
    require_image(aws, inputs)
    creating = status in (None, "REVIEW_IN_PROGRESS")
    owned = not creating and _owns_repository(aws, name)
    create_repository = owned or not repository_exists(aws, inputs.context)
    return ("CREATE" if creating else "UPDATE"), stack_parameters(
        inputs, network, create_repository
    )


def _create_change_set(aws: Aws, inputs: StackInputs) -> tuple[str, str, list[dict[str, Any]]]:
    """Create a change set and wait for it: (its ARN, its type, its changes)."""
    kind, parameters = _prepare(aws, inputs)
    cfn = aws.client("cloudformation")
    try:
        arn = cfn.create_change_set(
            StackName=inputs.stack_name,
            ChangeSetName=f"ecsdeploy-{uuid.uuid4().hex[:12]}",
            ChangeSetType=kind,
            TemplateBody=render_template_text(),
            Parameters=parameters,
            Capabilities=CAPABILITIES,
        )["Id"]
        while True:
            described = cfn.describe_change_set(ChangeSetName=arn)
            if described["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                break
            time.sleep(POLL_SECONDS)
        changes = list(described.get("Changes", []))
        while described.get("NextToken"):
            described = cfn.describe_change_set(ChangeSetName=arn, NextToken=described["NextToken"])
            changes += described.get("Changes", [])
    except ClientError as exc:
        raise DeployError(aws.explain(exc, f"stack {inputs.stack_name}")) from None
    reason = described.get("StatusReason", "")
    if described["Status"] == "FAILED" and not any(text in reason for text in _NO_CHANGES):
        _discard(aws, arn, kind, inputs.stack_name)
        raise DeployError(f"the change set for {inputs.stack_name} failed: {reason}")
    return arn, kind, changes


def _discard(aws: Aws, arn: str, kind: str, stack_name: str) -> None:
    """Delete the change set (and the empty stack a CREATE change set leaves behind)."""
    cfn = aws.client("cloudformation")
    cfn.delete_change_set(ChangeSetName=arn)
    if kind == "CREATE":
        stack = _stack(aws, stack_name)
        if stack and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
            cfn.delete_stack(StackName=stack_name)


def describe_change(change: dict[str, Any]) -> str:
    """One line per resource change: ``+ Add     TaskRole (AWS::IAM::Role)``."""
    resource = change.get("ResourceChange", {})
    action = resource.get("Action", "?")
    line = f"  {_SYMBOLS.get(action, '?')} {action:<7} {resource.get('LogicalResourceId')} ({resource.get('ResourceType')})"
    if resource.get("Replacement") == "True":
        line += "  REPLACED"
    return line


def plan(aws: Aws, inputs: StackInputs, emit: Emit) -> int:
    """Show what deploy would change, then delete the change set: nothing else changes."""
    arn, kind, changes = _create_change_set(aws, inputs)
    try:
        if not changes:
            emit(f"No changes: stack {inputs.stack_name} is up to date")
        else:
            verb = "create" if kind == "CREATE" else "update"
            emit(f"Plan to {verb} stack {inputs.stack_name} ({len(changes)} changes):")
            for change in changes:
                emit(describe_change(change))
    finally:
        _discard(aws, arn, kind, inputs.stack_name)
    return 0


def _events(aws: Aws, stack_id: str) -> list[dict[str, Any]]:
    """The stack's events, oldest first."""
    pages = (
        aws.client("cloudformation")
        .get_paginator("describe_stack_events")
        .paginate(StackName=stack_id)
    )
    return [event for page in pages for event in page["StackEvents"]][::-1]


def follow(
    aws: Aws,
    stack_id: str,
    seen: set[str],
    emit: Emit,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Print the stack's new events until it is no longer in progress; its final description."""
    cfn = aws.client("cloudformation")
    first_failure: dict[str, Any] | None = None
    while True:
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        for event in _events(aws, stack_id):
            if event["EventId"] in seen:
                continue
            seen.add(event["EventId"])
            status = event.get("ResourceStatus", "")
            reason = event.get("ResourceStatusReason") or ""
            emit(
                f"  {status:<20} {event['LogicalResourceId']} ({event['ResourceType']}){' ' + reason if reason else ''}"
            )
            if status.endswith("_FAILED") and first_failure is None:
                first_failure = event
            if on_event:
                on_event(event)
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            stack["FirstFailure"] = first_failure
            return stack
        time.sleep(POLL_SECONDS)


def failure_message(stack: dict[str, Any]) -> str:
    """The first failing resource and its reason, from what :func:`follow` returned."""
    failure = stack.get("FirstFailure")
    if not failure:
        return stack.get("StackStatusReason") or "no reason given"
    return (
        f"first failure {failure['LogicalResourceId']} ({failure['ResourceType']}): "
        f"{failure.get('ResourceStatusReason') or 'no reason given'}"
    )


def deploy(aws: Aws, inputs: StackInputs, emit: Emit) -> int:
    """Create or update the stack with a change set, following its events to the end."""
    context = inputs.context
    arn, kind, changes = _create_change_set(aws, inputs)
    if not changes:
        _discard(aws, arn, kind, inputs.stack_name)
        emit(f"No changes: stack {inputs.stack_name} is up to date")
        if ensure_api_key(aws, context):
            emit(f"Created the API key {context.api_key_parameter} (SecureString; value not shown)")
        return 0
    cfn = aws.client("cloudformation")
    stack_id = cfn.describe_change_set(ChangeSetName=arn)["StackId"]
    seen = {event["EventId"] for event in _events(aws, stack_id)}
    emit(
        f"{'Creating' if kind == 'CREATE' else 'Updating'} stack {inputs.stack_name} ({len(changes)} changes)"
    )

    def key_ready(event: dict[str, Any]) -> None:
        # The key exists from here on: the secret can be encrypted with it before tasks need it.
        ready = (event["LogicalResourceId"], event.get("ResourceStatus"))
        if ready == (PARAMETERS_KEY, "CREATE_COMPLETE") and ensure_api_key(aws, context):
            emit(f"Created the API key {context.api_key_parameter} (SecureString; value not shown)")

    try:
        cfn.execute_change_set(ChangeSetName=arn)
        stack = follow(aws, stack_id, seen, emit, key_ready)
    except ClientError as exc:
        raise DeployError(aws.explain(exc, f"stack {inputs.stack_name}")) from None
    status = stack["StackStatus"]
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise DeployError(f"deploy failed ({status}): {failure_message(stack)}")
    ensure_api_key(aws, context)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    url = f" Service URL: {outputs['ServiceUrl']}" if "ServiceUrl" in outputs else ""
    emit(f"Stack {inputs.stack_name} is {status}.{url}")
    return 0


def destroy(aws: Aws, inputs: StackInputs, emit: Emit, *, keep_images: bool) -> int:
    """Delete the stack, the API key deploy made and (unless ``keep_images``) the repository."""
    aws.account_id()
    context = inputs.context
    stack = _stack(aws, inputs.stack_name)
    try:
        if delete_api_key(aws, context):
            emit(f"Deleted the API key parameter {context.api_key_parameter}")
        if stack is None:
            emit(f"No stack {inputs.stack_name} in {inputs.region}")
        else:
            stack_id = stack["StackId"]
            seen = {event["EventId"] for event in _events(aws, stack_id)}
            emit(f"Deleting stack {inputs.stack_name}")
            aws.client("cloudformation").delete_stack(StackName=stack_id)
            final = follow(aws, stack_id, seen, emit)
            if final["StackStatus"] != "DELETE_COMPLETE":
                raise DeployError(
                    f"destroy failed ({final['StackStatus']}): {failure_message(final)}"
                )
            emit(f"Deleted stack {inputs.stack_name}")
        if keep_images:
            emit(f"Kept the ECR repository {context.ecr_repository} (KEEP_IMAGES=1)")
        elif repository_exists(aws, context):
            aws.client("ecr").delete_repository(repositoryName=context.ecr_repository, force=True)
            emit(f"Deleted the ECR repository {context.ecr_repository} and its images")
    except ClientError as exc:
        raise DeployError(aws.explain(exc, f"stack {inputs.stack_name}")) from None
    return 0
