"""The API key's SecureString, which CloudFormation cannot create: made once, never shown.

``deploy`` creates it when missing (a random value, encrypted with the stack's key, tagged as
made here) and never overwrites it; ``destroy`` deletes it only when that tag says deploy made it.
"""

from __future__ import annotations

import secrets

from botocore.exceptions import ClientError

from artifacts.context import DeploymentContext
from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError

CREATED_BY_TAG = {"Key": "created-by", "Value": "ecsdeploy"}


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("ParameterNotFound", "InvalidResourceId")


def ensure_api_key(aws: Aws, context: DeploymentContext) -> bool:
    """Create the API key parameter if it does not exist; True when it was created."""
    ssm = aws.client("ssm")
    name = context.api_key_parameter
    try:
        found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
            "Parameters"
        ]
        if found:
            return False
        ssm.put_parameter(
            Name=name,
            Value=secrets.token_urlsafe(32),
            Type="SecureString",
            KeyId=context.parameter_key_alias,
            Description=f"API key of {context.prefix} (made by make deploy; never printed)",
            Tags=[CREATED_BY_TAG],
        )
    except ClientError as exc:
        raise DeployError(aws.explain(exc, name)) from None
    return True


def delete_api_key(aws: Aws, context: DeploymentContext) -> bool:
    """Delete the API key parameter if deploy created it; True when it was deleted."""
    ssm = aws.client("ssm")
    name = context.api_key_parameter
    try:
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        if CREATED_BY_TAG not in tags:
            return False
        ssm.delete_parameter(Name=name)
    except ClientError as exc:
        if _missing(exc):
            return False
        raise DeployError(aws.explain(exc, name)) from None
    return True
