"""The ECS cluster, the task definition revision and the Fargate service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ecsdeploy import taskdef
from ecsdeploy.aws import Aws
from ecsdeploy.errors import error_code
from ecsdeploy.model import Change, CliWriter, Raw, Resolved, ResourcePlan
from ecsdeploy.resources.common import delete_if_ours, unless_missing
from ecsdeploy.tags import Ownership, tag_dict
from ecsdeploy.wait import wait_for_inactive

CLUSTER_KIND = "ecs cluster"
TASK_DEFINITION_KIND = "task definition"
SERVICE_KIND = "ecs service"

# A failing deployment stops and rolls back to the last revision that worked; replacement tasks
# start before old ones stop, so capacity never drops below the desired count.
DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
LAUNCH_TYPE = "FARGATE"
PLATFORM_VERSION = "LATEST"
PROPAGATE_TAGS = "SERVICE"


def _ecs_tags(ownership: Ownership) -> list[dict[str, str]]:
    return ownership.as_list("key", "value")


@dataclass(frozen=True)
class Cluster:
    """An ECS cluster. One we did not create (``--cluster``) is used as it is and never deleted."""

    name: str
    ownership: Ownership
    arn: str = ""
    kind: str = CLUSTER_KIND

    def read(self, aws: Aws) -> dict | None:
        found = aws.client("ecs").describe_clusters(clusters=[self.name], include=["TAGS"])
        for cluster in found.get("clusters", []):
            if cluster.get("status") in ("ACTIVE", "PROVISIONING"):
                return cluster
        return None

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        cluster = self.read(aws)
        if cluster is None:
            result.changes.append(
                Change(
                    "create",
                    self.kind,
                    self.name,
                    lambda: aws.client("ecs").create_cluster(
                        clusterName=self.name, tags=_ecs_tags(self.ownership)
                    ),
                    resource=self.arn,
                )
            )
        elif not self.ownership.owns(tag_dict(cluster.get("tags"), "key", "value")):
            result.notes.append(
                f"{self.kind} {self.name} exists and was not created by this tool: the service "
                "runs in it; it is never changed or deleted"
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        cluster = self.read(aws)
        return delete_if_ours(
            self,
            cluster and tag_dict(cluster.get("tags"), "key", "value"),
            lambda: aws.client("ecs").delete_cluster(cluster=self.name),
            found=cluster is not None,
            detail="fails while other services still run in it",
        )

    def cli_create(self, cli: CliWriter) -> list[str]:
        tags = [f"key={k},value={v}" for k, v in self.ownership.tags]
        return [cli.command("ecs", "create-cluster", "--cluster-name", self.name, "--tags", *tags)]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [cli.command("ecs", "delete-cluster", "--cluster", self.name)]


@dataclass(frozen=True)
class TaskDefinition:
    """The rendered task definition: a new revision only when it differs from the latest one."""

    family: str
    document: dict[str, Any]
    ownership: Ownership
    source: str = ""
    arn: str = ""
    kind: str = TASK_DEFINITION_KIND

    @property
    def name(self) -> str:
        return self.family

    def _latest(self, aws: Aws) -> tuple[dict, dict[str, str]] | None:
        found = unless_missing(
            lambda: aws.client("ecs").describe_task_definition(
                taskDefinition=self.family, include=["TAGS"]
            ),
            "ClientException",
        )
        if not found:
            return None
        return found["taskDefinition"], tag_dict(found.get("tags"), "key", "value")

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        latest = self._latest(aws)

        def register() -> None:
            registered = aws.client("ecs").register_task_definition(
                **self.document, tags=_ecs_tags(self.ownership)
            )
            resolved.task_definition_arn = registered["taskDefinition"]["taskDefinitionArn"]

        if latest is None:
            resolved.task_definition_arn = None
            result.changes.append(
                Change(
                    "register",
                    self.kind,
                    self.family,
                    register,
                    detail=f"from {self.source}",
                    resource=self.arn,
                )
            )
            return result
        document, tags = latest
        if not self.ownership.owns(tags):
            result.conflict = (
                f"its latest revision {document['revision']} is not tagged "
                f"{self.ownership.describe()}: another deployment owns this family"
            )
            return result
        differing = taskdef.differences(self.document, document)
        if differing:
            resolved.task_definition_arn = None
            shown = ", ".join(differing[:5]) + (", ..." if len(differing) > 5 else "")
            result.changes.append(
                Change(
                    "register",
                    self.kind,
                    self.family,
                    register,
                    detail=f"revision {document['revision']} differs in {shown}",
                    resource=self.arn,
                )
            )
        else:
            resolved.task_definition_arn = document["taskDefinitionArn"]
        return result

    def _our_revisions(self, aws: Aws) -> list[str]:
        ecs = aws.client("ecs")
        arns: list[str] = []
        for status in ("ACTIVE", "INACTIVE"):
            pages = ecs.get_paginator("list_task_definitions").paginate(
                familyPrefix=self.family, status=status
            )
            arns += [arn for page in pages for arn in page["taskDefinitionArns"]]
        ours = []
        for arn in arns:
            found = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
            described = found["taskDefinition"]
            if described["family"] == self.family and self.ownership.owns(
                tag_dict(found.get("tags"), "key", "value")
            ):
                ours.append(arn)
        return ours

    def teardown(self, aws: Aws) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        ours = self._our_revisions(aws)
        if not ours:
            return result
        ecs = aws.client("ecs")

        def delete() -> None:
            for arn in ours:
                try:
                    ecs.deregister_task_definition(taskDefinition=arn)
                except ClientError as exc:  # already INACTIVE
                    if error_code(exc) != "ClientException":
                        raise
            for start in range(0, len(ours), 10):  # the API takes ten at a time
                ecs.delete_task_definitions(taskDefinitions=ours[start : start + 10])

        result.changes.append(
            Change(
                "delete",
                self.kind,
                self.family,
                delete,
                detail=f"{len(ours)} revision(s): deregister, then delete",
                resource=self.arn,
            )
        )
        return result

    def cli_create(self, cli: CliWriter) -> list[str]:
        register = cli.command(
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            cli.json("taskdef.json", self.document),
            "--tags",
            *(f"key={k},value={v}" for k, v in self.ownership.tags),
            "--query",
            "taskDefinition.taskDefinitionArn",
            "--output",
            "text",
        )
        return [f"TASK_DEFINITION_ARN=$({register})"]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        revisions = cli.command(
            "ecs",
            "list-task-definitions",
            "--family-prefix",
            self.family,
            "--query",
            f"taskDefinitionArns[?contains(@, 'task-definition/{self.family}:')]",
            "--output",
            "text",
        )
        deregister = cli.command(
            "ecs", "deregister-task-definition", "--task-definition", Raw('"$arn"')
        )
        delete = cli.command("ecs", "delete-task-definitions", "--task-definitions", Raw('"$arn"'))
        return [f"for arn in $({revisions}); do {deregister}; {delete}; done"]


@dataclass(frozen=True)
class Network:
    """The service's awsvpc network: the subnets and security groups its tasks' ENIs get."""

    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool = False

    def as_api(self) -> dict[str, Any]:
        return {
            "awsvpcConfiguration": {
                "subnets": list(self.subnets),
                "securityGroups": list(self.security_groups),
                "assignPublicIp": "ENABLED" if self.assign_public_ip else "DISABLED",
            }
        }

    def matches(self, actual: dict[str, Any] | None) -> bool:
        config = (actual or {}).get("awsvpcConfiguration", {})
        return (
            set(config.get("subnets", [])) == set(self.subnets)
            and set(config.get("securityGroups", [])) == set(self.security_groups)
            and config.get("assignPublicIp", "DISABLED")
            == self.as_api()["awsvpcConfiguration"]["assignPublicIp"]
        )


@dataclass(frozen=True)
class Service:
    """The Fargate service running the task definition, circuit breaker with rollback on."""

    name: str
    cluster: str
    ownership: Ownership
    network: Network | None
    initial_count: int
    wait_on_delete: bool = True
    wait_timeout: float = 900.0
    arn: str = ""
    kind: str = SERVICE_KIND

    def read(self, aws: Aws) -> dict | None:
        found = unless_missing(
            lambda: aws.client("ecs").describe_services(
                cluster=self.cluster, services=[self.name], include=["TAGS"]
            ),
            "ClusterNotFoundException",
        )
        for service in (found or {}).get("services", []):
            if service.get("status") != "INACTIVE":
                return service
        return None

    def _create(self, aws: Aws, resolved: Resolved) -> None:
        assert self.network is not None
        aws.client("ecs").create_service(
            cluster=self.cluster,
            serviceName=self.name,
            taskDefinition=resolved.task_definition_arn,
            desiredCount=self.initial_count,
            launchType=LAUNCH_TYPE,
            platformVersion=PLATFORM_VERSION,
            networkConfiguration=self.network.as_api(),
            deploymentConfiguration=DEPLOYMENT_CONFIGURATION,
            schedulingStrategy="REPLICA",
            propagateTags=PROPAGATE_TAGS,
            enableECSManagedTags=True,
            tags=_ecs_tags(self.ownership),
        )
        resolved.service_changed = True

    def _update(self, aws: Aws, resolved: Resolved, network: dict[str, Any]) -> None:
        # desiredCount is left to Application Auto Scaling once the service exists.
        aws.client("ecs").update_service(
            cluster=self.cluster,
            service=self.name,
            taskDefinition=resolved.task_definition_arn,
            networkConfiguration=network,
            deploymentConfiguration=DEPLOYMENT_CONFIGURATION,
            propagateTags=PROPAGATE_TAGS,
        )
        resolved.service_changed = True

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        service = self.read(aws)
        network_text = (
            "subnets " + ",".join(self.network.subnets) + ", security groups "
            + ",".join(self.network.security_groups) + ", public IP "
            + ("on" if self.network.assign_public_ip else "off")
            if self.network
            else "needs --subnets"
        )  # fmt: skip
        if service is None:
            result.changes.append(
                Change(
                    "create",
                    self.kind,
                    self.name,
                    lambda: self._create(aws, resolved),
                    detail=f"Fargate in cluster {self.cluster}, {self.initial_count} task(s), "
                    f"{network_text}, circuit breaker with rollback",
                    resource=self.arn,
                )
            )
            return result
        if not self.ownership.owns(tag_dict(service.get("tags"), "key", "value")):
            result.conflict = (
                f"exists in cluster {self.cluster} without the tags {self.ownership.describe()}"
            )
            return result
        if service.get("status") == "DRAINING":
            result.conflict = "is being deleted (DRAINING): run deploy again once it is gone"
            return result
        reasons = []
        if resolved.task_definition_arn is None:
            reasons.append("new task definition revision")
        elif service.get("taskDefinition") != resolved.task_definition_arn:
            reasons.append(f"task definition -> {resolved.task_definition_arn.rsplit('/', 1)[-1]}")
        if self.network is not None and not self.network.matches(
            service.get("networkConfiguration")
        ):
            reasons.append(f"network -> {network_text}")
        # AWS always returns the deployment configuration; moto's CreateService drops it (its
        # UpdateService keeps it), so a missing one is not a difference.
        deployment = service.get("deploymentConfiguration")
        if (
            deployment is not None
            and deployment.get("deploymentCircuitBreaker")
            != DEPLOYMENT_CONFIGURATION["deploymentCircuitBreaker"]
        ):
            reasons.append("deployment circuit breaker with rollback")
        if service.get("propagateTags") not in (None, PROPAGATE_TAGS):
            reasons.append("propagate the service's tags to its tasks")
        if reasons:
            network = self.network.as_api() if self.network else service.get("networkConfiguration")
            result.changes.append(
                Change(
                    "update",
                    self.kind,
                    self.name,
                    lambda: self._update(aws, resolved, network),
                    detail="; ".join(reasons),
                    resource=self.arn,
                )
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        service = self.read(aws)
        ecs = aws.client("ecs")

        def delete() -> None:
            if service and service.get("status") == "ACTIVE":
                ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=0)
                ecs.delete_service(cluster=self.cluster, service=self.name, force=True)

        result = delete_if_ours(
            self,
            service and tag_dict(service.get("tags"), "key", "value"),
            delete,
            found=service is not None,
            detail="scale to 0, then delete",
            where=f"in cluster {self.cluster}",
        )
        if result.changes and self.wait_on_delete:
            result.changes.append(
                Change(
                    "wait",
                    self.kind,
                    self.name,
                    lambda: wait_for_inactive(aws, self.cluster, self.name, self.wait_timeout),
                    detail="until its tasks have stopped",
                )
            )
        return result

    def cli_create(self, cli: CliWriter) -> list[str]:
        network = self.network or Network(("subnet-REPLACE_ME",), ("sg-REPLACE_ME",))
        tags = [f"key={k},value={v}" for k, v in self.ownership.tags]
        return [
            cli.command(
                "ecs",
                "create-service",
                "--cluster",
                self.cluster,
                "--service-name",
                self.name,
                "--task-definition",
                Raw('"$TASK_DEFINITION_ARN"'),
                "--desired-count",
                str(self.initial_count),
                "--launch-type",
                LAUNCH_TYPE,
                "--platform-version",
                PLATFORM_VERSION,
                "--network-configuration",
                cli.json("service-network-configuration.json", network.as_api()),
                "--deployment-configuration",
                cli.json("service-deployment-configuration.json", DEPLOYMENT_CONFIGURATION),
                "--propagate-tags",
                PROPAGATE_TAGS,
                "--enable-ecs-managed-tags",
                "--tags",
                *tags,
            ),
            cli.command(
                "ecs", "wait", "services-stable", "--cluster", self.cluster, "--services", self.name
            ),
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [
            cli.command(
                "ecs",
                "update-service",
                "--cluster",
                self.cluster,
                "--service",
                self.name,
                "--desired-count",
                "0",
            ),
            cli.command(
                "ecs",
                "delete-service",
                "--cluster",
                self.cluster,
                "--service",
                self.name,
                "--force",
            ),
            cli.command(
                "ecs",
                "wait",
                "services-inactive",
                "--cluster",
                self.cluster,
                "--services",
                self.name,
            ),
        ]
