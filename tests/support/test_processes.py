"""The test helpers' event waits see the event itself."""

from __future__ import annotations

import socket

import pytest

from tests.support.processes import wait_until_accepted


def test_a_connection_counts_as_accepted_only_once_the_server_accepts_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(TimeoutError):
            wait_until_accepted(port, timeout=0.2)  # no client yet
        with socket.create_connection(("127.0.0.1", port)):
            with pytest.raises(TimeoutError):
                wait_until_accepted(port, timeout=0.2)  # connected, still in the accept queue
            accepted, _ = listener.accept()
            with accepted:
                wait_until_accepted(port, timeout=5)
