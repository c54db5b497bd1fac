"""The service's image, built from ``docker/Dockerfile`` when it is missing or stale.

Stale means the build context changed: the image carries a label with a hash of every input of the
build (the Dockerfile, ``.dockerignore``, the files ``.dockerignore`` lets in, and the base image
name), and a build happens only when the label differs. The inputs are read from ``.dockerignore``'s
``!`` lines, so the list lives in one place.

``python -m ecslocal.image hash`` prints the hash (``make image`` labels its build with it);
``check`` says clearly when no engine answers.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from artifacts.render import DOCKERFILE, PROJECT_ROOT

LOCAL_IMAGE = "courier:local"
CONTEXT_LABEL = "org.courier.context-hash"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
_IGNORED_PARTS = ("__pycache__",)
_IGNORED_SUFFIXES = (".pyc", ".pyo")


NO_ENGINE = (
    "no Docker engine answers (`docker info` failed): start one (as root: docker/engine.sh all) "
    "or point DOCKER_HOST at one. Nothing was built."
)


class ImageError(RuntimeError):
    """The image cannot be built or inspected; the message says why."""


def base_image() -> str:
    """``PYTHON_IMAGE`` from the environment; empty means the Dockerfile's own default."""
    return os.environ.get("PYTHON_IMAGE", "")


def context_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file the build reads, sorted: Dockerfile, .dockerignore and what it lets in."""
    files = {DOCKERFILE, DOCKERIGNORE}
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern.startswith("!"):
            continue
        path = root / pattern[1:].rstrip("/")
        files.update(_files_under(path))
    return sorted(files)


def _files_under(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for child in path.rglob("*"):
        if (
            child.is_file()
            and not any(part in _IGNORED_PARTS for part in child.parts)
            and child.suffix not in _IGNORED_SUFFIXES
        ):
            yield child


def context_hash(base: str | None = None, root: Path = PROJECT_ROOT) -> str:
    """A hash of the build's inputs and its base image name."""
    digest = hashlib.sha256(f"base={base_image() if base is None else base}\n".encode())
    for path in context_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def _docker(*args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["docker", *args], capture_output=capture, text=True, check=False, timeout=600
        )
    except FileNotFoundError:
        raise ImageError("the docker command is not installed") from None


def engine_answers() -> bool:
    """True when a Docker daemon answers ``docker info``."""
    try:
        return _docker("info").returncode == 0
    except ImageError:
        return False


def image_label(image: str, label: str = CONTEXT_LABEL) -> str | None:
    """The value of ``label`` on ``image``; None when the image does not exist."""
    result = _docker(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}', image
    )
    return result.stdout.strip() if result.returncode == 0 else None


def build_command(image: str, base: str, digest: str) -> list[str]:
    """The ``docker build`` that ``make image`` and the runtime run (host network, classic builder)."""
    return [
        "docker",
        "build",
        "--network",
        "host",
        *(["--build-arg", f"PYTHON_IMAGE={base}"] if base else []),
        "--label",
        f"{CONTEXT_LABEL}={digest}",
        "-f",
        str(DOCKERFILE),
        "-t",
        image,
        str(PROJECT_ROOT),
    ]


def ensure_image(image: str = LOCAL_IMAGE, say: Callable[[str], None] = print) -> bool:
    """Build ``image`` when it is missing or stale; True when a build ran."""
    base = base_image()
    digest = context_hash(base)
    if image_label(image) == digest:
        return False
    say(
        f"building {image} from {DOCKERFILE.relative_to(PROJECT_ROOT)} on {base or 'the default base'} (context {digest})"
    )
    result = subprocess.run(
        build_command(image, base, digest), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ImageError(f"docker build of {image} failed (exit {result.returncode}):\n{tail}")
    return True


def main(argv: list[str]) -> int:
    """``check``: exit 1 with a message without an engine; ``hash``: print the context hash;
    ``build [IMAGE]``: build when missing or stale."""
    if argv[:1] == ["check"]:
        if engine_answers():
            return 0
        print(f"error: {NO_ENGINE}", file=sys.stderr)
        return 1
    if argv[:1] == ["hash"]:
        print(context_hash())
        return 0
    if argv[:1] == ["build"]:
        try:
            built = ensure_image(argv[1] if len(argv) > 1 else LOCAL_IMAGE)
        except ImageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print("built" if built else "up to date")
        return 0
    print("usage: python -m ecslocal.image check|hash|build [IMAGE]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
