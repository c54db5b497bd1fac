"""A cap on AWS-backed requests in flight per worker process, so a hung AWS cannot pile them up.

Past the cap a request is answered at once with 503 ``busy`` and ``Retry-After`` rather than queued
behind requests that wait on AWS; the probes and the API document never count against it, so
``/healthz`` answers whatever AWS does.
"""

from __future__ import annotations

import threading

from flask import Flask, g, request

from service.config import DEFAULT_AWS_REQUEST_LIMIT
from service.errors import Busy

# Routes that make no AWS call, or bound their own (readiness answers from one shared check).
UNCAPPED_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "health.openapi"})


def install_aws_request_cap(app: Flask, limit: int = DEFAULT_AWS_REQUEST_LIMIT) -> None:
    """Allow at most ``limit`` AWS-backed requests in flight in this process.

    With the gevent worker a waiting request costs a greenlet; the cap bounds the sockets and
    memory a hung AWS can tie up, not the throughput of a healthy one.
    """
    slots = threading.BoundedSemaphore(limit)

    @app.before_request
    def take_a_slot() -> None:
        if request.routing_exception is not None or request.endpoint in UNCAPPED_ENDPOINTS:
            return
        if not slots.acquire(blocking=False):
            raise Busy(f"the service has {limit} requests waiting on AWS already; retry shortly")
        g.aws_slot = True

    @app.teardown_request
    def give_the_slot_back(_error: BaseException | None) -> None:
        if g.pop("aws_slot", False):
            slots.release()
