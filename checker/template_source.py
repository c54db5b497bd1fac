"""Read the roles and the task definition out of ``cloudformation/template.yaml`` for the checker.

The template's intrinsic functions are resolved for one deployment context (the parameters'
defaults, the context's account and region, the context's key ARN for the template's key), so the
checker's rules run on the template exactly as on ``policies/`` and ``taskdef/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from artifacts.cfn_case import from_cloudformation
from artifacts.context import DeploymentContext
from artifacts.loader import ArtifactError
from artifacts.render import ArtifactSet

ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
TASK_DEFINITION = "AWS::ECS::TaskDefinition"
_SUB_RE = re.compile(r"\$\{([^}]*)\}")


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Sub``) read as their long form."""


def _short_form(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _short_form)


class _Resolver:
    """Evaluates the intrinsic functions the template uses, for one context."""

    def __init__(self, template: dict[str, Any], context: DeploymentContext, source: str) -> None:
        self.template = template
        self.source = source
        self.values: dict[str, Any] = {
            "AWS::AccountId": context.account_id,
            "AWS::Region": context.region,
            "AWS::Partition": context.partition,
            "AWS::URLSuffix": context.dns_suffix,
            "AWS::NoValue": None,
        }
        for name, spec in (template.get("Parameters") or {}).items():
            if "Default" in spec:
                self.values[name] = spec["Default"]
        self.key_arn = context.parameter_key_arn

    def attribute(self, resource: str, name: str) -> str:
        kind = self.template.get("Resources", {}).get(resource, {}).get("Type")
        if kind == "AWS::KMS::Key" and name == "Arn":
            return self.key_arn
        raise ArtifactError(f"{self.source}: cannot resolve {resource}.{name} offline")

    def condition(self, name: str) -> bool:
        return bool(self(self.template.get("Conditions", {})[name]))

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self(v) for v in value) if item is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                if argument not in self.values:
                    raise ArtifactError(f"{self.source}: Ref {argument} has no default value")
                return self.values[argument]
            if function == "Fn::Sub":
                return _SUB_RE.sub(lambda m: self._sub(m.group(1)), argument)
            if function == "Fn::GetAtt":
                return self.attribute(*argument)
            if function == "Fn::If":
                name, yes, no = argument
                return self(yes if self.condition(name) else no)
            if function == "Fn::Equals":
                left, right = (self(v) for v in argument)
                return str(left) == str(right)
            if function == "Fn::Not":
                return not self(argument[0])
            if function == "Fn::And":
                return all(self(v) for v in argument)
            if function == "Condition":
                return self.condition(argument)
        return {key: self(item) for key, item in value.items()}

    def _sub(self, name: str) -> str:
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if "." in name:
            return self.attribute(*name.split(".", 1))
        if name not in self.values:
            raise ArtifactError(f"{self.source}: ${{{name}}} has no default value")
        return str(self.values[name])


def load_template(path: Path) -> dict[str, Any]:
    """Parse the template; an :class:`ArtifactError` names the file when it cannot be read."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ArtifactError(f"{path}: cannot read the template: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise ArtifactError(f"{path}: not a CloudFormation template (no Resources)")
    return document


def _one(resources: dict[str, Any], kind: str, path: Path) -> tuple[str, dict[str, Any]]:
    found = [(name, r) for name, r in resources.items() if r.get("Type") == kind]
    if len(found) != 1:
        raise ArtifactError(f"{path}: expected one {kind}, found {len(found)}")
    return found[0]


def _role_policy(resources: dict[str, Any], role: str, path: Path) -> dict[str, Any]:
    """Every statement granted to ``role`` (its inline policies and the policies naming it)."""
    role_properties = resources[role].get("Properties", {})
    documents = [p["PolicyDocument"] for p in role_properties.get("Policies", [])]
    for resource in resources.values():
        if resource.get("Type") == POLICY:
            properties = resource.get("Properties", {})
            if {"Ref": role} in properties.get("Roles", []):
                documents.append(properties["PolicyDocument"])
    if not documents:
        raise ArtifactError(f"{path}: role {role} has no permission policy")
    statements = [s for document in documents for s in document.get("Statement", [])]
    return {"Version": documents[0].get("Version", "2012-10-17"), "Statement": statements}


def _role_of(resources: dict[str, Any], arn: Any) -> str:
    """The logical id of the role a task definition's role ARN refers to."""
    for name, resource in resources.items():
        if resource.get("Type") != ROLE:
            continue
        role_name = resource.get("Properties", {}).get("RoleName")
        if arn == {"Fn::GetAtt": [name, "Arn"]} or (
            isinstance(arn, dict) and isinstance(role_name, dict)
            and str(arn.get("Fn::Sub", "")).endswith(f":role/{role_name.get('Fn::Sub')}")
        ):  # fmt: skip
            return name
    raise ArtifactError(f"role ARN {arn} names no role of the template")


def template_artifacts(path: Path, context: DeploymentContext) -> ArtifactSet:
    """The template's trust policy, role policies and task definition, resolved for ``context``."""
    template = load_template(path)
    resources = template["Resources"]
    resolve = _Resolver(template, context, str(path))
    _, task_definition = _one(resources, TASK_DEFINITION, path)
    properties = task_definition.get("Properties", {})
    execution_role = _role_of(resources, properties.get("ExecutionRoleArn"))
    task_role = _role_of(resources, properties.get("TaskRoleArn"))
    trusts = {
        role: resolve(resources[role]["Properties"]["AssumeRolePolicyDocument"])
        for role in (execution_role, task_role)
    }
    if trusts[execution_role] != trusts[task_role]:
        raise ArtifactError(f"{path}: {execution_role} and {task_role} trust different principals")
    return ArtifactSet(
        context=context,
        trust_policy=trusts[execution_role],
        execution_policy=resolve(_role_policy(resources, execution_role, path)),
        task_policy=resolve(_role_policy(resources, task_role, path)),
        task_definition=from_cloudformation(resolve(properties)),
        sources=dict.fromkeys(
            ("trust_policy", "execution_policy", "task_policy", "task_definition"), path
        ),
    )
