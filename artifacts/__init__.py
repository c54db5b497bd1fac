"""The deployment artifacts (policies, task definition) and the one renderer that fills them in.

Every name the artifacts, the local runtime and the deploy tooling use (queues, roles, log group,
parameter path, repository) is derived here, in :mod:`artifacts.context`, from a handful of inputs.
"""

from artifacts.context import DeploymentContext
from artifacts.loader import ArtifactError, load_json
from artifacts.render import ArtifactSet, render_artifacts, render_value

__all__ = [
    "ArtifactError",
    "ArtifactSet",
    "DeploymentContext",
    "load_json",
    "render_artifacts",
    "render_value",
]
