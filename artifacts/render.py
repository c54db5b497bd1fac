"""Fill the ``${Placeholder}`` names in the shipped artifact files from a :class:`DeploymentContext`.

The checker, the local runtime and the deploy tooling all render through here, so what is checked is
byte for byte what is applied (:func:`dumps` is the one serialisation).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artifacts.context import DeploymentContext
from artifacts.loader import ArtifactError, load_json

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POLICIES_DIR = PROJECT_ROOT / "policies"
TASKDEF_FILE = PROJECT_ROOT / "taskdef" / "taskdef.json"
DOCKERFILE = PROJECT_ROOT / "docker" / "Dockerfile"

TRUST_POLICY = "trust-policy.json"
EXECUTION_POLICY = "execution-role-policy.json"
TASK_POLICY = "task-role-policy.json"
POLICY_FILES = (TRUST_POLICY, EXECUTION_POLICY, TASK_POLICY)


def render_value(value: Any, variables: dict[str, str], source: str, path: str = "$") -> Any:
    """Substitute placeholders in every string of a parsed JSON value.

    Substituting in parsed values (not in the file text) means a value can never break the JSON.
    """
    if isinstance(value, str):
        try:
            return string.Template(value).substitute(variables)
        except KeyError as exc:
            raise ArtifactError(
                f"{source}: {path}: unknown placeholder ${{{exc.args[0]}}}"
            ) from None
        except ValueError:
            raise ArtifactError(
                f"{source}: {path}: malformed placeholder in {value!r} (write $$ for a dollar sign)"
            ) from None
    if isinstance(value, list):
        return [render_value(v, variables, source, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: render_value(v, variables, source, f"{path}.{k}") for k, v in value.items()}
    return value


def dumps(document: Any) -> str:
    """The one serialisation of a rendered document (what the checker reads and AWS receives)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class ArtifactSet:
    """The rendered artifacts of one deployment, with the files they came from."""

    context: DeploymentContext
    trust_policy: dict[str, Any]
    execution_policy: dict[str, Any]
    task_policy: dict[str, Any]
    task_definition: dict[str, Any]
    sources: dict[str, Path]

    @property
    def container(self) -> dict[str, Any]:
        """The service's container definition (the one named after the service)."""
        for container in self.task_definition.get("containerDefinitions", []):
            if container.get("name") == self.context.container_name:
                return container
        raise ArtifactError(
            f"{self.sources['task_definition']}: no container named {self.context.container_name!r}"
        )


def load_rendered(path: Path, context: DeploymentContext) -> Any:
    """Load one artifact file and render it for ``context``."""
    return render_value(load_json(path), context.variables(), str(path))


def render_artifacts(
    context: DeploymentContext,
    policies_dir: Path = POLICIES_DIR,
    taskdef_file: Path = TASKDEF_FILE,
) -> ArtifactSet:
    """Load and render the policies and the task definition for ``context``."""
    sources = {
        "trust_policy": policies_dir / TRUST_POLICY,
        "execution_policy": policies_dir / EXECUTION_POLICY,
        "task_policy": policies_dir / TASK_POLICY,
        "task_definition": taskdef_file,
    }
    rendered = {name: load_rendered(path, context) for name, path in sources.items()}
    return ArtifactSet(context=context, sources=sources, **rendered)
