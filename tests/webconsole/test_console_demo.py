"""`make demo` prints the console's one-time link; `make demo-env` exports CONSOLE_URL."""

from __future__ import annotations

import re
import time

import requests

from ecslocal.runtime_process import RuntimeProcess
from ecslocal.statefile import export_lines
from tests.service.secret_guard import SecretGuard

LINK = re.compile(r"console\s+(http://127\.0\.0\.1:\d+/)\?token=([\w-]+)")
TIMEOUT = 30


def test_the_demo_prints_a_one_time_console_link(tmp_path, secret_guard: SecretGuard):
    demo = RuntimeProcess(tmp_path, (), "the demo", command="demo").start()
    try:
        state = demo.wait_ready()
        secret_guard.register(state["api_key"], state["authorization_token"])
        deadline = time.monotonic() + 30
        while not (match := LINK.search(demo.output())) and time.monotonic() < deadline:
            time.sleep(0.1)  # the banner follows the state file by a /whoami call
        assert match, "the demo banner names the console link"
        url, token = match.groups()
        secret_guard.register(token)
        assert url == state["console_url"]
        browser = requests.Session()
        first = browser.get(f"{url}?token={token}", timeout=TIMEOUT)
        assert first.status_code == 200 and 'id="task-id"' in first.text  # signed in
        assert browser.get(f"{url}api/state", timeout=TIMEOUT).status_code == 200
        again = requests.get(f"{url}?token={token}", timeout=TIMEOUT)
        assert again.status_code == 401  # single use: the sign-in form instead
        assert 'name="api_key"' in again.text
        exports = "\n".join(export_lines(state))
        assert f"export CONSOLE_URL={url}" in exports
    finally:
        demo.stop()
