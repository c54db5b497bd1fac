"""Waiting for the service: what counts as stable or failed, the progress line, the timeout."""

from __future__ import annotations

import io

import pytest

from ecsdeploy.wait import Progress, rollout_status


def service(*deployments: dict, running: int = 2, desired: int = 2) -> dict:
    return {"deployments": list(deployments), "runningCount": running, "desiredCount": desired}


PRIMARY_DONE = {"status": "PRIMARY", "rolloutState": "COMPLETED"}
PRIMARY_GOING = {"status": "PRIMARY", "rolloutState": "IN_PROGRESS"}
OLD = {"status": "ACTIVE", "rolloutState": "COMPLETED"}


@pytest.mark.parametrize(
    ("described", "stable", "failed"),
    [
        (service(PRIMARY_DONE), True, False),
        (service(PRIMARY_GOING), False, False),
        (service(PRIMARY_DONE, OLD), False, False),
        (service(PRIMARY_DONE, running=1), False, False),
        (service(), False, False),
        (
            service(
                {
                    "status": "PRIMARY",
                    "rolloutState": "FAILED",
                    "rolloutStateReason": "tasks failed to start",
                }
            ),
            False,
            True,
        ),
    ],
)
def test_rollout_status(described, stable, failed):
    status = rollout_status(described)

    assert (status.stable, status.failed) == (stable, failed)
    assert (
        f"{described['runningCount']}/{described['desiredCount']} tasks running" in status.summary
    )


def test_a_failed_rollout_gives_the_reason_ecs_gave():
    status = rollout_status(
        service(
            {"status": "PRIMARY", "rolloutState": "FAILED", "rolloutStateReason": "circuit breaker"}
        )
    )

    assert status.summary.endswith("circuit breaker")


def test_progress_prints_a_line_only_when_it_changes_off_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream)

    for text in ("1/2 running", "1/2 running", "2/2 running"):
        progress.show(text)
    progress.done()

    assert stream.getvalue() == "1/2 running\n2/2 running\n"


@pytest.mark.integration
def test_deploy_that_waits_stops_at_the_timeout_with_a_clear_message(cli, context, deploy_args):
    waiting = [arg for arg in deploy_args if arg != "--no-wait"]

    result = cli("deploy", *waiting, "--wait-timeout", "0.2")

    assert result.code == 1
    assert f"waiting for service {context.prefix} to become stable" in result.err
    assert "timed out after 0.2 s" in result.err
    assert "rollout IN_PROGRESS" in result.err
    assert "ECS goes on with the deployment" in result.err
    assert "Traceback" not in result.text


@pytest.mark.integration
def test_a_deploy_with_no_changes_still_waits_for_a_service_that_has_not_settled(
    cli, context, deploy_args
):
    assert cli("deploy", *deploy_args).code == 0
    waiting = [arg for arg in deploy_args if arg != "--no-wait"]

    result = cli("deploy", *waiting, "--wait-timeout", "0.2")

    assert "No changes" in result.out
    assert result.code == 1
    assert "timed out after 0.2 s" in result.err
