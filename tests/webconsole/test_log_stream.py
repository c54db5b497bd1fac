"""The console's log panel reads a stream past GetLogEvents' first page."""

from __future__ import annotations

import time

import boto3
from moto import mock_aws

from ecslocal.webconsole.view import read_stream


@mock_aws
def test_every_event_is_read_across_pages() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/ecs/courier-dev")
    logs.create_log_stream(logGroupName="/ecs/courier-dev", logStreamName="courier/courier/t1")
    now = int(time.time() * 1000) - 60_000
    # moto pages GetLogEvents at 10,000 events, like AWS.
    for batch in range(3):
        logs.put_log_events(
            logGroupName="/ecs/courier-dev",
            logStreamName="courier/courier/t1",
            logEvents=[
                {"timestamp": now + batch * 10_000 + i, "message": f"{batch}-{i}"}
                for i in range(5_000)
            ],
        )

    events = read_stream(logs, "/ecs/courier-dev", "courier/courier/t1")

    assert len(events) == 15_000
    assert events[0]["message"] == "0-0" and events[-1]["message"] == "2-4999"
