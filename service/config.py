"""The service's configuration, read from the environment once and validated at start-up.

The variable names are the service's public interface: the task definition, the local runtime and
the docs (docs/operating.md) use them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d\Z", re.ASCII)
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}\Z", re.ASCII)
_QUEUE_PATH_RE = re.compile(
    r"^/(?P<account>\d{12})/(?P<name>[A-Za-z0-9_-]{1,80}(\.fifo)?)\Z", re.ASCII
)
# Hosts that name a region: sqs.<region>.amazonaws.com(.cn), sqs.<region>.api.aws, the VPC endpoint
# form <vpce-id>.sqs.<region>.vpce.amazonaws.com, and the legacy <region>.queue.amazonaws.com.
_AWS_SQS_HOST_RES = (
    re.compile(r"(?:^|\.)sqs\.(?P<region>[a-z0-9-]+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$"),
    re.compile(r"(?:^|\.)sqs\.(?P<region>[a-z0-9-]+)\.api\.aws$"),
    re.compile(r"^(?P<region>[a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$"),
)

DEFAULT_PORT = 8080
# AWS-backed requests in flight per worker before the service answers 503 busy (service.capacity).
DEFAULT_AWS_REQUEST_LIMIT = 64


class ConfigError(ValueError):
    """The environment does not hold a usable configuration; ``problems`` names each issue."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "invalid configuration:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


def partition_for(region: str) -> str:
    """The ARN partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class QueueUrl:
    """A parsed SQS queue URL. ``region`` is None for local endpoints (no region in the host)."""

    url: str
    account_id: str
    name: str
    region: str | None

    def arn(self, default_region: str) -> str:
        """The queue's ARN; ``default_region`` stands in when the URL names no region."""
        region = self.region or default_region
        return f"arn:{partition_for(region)}:sqs:{region}:{self.account_id}:{self.name}"


def _same_queue(first: QueueUrl, second: QueueUrl) -> bool:
    # Compared by what names the queue, not the URL text: ":443" or a VPC endpoint host is the same
    # queue under another spelling.
    return (first.account_id, first.name, first.region) == (
        second.account_id,
        second.name,
        second.region,
    )


def parse_queue_url(url: str) -> QueueUrl:
    """Parse a queue URL of the form ``http(s)://<host>/<account>/<queue-name>``.

    Raises ValueError with a message that says what is wrong.
    """
    if any(char.isspace() or not char.isprintable() for char in url):
        # urlsplit drops tabs and line ends silently, but the URL would still carry them to SQS.
        raise ValueError(f"{url!r} contains whitespace or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    match = _QUEUE_PATH_RE.match(parts.path)
    if not match or parts.query or parts.fragment:
        raise ValueError(f"{url!r} does not have the path /<12-digit account>/<queue-name>")
    region = None
    for host_re in _AWS_SQS_HOST_RES:
        host_match = host_re.search(parts.hostname)
        if host_match:
            region = host_match["region"]
            break
    return QueueUrl(url=url, account_id=match["account"], name=match["name"], region=region)


def parse_port(text: str) -> int | None:
    """The TCP port ``text`` names (1-65535, ASCII digits only), or None."""
    # str.isdigit() alone takes digits int() refuses, such as "²".
    if text.isascii() and text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    return None


def region_from_env(env: Mapping[str, str]) -> str | None:
    """``AWS_REGION`` (set by ECS, read by most SDKs), else ``AWS_DEFAULT_REGION``.

    botocore itself reads only ``AWS_DEFAULT_REGION``, so every client gets this region explicitly.
    """
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one service process."""

    region: str
    pending_queue: QueueUrl
    confirmed_queue: QueueUrl
    expected_task_role_name: str | None = None
    execution_role_name: str | None = None
    api_key: str | None = field(default=None, repr=False)
    port: int = DEFAULT_PORT
    aws_request_limit: int = DEFAULT_AWS_REQUEST_LIMIT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate every setting; raise :class:`ConfigError` naming every problem."""
        problems: list[str] = []

        region = region_from_env(env)
        if region is None:
            problems.append("AWS_REGION (or AWS_DEFAULT_REGION) is not set")
        elif not REGION_RE.match(region):
            problems.append(f"AWS_REGION {region!r} is not a region name like eu-west-1")

        queues: dict[str, QueueUrl] = {}
        for var in ("PENDING_QUEUE_URL", "CONFIRMED_QUEUE_URL"):
            value = env.get(var, "")
            if not value:
                problems.append(f"{var} is not set")
                continue
            try:
                queues[var] = parse_queue_url(value)
            except ValueError as exc:
                problems.append(f"{var}: {exc}")
        if len(queues) == 2 and _same_queue(
            queues["PENDING_QUEUE_URL"], queues["CONFIRMED_QUEUE_URL"]
        ):
            problems.append("PENDING_QUEUE_URL and CONFIRMED_QUEUE_URL name the same queue")

        role_names: dict[str, str | None] = {}
        for var in ("EXPECTED_TASK_ROLE_NAME", "EXECUTION_ROLE_NAME"):
            value = env.get(var) or None
            if value is not None and not _ROLE_NAME_RE.match(value):
                problems.append(f"{var} {value!r} is not an IAM role name")
            role_names[var] = value

        api_key = env.get("API_KEY")
        if api_key is not None:
            if not api_key.strip():
                problems.append("API_KEY is set but empty")
            elif api_key != api_key.strip():
                # A copied secret with a trailing newline never matches what clients send.
                problems.append("API_KEY has leading or trailing whitespace")

        port = DEFAULT_PORT
        port_text = env.get("PORT")
        if port_text:
            parsed = parse_port(port_text)
            if parsed is None:
                problems.append(f"PORT {port_text!r} is not a port number (1-65535)")
            else:
                port = parsed

        aws_request_limit = DEFAULT_AWS_REQUEST_LIMIT
        limit_text = env.get("AWS_REQUEST_LIMIT")
        if limit_text:
            if limit_text.isascii() and limit_text.isdigit() and int(limit_text) > 0:
                aws_request_limit = int(limit_text)
            else:
                problems.append(f"AWS_REQUEST_LIMIT {limit_text!r} is not a positive whole number")

        if problems:
            raise ConfigError(problems)
        assert region is not None
        return cls(
            region=region,
            pending_queue=queues["PENDING_QUEUE_URL"],
            confirmed_queue=queues["CONFIRMED_QUEUE_URL"],
            expected_task_role_name=role_names["EXPECTED_TASK_ROLE_NAME"],
            execution_role_name=role_names["EXECUTION_ROLE_NAME"],
            api_key=api_key,
            port=port,
            aws_request_limit=aws_request_limit,
        )
