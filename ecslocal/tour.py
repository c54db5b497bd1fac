"""``python -m ecslocal tour``: what each role may and may not do, shown on fresh local runtimes.

Four runtimes start side by side, each in its own process with its own moto server: the shipped
artifacts (steps 1-4), the same with static keys in the container (step 5), a task role without
``sqs:DeleteMessage`` (step 6) and an execution role with ``ssm:GetParameter`` instead of
``ssm:GetParameters`` (step 7). Every step prints what it did and what really came back, and says
whether that is what the step expects. The exit status is 0 only when every step did; Ctrl-C or
SIGTERM stops every runtime and exits 130.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import boto3
from botocore.exceptions import ClientError

from artifacts.render import EXECUTION_POLICY, POLICIES_DIR, TASK_POLICY
from ecslocal.agent import aws_error_message
from ecslocal.runtime_process import RuntimeProcess, RuntimeProcessError
from service.identity.rules import static_keys_shadow_task_role

SHORT_VISIBILITY_SECONDS = 2
HTTP_TIMEOUT = 30
EXIT_INTERRUPTED = 130


class StepFailed(AssertionError):
    """A step did not come out as expected; the message says what came instead."""


@dataclass
class StepReport:
    """What one step says it did and saw, printed under its title."""

    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        """One line of the step's report."""
        self.lines.append(text)


# -- small clients ----------------------------------------------------------------------------------
def http_json(
    method: str, url: str, api_key: str | None = None, body: Any = None, headers: dict | None = None
) -> tuple[int, Any]:
    """One HTTP call; (status, parsed JSON body or text)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    if api_key:
        request.add_header("X-Api-Key", api_key)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", errors="replace")


def aws_client(state: dict[str, Any], service: str, creds: dict[str, str]) -> Any:
    """A client for the runtime's moto server with the given keys (and token, if any)."""
    return boto3.Session(
        aws_access_key_id=creds["access_key_id"],
        aws_secret_access_key=creds["secret_access_key"],
        aws_session_token=creds.get("session_token"),
        region_name=state["region"],
    ).client(service, endpoint_url=state["aws_endpoint"])


def task_role_credentials(state: dict[str, Any]) -> dict[str, str]:
    """What the container gets from the credentials endpoint."""
    status, body = http_json(
        "GET",
        state["credentials_full_uri"],
        headers={"Authorization": state["authorization_token"]},
    )
    if status != 200:
        raise StepFailed(f"the credentials endpoint answered {status}: {body}")
    return {
        "access_key_id": body["AccessKeyId"],
        "secret_access_key": body["SecretAccessKey"],
        "session_token": body["Token"],
    }


def execution_role_credentials(state: dict[str, Any], session_name: str) -> dict[str, str]:
    """The execution role, assumed the way the local agent assumes it."""
    sts = aws_client(state, "sts", state["agent"])
    creds = sts.assume_role(RoleArn=state["execution_role_arn"], RoleSessionName=session_name)[
        "Credentials"
    ]
    return {
        "access_key_id": creds["AccessKeyId"],
        "secret_access_key": creds["SecretAccessKey"],
        "session_token": creds["SessionToken"],
    }


def expect_denied(call: Callable[[], Any], action: str) -> str:
    """Run ``call``; it must be denied. The denial's message, for the reader."""
    try:
        call()
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = aws_error_message(str(exc.response.get("Error", {}).get("Message", "")))
        if status == 403 or "AccessDenied" in str(exc) or "not authorized" in message:
            return message or str(exc)
        raise StepFailed(f"{action} failed, but not with a denial: {exc}") from None
    raise StepFailed(f"{action} was allowed")


def denial_names(body: Any, action: str) -> bool:
    """Whether an error body names ``action``."""
    return action in json.dumps(body)


# -- the steps --------------------------------------------------------------------------------------
def step_whoami(main: dict[str, Any], out: StepReport) -> None:
    """Step 1: ``/whoami`` names the task role's session for this task, from container-role."""
    status, body = http_json("GET", f"{main['service_url']}/whoami", main["api_key"])
    if status != 200:
        raise StepFailed(f"/whoami answered {status}: {body}")
    role_name = main["task_role_arn"].rsplit("/", 1)[-1]
    expected = f"assumed-role/{role_name}/{main['task_id']}"
    source = body.get("credentials", {}).get("source")
    out.say(f"GET /whoami -> {body.get('arn')}")
    out.say(f"credentials source: {source}; session name {body.get('session_name')} = the task id")
    if not str(body.get("arn", "")).endswith(expected) or source != "container-role":
        raise StepFailed(f"expected {expected} from container-role")


def step_send_receive_confirm(main: dict[str, Any], out: StepReport) -> None:
    """Step 2: send, confirm (receive and delete) and read back through the service."""
    url, key = main["service_url"], main["api_key"]
    status, sent = http_json("POST", f"{url}/messages", key, {"body": "tour: hello"})
    if status != 201:
        raise StepFailed(f"POST /messages answered {status}: {sent}")
    out.say(f"POST /messages -> 201, message {sent['message_id']} in the pending queue")
    status, confirmed = http_json("POST", f"{url}/messages/confirm", key, {"wait": 2})
    ids = [c["message_id"] for c in (confirmed or {}).get("confirmed", [])] if status == 200 else []
    if sent["message_id"] not in ids:
        raise StepFailed(f"POST /messages/confirm answered {status}: {confirmed}")
    out.say("POST /messages/confirm -> 200, moved to the confirmed queue (received and deleted)")
    status, received = http_json("GET", f"{url}/messages?queue=confirmed&wait=2", key)
    messages = received.get("messages", []) if status == 200 else []
    if not messages:
        raise StepFailed(f"GET /messages?queue=confirmed answered {status}: {received}")
    out.say(f"GET /messages?queue=confirmed -> 200, body {messages[0]['body']!r}")
    for message in messages:
        http_json(
            "POST",
            f"{url}/messages/delete",
            key,
            {"queue": "confirmed", "receipt_handle": message["receipt_handle"]},
        )
    out.say("all under the task role: sqs:SendMessage, ReceiveMessage, DeleteMessage allowed")


def step_task_role_cannot_read_secret(main: dict[str, Any], out: StepReport) -> None:
    """Step 3: the task role is denied the API-key parameter; the execution role is not."""
    creds = task_role_credentials(main)
    ssm = aws_client(main, "ssm", creds)
    parameter = main["api_key_parameter"]
    denial = expect_denied(
        lambda: ssm.get_parameters(Names=[parameter], WithDecryption=True), "ssm:GetParameters"
    )
    out.say(f"task role (from the credentials endpoint) ssm:GetParameters {parameter}: DENIED")
    out.say(f"  {denial}")
    execution = aws_client(main, "ssm", execution_role_credentials(main, "tour-step-3"))
    value = execution.get_parameters(Names=[parameter], WithDecryption=True)["Parameters"]
    if not value or value[0]["Value"] != main["api_key"]:
        raise StepFailed("the execution role could not read the parameter")
    out.say("execution role ssm:GetParameters: allowed; the agent read it at start-up")
    status, _ = http_json("GET", f"{main['service_url']}/whoami", main["api_key"])
    if status != 200:
        raise StepFailed(f"the service refused its own API key ({status})")
    out.say("the service accepts the key: it has it as API_KEY in its environment")


def step_execution_role_cannot_use_queues(main: dict[str, Any], out: StepReport) -> None:
    """Step 4: the execution role is denied sending to and receiving from the queues."""
    sqs = aws_client(main, "sqs", execution_role_credentials(main, "tour-step-4"))
    queue = main["pending_queue_url"]
    denial = expect_denied(
        lambda: sqs.send_message(QueueUrl=queue, MessageBody="from the execution role"),
        "sqs:SendMessage",
    )
    out.say("execution role sqs:SendMessage on the pending queue: DENIED")
    out.say(f"  {denial}")
    denial = expect_denied(lambda: sqs.receive_message(QueueUrl=queue), "sqs:ReceiveMessage")
    out.say("execution role sqs:ReceiveMessage on the pending queue: DENIED")
    out.say(f"  {denial}")


def step_static_keys_shadow(static: dict[str, Any], out: StepReport) -> None:
    """Step 5: static keys in the container win over the task role, and /whoami warns."""
    status, body = http_json("GET", f"{static['service_url']}/whoami", static["api_key"])
    if status != 200:
        raise StepFailed(f"/whoami answered {status}: {body}")
    codes = [w.get("code") for w in body.get("warnings", [])]
    source = body.get("credentials", {}).get("source")
    out.say("container started with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in its environment")
    out.say(f"GET /whoami -> {body.get('arn')} (credentials from {source})")
    out.say(f"warnings: {', '.join(c for c in codes if c) or 'none'}")
    if source != "env" or "assumed-role" in str(body.get("arn")):
        raise StepFailed("the static keys did not win over the task role")
    if static_keys_shadow_task_role.code not in codes:
        raise StepFailed(f"/whoami did not warn {static_keys_shadow_task_role.code}")


def step_missing_delete(no_delete: dict[str, Any], out: StepReport) -> None:
    """Step 6: without sqs:DeleteMessage, confirm is a 403 and the message comes back."""
    url, key = no_delete["service_url"], no_delete["api_key"]
    operator_sqs = aws_client(no_delete, "sqs", no_delete["operator"])
    operator_sqs.set_queue_attributes(
        QueueUrl=no_delete["pending_queue_url"],
        Attributes={"VisibilityTimeout": str(SHORT_VISIBILITY_SECONDS)},
    )
    out.say(
        f"(pending queue's visibility timeout set to {SHORT_VISIBILITY_SECONDS} s for the tour)"
    )
    status, sent = http_json("POST", f"{url}/messages", key, {"body": "tour: never deleted"})
    if status != 201:
        raise StepFailed(f"POST /messages answered {status}: {sent}")
    status, body = http_json("POST", f"{url}/messages/confirm", key, {"wait": 2})
    out.say(f"POST /messages/confirm -> {status}: {_error_message(body)}")
    if status != 403 or not denial_names(body, "sqs:DeleteMessage"):
        raise StepFailed("expected 403 naming sqs:DeleteMessage")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, received = http_json("GET", f"{url}/messages?queue=pending&wait=5", key)
        again = [
            m for m in (received.get("messages", []) if status == 200 else [])
            if m["message_id"] == sent["message_id"]
        ]  # fmt: skip
        if again:
            out.say(
                f"message {sent['message_id']} came back after the visibility timeout "
                f"(receive count {again[0].get('receive_count')}): it will be processed again"
            )
            return
    raise StepFailed("the message did not come back")


def step_missing_get_parameters(bad_exec: RuntimeProcess, out: StepReport) -> None:
    """Step 7: with ssm:GetParameter instead of GetParameters, the task does not start."""
    code = bad_exec.wait_exit(timeout=90)
    reason = next(
        (line for line in bad_exec.output().splitlines() if "task stopped" in line and ":" in line),
        "",
    )
    out.say(f"runtime exit status {code}; {reason.split('] ', 1)[-1]}")
    if (
        code == 0
        or "ResourceInitializationError" not in reason
        or "ssm:GetParameters" not in reason
    ):
        raise StepFailed("expected the task not to start, with a ResourceInitializationError")
    if bad_exec.state_file.exists():
        raise StepFailed("the task reported ready")


def _error_message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", body["error"]))
    return str(body)[:300]


# -- the policies of steps 6 and 7 ------------------------------------------------------------------
def _edit_actions(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    policy = json.loads(path.read_text(encoding="utf-8"))
    for statement in policy["Statement"]:
        actions = statement.get("Action")
        as_list = [actions] if isinstance(actions, str) else list(actions or [])
        statement["Action"] = change(as_list)
    path.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")


def policies_without_delete(target: Path) -> Path:
    """A copy of policies/ whose task role lacks sqs:DeleteMessage."""
    shutil.copytree(POLICIES_DIR, target)
    _edit_actions(target / TASK_POLICY, lambda acts: [a for a in acts if a != "sqs:DeleteMessage"])
    return target


def policies_with_singular_get_parameter(target: Path) -> Path:
    """A copy of policies/ whose execution role has ssm:GetParameter instead of ssm:GetParameters."""
    shutil.copytree(POLICIES_DIR, target)
    _edit_actions(
        target / EXECUTION_POLICY,
        lambda acts: ["ssm:GetParameter" if a == "ssm:GetParameters" else a for a in acts],
    )
    return target


# -- running it -------------------------------------------------------------------------------------
STEPS = (
    "The application holds the task role, from container-role",
    "Send, receive and confirm succeed under the task role",
    "The task role cannot read the secret; the execution role delivered it",
    "The execution role cannot use the queues",
    "Static keys in the environment shadow the task role",
    "A task role without sqs:DeleteMessage: confirm fails, the message comes back",
    "An execution role with ssm:GetParameter (singular): the task does not start",
)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_all(runtimes: Iterable[RuntimeProcess]) -> None:
    """Stop every runtime, all at once, shielded from a second Ctrl-C or SIGTERM.

    Each runtime stops its task like ECS on SIGTERM; signalling them together means the slowest
    one sets the pace, not the sum of them.
    """
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        runtimes = list(runtimes)
        for runtime in runtimes:
            if runtime.process is not None:
                runtime.send(signal.SIGTERM)
        for runtime in runtimes:
            runtime.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_tour(runtime_args: tuple[str, ...] = ()) -> int:
    """Run every step; 0 when each came out as expected, 130 when interrupted."""
    workdir = Path(tempfile.mkdtemp(prefix="ecslocal-tour-"))
    runtimes = {
        "main": RuntimeProcess(workdir / "main", runtime_args, "the shipped task"),
        "static": RuntimeProcess(
            workdir / "static", (*runtime_args, "--static-keys"), "the task with static keys"
        ),
        "no-delete": RuntimeProcess(
            workdir / "no-delete",
            (*runtime_args, "--policies-dir", str(policies_without_delete(workdir / "p6"))),
            "the task role without sqs:DeleteMessage",
        ),
        "bad-exec": RuntimeProcess(
            workdir / "bad-exec",
            (
                *runtime_args,
                "--policies-dir",
                str(policies_with_singular_get_parameter(workdir / "p7")),
            ),
            "the execution role with ssm:GetParameter",
        ),
    }
    print("The tour starts four fresh local runtimes (moto with IAM enforcement, agent, endpoints,")
    print("gunicorn), each in its own process, and walks through what each role may do.\n")
    passed = 0
    # SIGTERM unwinds like Ctrl-C, so the runtimes are stopped rather than left running.
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    try:
        for runtime in runtimes.values():
            runtime.start()

        def ready(name: str) -> dict[str, Any]:
            return runtimes[name].wait_ready()

        steps: list[Callable[[StepReport], None]] = [
            lambda out: step_whoami(ready("main"), out),
            lambda out: step_send_receive_confirm(ready("main"), out),
            lambda out: step_task_role_cannot_read_secret(ready("main"), out),
            lambda out: step_execution_role_cannot_use_queues(ready("main"), out),
            lambda out: step_static_keys_shadow(ready("static"), out),
            lambda out: step_missing_delete(ready("no-delete"), out),
            lambda out: step_missing_get_parameters(runtimes["bad-exec"], out),
        ]
        for number, (title, step) in enumerate(zip(STEPS, steps, strict=True), start=1):
            print(f"Step {number}/{len(STEPS)}: {title}")
            report = StepReport()
            try:
                step(report)
                ok, why = True, ""
            except (StepFailed, RuntimeProcessError, ClientError, OSError, KeyError) as exc:
                ok, why = (
                    False,
                    f"{type(exc).__name__}: {exc}" if not isinstance(exc, StepFailed) else str(exc),
                )
            for line in report.lines:
                print(f"    {line}")
            print(f"    -> {'as expected' if ok else 'NOT as expected: ' + why}\n")
            passed += ok
    except KeyboardInterrupt:
        print("\nInterrupted: stopping every runtime.", flush=True)
        return EXIT_INTERRUPTED
    finally:
        stop_all(runtimes.values())
        signal.signal(signal.SIGTERM, previous_sigterm)
        shutil.rmtree(workdir, ignore_errors=True)
    total = len(STEPS)
    print(f"{passed} of {total} steps came out as expected.")
    return 0 if passed == total else 1
