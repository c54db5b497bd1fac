"""The facts about the process environment the warnings depend on, read once per report.

Only names and presence are kept: values of secret variables never enter these facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.identity.credentials import container_endpoint_variable

METADATA_URI_VAR = "ECS_CONTAINER_METADATA_URI_V4"
EXECUTION_ENV_VAR = "AWS_EXECUTION_ENV"
STATIC_KEY_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
PROFILE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


@dataclass(frozen=True)
class EnvironmentFacts:
    """What the environment says about where the process runs and which credentials it offers."""

    metadata_uri: str | None = None
    execution_env: str | None = None
    container_endpoint: str | None = None  # the container credentials variable botocore would use
    static_keys: tuple[str, ...] = ()  # names of the static key variables that are set
    profile: str | None = None  # AWS_PROFILE / AWS_DEFAULT_PROFILE, if set

    @property
    def on_ecs(self) -> bool:
        """True inside an ECS task: metadata endpoint, ECS execution environment or task credentials."""
        return bool(
            self.metadata_uri
            or (self.execution_env or "").startswith("AWS_ECS")
            or self.container_endpoint
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> EnvironmentFacts:
        """Read the facts from ``environ`` (usually ``os.environ``)."""
        return cls(
            metadata_uri=environ.get(METADATA_URI_VAR) or None,
            execution_env=environ.get(EXECUTION_ENV_VAR) or None,
            container_endpoint=container_endpoint_variable(environ),
            static_keys=tuple(var for var in STATIC_KEY_VARS if environ.get(var)),
            profile=next((environ[var] for var in PROFILE_VARS if environ.get(var)), None),
        )
