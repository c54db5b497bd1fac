"""Every rule the checker runs, in report order: the order of this list is the order of the report.

Like botocore's list of credential providers, the list is the one place that says which rules run
and in what order. A rule is defined next to its kin in :mod:`checker.rules`; it runs once it is
listed here (``tests/checker/test_ruleset.py`` fails for a rule defined but not listed).
"""

from __future__ import annotations

from checker.rules import arns, environment, policies, roles, taskdef, trust
from checker.rules.base import Rule

RULES: tuple[Rule, ...] = (
    # The task definition: its shape, its roles, how the container runs.
    taskdef.register_shape,
    taskdef.fargate_awsvpc,
    taskdef.fargate_size,
    taskdef.awsvpc_host_port,
    taskdef.task_role_present,
    taskdef.execution_role_present,
    taskdef.roles_distinct,
    taskdef.roles_are_the_checked_ones,
    taskdef.not_privileged,
    taskdef.non_root_user,
    taskdef.read_only_root,
    taskdef.port_matches_mapping,
    taskdef.health_check_present,
    taskdef.health_check_runs_in_image,
    taskdef.stop_timeout,
    taskdef.mount_points_defined,
    taskdef.writable_tmp,
    taskdef.awslogs_configured,
    taskdef.queue_urls,
    taskdef.service_container_present,
    # What the task definition puts in the container's environment.
    environment.no_credential_overrides,
    environment.no_agent_reserved,
    environment.no_secret_looking_environment,
    environment.no_literal_access_keys,
    # The policies' ARNs name this deployment.
    arns.no_wildcard_account_or_region,
    arns.arns_in_this_deployment,
    # The permission policies, from their shape ...
    policies.policy_version,
    policies.no_allow_with_not,
    policies.policy_structure,
    # ... through the actions they name ...
    policies.actions_exist,
    policies.star_only_where_required,
    policies.wildcard_only_actions_unscoped,
    # ... to what each role may do: the execution role,
    roles.secrets_readable,
    roles.ssm_plural,
    roles.parameter_key_decrypt,
    roles.awslogs_writable,
    roles.ecr_pullable,
    roles.execution_extra_actions,
    roles.execution_wide_resources,
    # the task role,
    roles.declared_calls_granted,
    roles.receive_with_delete,
    roles.task_extra_actions,
    roles.task_wide_resources,
    roles.declared_actions_exist,
    roles.declared_scopes_known,
    # the separation of duties between the two;
    roles.execution_role_is_agent_only,
    roles.task_role_is_application_only,
    # then who may assume the roles (the trust policy).
    trust.principal_is_ecs_tasks,
    trust.action_is_assume_role,
    trust.source_account_condition,
    trust.source_arn_condition,
    trust.conditions_match_deployment,
)
