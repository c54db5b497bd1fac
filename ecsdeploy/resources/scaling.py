"""Application Auto Scaling of the service on the pending queue's backlog.

A scalable target bounds the service's desired count (``MIN_TASKS``..``MAX_TASKS``); a target
tracking policy keeps the pending queue's visible messages near a target by adding or removing
tasks. Target tracking cannot start a first task from zero, hence at least one task.

The target and its policy belong to the service: they are changed and deleted only when the service
carries our tags (Application Auto Scaling policies cannot carry tags, and moto keeps no tags on
scalable targets), and the policy's name is derived from the deployment's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecsdeploy.aws import Aws
from ecsdeploy.model import Change, CliWriter, Resolved, ResourcePlan
from ecsdeploy.resources.ecs import Service
from ecsdeploy.tags import tag_dict

KIND = "scaling"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
SCALE_OUT_COOLDOWN = 60
# Scale in slowly: a drained queue often refills, and stopping tasks interrupts long polls.
SCALE_IN_COOLDOWN = 300


def backlog_policy(queue_name: str, target_messages: int) -> dict[str, Any]:
    """The target tracking configuration on the queue's ApproximateNumberOfMessagesVisible."""
    return {
        "TargetValue": float(target_messages),
        "CustomizedMetricSpecification": {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Dimensions": [{"Name": "QueueName", "Value": queue_name}],
            "Statistic": "Average",
        },
        "ScaleOutCooldown": SCALE_OUT_COOLDOWN,
        "ScaleInCooldown": SCALE_IN_COOLDOWN,
    }


@dataclass(frozen=True)
class ServiceScaling:
    """The scalable target of ``service`` and its backlog policy ``policy_name``."""

    service: Service
    policy_name: str
    min_tasks: int
    max_tasks: int
    policy: dict[str, Any]
    kind: str = KIND

    @property
    def name(self) -> str:
        return self.resource_id

    @property
    def resource_id(self) -> str:
        return f"service/{self.service.cluster}/{self.service.name}"

    def _target(self, aws: Aws) -> dict | None:
        found = aws.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[self.resource_id], ScalableDimension=DIMENSION
        )["ScalableTargets"]
        return found[0] if found else None

    def _policy(self, aws: Aws) -> dict | None:
        found = aws.client("application-autoscaling").describe_scaling_policies(
            ServiceNamespace=NAMESPACE,
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            PolicyNames=[self.policy_name],
        )["ScalingPolicies"]
        return found[0] if found else None

    def _register(self, aws: Aws, create: bool) -> None:
        extra = {"Tags": self.service.ownership.as_dict()} if create else {}
        aws.client("application-autoscaling").register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            MinCapacity=self.min_tasks,
            MaxCapacity=self.max_tasks,
            **extra,
        )

    def _put_policy(self, aws: Aws) -> None:
        aws.client("application-autoscaling").put_scaling_policy(
            PolicyName=self.policy_name,
            ServiceNamespace=NAMESPACE,
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=self.policy,
        )

    def _policy_matches(self, actual: dict | None) -> bool:
        if actual is None or actual.get("PolicyType") != "TargetTrackingScaling":
            return False
        config = actual.get("TargetTrackingScalingPolicyConfiguration", {})
        return all(config.get(key) == value for key, value in self.policy.items())

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        bounds = f"{self.min_tasks}..{self.max_tasks} tasks"
        target = self._target(aws)
        if target is None:
            result.changes.append(
                Change(
                    "create",
                    "scalable target",
                    self.resource_id,
                    lambda: self._register(aws, create=True),
                    detail=bounds,
                )
            )
        elif (target["MinCapacity"], target["MaxCapacity"]) != (self.min_tasks, self.max_tasks):
            result.changes.append(
                Change(
                    "update",
                    "scalable target",
                    self.resource_id,
                    lambda: self._register(aws, create=False),
                    detail=f"{target['MinCapacity']}..{target['MaxCapacity']} -> {bounds}",
                )
            )
        policy = self._policy(aws)
        if not self._policy_matches(policy):
            metric = self.policy["CustomizedMetricSpecification"]
            queue = metric["Dimensions"][0]["Value"]
            result.changes.append(
                Change(
                    "create" if policy is None else "update",
                    "scaling policy",
                    self.policy_name,
                    lambda: self._put_policy(aws),
                    detail=f"target tracking: about {self.policy['TargetValue']:.0f} visible "
                    f"messages in {queue}",
                )
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        target = self._target(aws)
        if target is None:
            return result
        service = self.service.read(aws)
        ours = (
            self.service.ownership.owns(tag_dict(service.get("tags"), "key", "value"))
            if service is not None
            else self._policy(aws) is not None  # the service is gone: our policy name proves it
        )
        if not ours:
            result.notes.append(f"left alone: scalable target {self.resource_id} (not ours)")
            return result
        result.changes.append(
            Change(
                "delete",
                "scalable target",
                self.resource_id,
                lambda: aws.client("application-autoscaling").deregister_scalable_target(
                    ServiceNamespace=NAMESPACE,
                    ResourceId=self.resource_id,
                    ScalableDimension=DIMENSION,
                ),
                detail="with its scaling policies",
            )
        )
        return result

    def cli_create(self, cli: CliWriter) -> list[str]:
        common = [
            "--service-namespace",
            NAMESPACE,
            "--resource-id",
            self.resource_id,
            "--scalable-dimension",
            DIMENSION,
        ]
        return [
            cli.command(
                "application-autoscaling",
                "register-scalable-target",
                *common,
                "--min-capacity",
                str(self.min_tasks),
                "--max-capacity",
                str(self.max_tasks),
                "--tags",
                ",".join(f"{k}={v}" for k, v in self.service.ownership.tags),
            ),
            cli.command(
                "application-autoscaling",
                "put-scaling-policy",
                *common,
                "--policy-name",
                self.policy_name,
                "--policy-type",
                "TargetTrackingScaling",
                "--target-tracking-scaling-policy-configuration",
                cli.json("scaling-policy.json", self.policy),
            ),
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [
            cli.command(
                "application-autoscaling",
                "deregister-scalable-target",
                "--service-namespace",
                NAMESPACE,
                "--resource-id",
                self.resource_id,
                "--scalable-dimension",
                DIMENSION,
            )
        ]
