"""/readyz: credentials and both queues, cached so probes cannot hammer AWS; /healthz: no AWS."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from moto import mock_aws

from service.readiness import CACHE_SECONDS, ReadinessProbe
from service.state import EXTENSION
from tests.service.conftest import (
    CONTEXT,
    ApiClient,
    MotoQueues,
    build_app,
    env_for,
    isolate_from_host_aws,
    moto_with_queues,
)
from tests.support.processes import refusing_port


def count_calls(app: Flask, operation: str) -> list[str]:
    """Record each call the app's SQS client makes to ``operation`` (a real botocore event)."""
    calls: list[str] = []
    sqs = app.extensions[EXTENSION].clients.probe_sqs
    sqs.meta.events.register(f"before-call.sqs.{operation}", lambda **_: calls.append(operation))
    return calls


def test_ready_when_credentials_resolve_and_both_queues_answer(keyed_api: ApiClient) -> None:
    response = keyed_api.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert [(c["name"], c["ok"]) for c in response.json["checks"]] == [
        ("credentials", True),
        ("pending_queue", True),
        ("confirmed_queue", True),
    ]


def test_without_the_key_readiness_says_only_ready_or_not(
    keyed_app: Flask, moto_queues: MotoQueues
) -> None:
    public = ApiClient(keyed_app)
    assert public.get("/readyz").json == {"status": "ready", "ready": True}
    moto_queues.sqs.delete_queue(QueueUrl=moto_queues.confirmed_url)
    keyed_app.extensions[EXTENSION].readiness._cached = None  # forget the cached answer
    response = public.get("/readyz", headers={"X-Api-Key": "not-the-key"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert (response.json["ready"], response.json["reason"]) == (False, "queue_missing")
    assert "checks" not in response.json
    text = response.get_data(as_text=True)
    for secret_ish in (CONTEXT.account_id, CONTEXT.confirmed_queue_name, "arn:"):
        assert secret_ish not in text


def test_missing_queue_makes_the_service_not_ready_naming_it(
    keyed_api: ApiClient, moto_queues: MotoQueues
) -> None:
    moto_queues.sqs.delete_queue(QueueUrl=moto_queues.confirmed_url)
    response = keyed_api.get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "not_ready"
    assert response.json["reason"] == "queue_missing"
    failing = [(c["name"], c["reason"]) for c in response.json["checks"] if not c["ok"]]
    assert failing == [("confirmed_queue", "queue_missing")]


def test_readiness_is_cached_between_probes(app: Flask, moto_queues: MotoQueues) -> None:
    calls = count_calls(app, "GetQueueAttributes")
    api = ApiClient(app)
    assert api.get("/readyz").status_code == 200
    moto_queues.sqs.delete_queue(QueueUrl=moto_queues.pending_url)
    for _ in range(5):
        assert api.get("/readyz").status_code == 200  # the cached answer
    assert len(calls) == 2  # one evaluation: one call per queue


def test_readiness_is_evaluated_again_after_the_cache_period(
    app: Flask, moto_queues: MotoQueues
) -> None:
    state = app.extensions[EXTENSION]
    now = [1000.0]
    probe = ReadinessProbe(state.clients, state.queues, clock=lambda: now[0])
    assert probe.check().ready
    moto_queues.sqs.delete_queue(QueueUrl=moto_queues.pending_url)
    now[0] += CACHE_SECONDS - 0.1
    assert probe.check().ready
    now[0] += 0.2
    assert [c.name for c in probe.check().failing] == ["pending_queue"]


def test_a_hung_check_answers_not_ready_by_the_deadline(app: Flask) -> None:
    state = app.extensions[EXTENSION]
    release = threading.Event()
    state.clients.probe_sqs.meta.events.register(
        "before-call.sqs.GetQueueAttributes", lambda **_: release.wait(10)
    )
    probe = ReadinessProbe(state.clients, state.queues, deadline_seconds=0.5)
    try:
        started = time.monotonic()
        readiness = probe.check()
        assert time.monotonic() - started < 1.5
        assert readiness.reason == "check_timeout"
        # A second probe does not start a second evaluation nor wait longer than the deadline.
        assert probe.check().reason == "check_timeout"
    finally:
        release.set()


def test_concurrent_probes_share_one_evaluation(app: Flask) -> None:
    calls = count_calls(app, "GetQueueAttributes")
    probe = app.extensions[EXTENSION].readiness
    threads = [threading.Thread(target=probe.check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 2


def test_healthz_makes_no_aws_call(app: Flask) -> None:
    calls: list[str] = []
    clients = app.extensions[EXTENSION].clients
    for client in (clients.sqs, clients.sts):
        client.meta.events.register("before-call", lambda **kw: calls.append(kw["model"].name))
    assert ApiClient(app).get("/healthz").json == {"status": "ok"}
    assert calls == []


@contextlib.contextmanager
def without_credentials(tmp_path: Path, **extra_env: str) -> Iterator[Flask]:
    """An app in an environment (plus ``extra_env``) where the chain finds no credentials."""
    with moto_with_queues(tmp_path) as queues:
        env = env_for(queues)
    # moto without its fake keys, and nothing else in the chain: no credentials at all.
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_from_host_aws(monkeypatch, tmp_path)
        with mock_aws(config={"core": {"mock_credentials": False}}):
            yield build_app({**env, **extra_env})


@pytest.fixture
def app_without_credentials(tmp_path: Path) -> Iterator[Flask]:
    with without_credentials(tmp_path) as app:
        yield app


def test_no_credentials_makes_the_service_not_ready(tmp_path: Path) -> None:
    with without_credentials(tmp_path, API_KEY="readiness-key") as app:
        response = ApiClient(app, headers={"X-Api-Key": "readiness-key"}).get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"] == "no_credentials"
    checks = {c["name"]: c for c in response.json["checks"]}
    assert not checks["credentials"]["ok"]
    assert "no credentials" in checks["credentials"]["message"]
    assert checks["pending_queue"]["message"] == "not checked: no credentials"


def test_no_credentials_on_a_message_route_is_503(app_without_credentials: Flask) -> None:
    response = ApiClient(app_without_credentials).post("/messages", json={"body": "x"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "no_credentials"


def test_whoami_without_credentials_is_503_with_the_warnings(
    app_without_credentials: Flask,
) -> None:
    response = ApiClient(app_without_credentials).get("/whoami")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "no_credentials"
    assert response.json["warnings"] == []  # nothing else is wrong off ECS


def test_whoami_without_credentials_on_ecs_names_the_missing_task_role(tmp_path: Path) -> None:
    with without_credentials(tmp_path, AWS_EXECUTION_ENV="AWS_ECS_FARGATE") as app:
        response = ApiClient(app).get("/whoami")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "no_credentials"
    assert [(w["code"], w["severity"]) for w in response.json["warnings"]] == [
        ("NO_TASK_ROLE", "error")
    ]


def test_unreachable_endpoint_is_503(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens there; botocore's standard retries give up and the route answers 503.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refusing_port()}")
    api = ApiClient(make_app())
    response = api.get("/messages")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "aws_unavailable"
    assert "cannot reach" in response.json["error"]["message"]
    whoami = api.get("/whoami")
    assert whoami.status_code == 503
    assert whoami.json["error"]["code"] == "identity_unavailable"
