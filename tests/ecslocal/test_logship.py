"""Shipping container output to CloudWatch Logs within the PutLogEvents limits."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ecslocal.logship import (
    EVENT_OVERHEAD_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_BATCH_SPAN_MS,
    MAX_EVENT_BYTES,
    LogEvent,
    LogShipper,
    batch_events,
    clip_message,
)


def test_batches_hold_at_most_ten_thousand_events():
    events = [LogEvent(1000 + i, "x") for i in range(MAX_BATCH_EVENTS * 2 + 5)]
    batches = batch_events(events)
    assert [len(b) for b in batches] == [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5]


def test_batches_stay_under_the_byte_limit_counting_the_per_event_overhead():
    message = "y" * 100_000
    batches = batch_events([LogEvent(i, message) for i in range(25)])
    for batch in batches:
        assert sum(len(e.message) + EVENT_OVERHEAD_BYTES for e in batch) <= MAX_BATCH_BYTES
    assert sum(len(b) for b in batches) == 25
    assert len(batches) == 3


def test_batches_are_in_time_order_and_span_at_most_a_day():
    events = [
        LogEvent(5, "late"),
        LogEvent(1, "early"),
        LogEvent(1 + MAX_BATCH_SPAN_MS + 1, "next day"),
    ]
    batches = batch_events(events)
    assert [[e.message for e in b] for b in batches] == [["early", "late"], ["next day"]]


def test_lines_of_the_same_millisecond_keep_their_order():
    events = [LogEvent(7, str(i)) for i in range(50)]
    assert [e.message for e in batch_events(events)[0]] == [str(i) for i in range(50)]


@pytest.mark.parametrize("message", ["é" * MAX_EVENT_BYTES, "z" * (MAX_EVENT_BYTES + 10)])
def test_oversized_lines_are_clipped_to_one_event_on_a_character_boundary(message):
    clipped = clip_message(message)
    assert len(clipped.encode()) <= MAX_EVENT_BYTES
    assert message.startswith(clipped)


def ship(lines: list[str]) -> tuple[list[str], LogShipper, list[str]]:
    """Ship ``lines`` to a fresh stream (in-process moto); what landed, the shipper, its errors."""
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/ecs/test")
    logs.create_log_stream(logGroupName="/ecs/test", logStreamName="p/c/t")
    errors: list[str] = []
    shipper = LogShipper(logs, "/ecs/test", "p/c/t", flush_interval=60, on_error=errors.append)
    shipper.start()
    for line in lines:
        shipper.put(line)
    shipper.stop()
    events = logs.get_log_events(
        logGroupName="/ecs/test", logStreamName="p/c/t", startFromHead=True
    )["events"]
    return [e["message"] for e in events], shipper, errors


@mock_aws
def test_shipped_lines_arrive_in_the_stream_in_order_after_stop():
    landed, shipper, errors = ship([f"line {i}" for i in range(120)])
    assert landed == [f"line {i}" for i in range(120)]
    assert (shipper.shipped, shipper.failed, errors) == (120, 0, [])


@mock_aws
def test_empty_lines_are_dropped_and_never_fail_a_batch():
    landed, shipper, errors = ship(["Traceback:", "", "  File x", "", "Error"])
    assert landed == ["Traceback:", "  File x", "Error"]
    assert (shipper.shipped, shipper.failed, errors) == (3, 0, [])


@mock_aws
def test_a_failing_put_is_reported_and_counted_not_raised():
    logs = boto3.client("logs", region_name="us-east-1")
    errors: list[str] = []
    shipper = LogShipper(logs, "/ecs/missing", "s", flush_interval=60, on_error=errors.append)
    shipper.start()
    shipper.put("lost")
    shipper.stop()
    assert shipper.failed == 1
    assert "ResourceNotFoundException" in errors[0]
