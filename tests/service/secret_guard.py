"""A suite-wide guard: no secret issued or used in the test run may appear in what the suite sees.

Secrets are collected automatically: every secret key and session token botocore signs with, and
every secret an AWS response hands out (STS and IAM credentials, ECR tokens, Secrets Manager
values), plus anything a test registers (API keys, keys given to subprocesses).

Texts are collected automatically too: every response body of the service's Flask apps, every log
record (formatted as the service's JSON lines), and every test's captured stdout, stderr and log;
tests add what subprocesses printed with :meth:`SecretGuard.observe`.

A test whose texts contain a known secret fails with a report that names where, never the secret;
at the end of the session every text is checked again against every secret (a secret can become
known after the text that holds it was seen), failing the run if any leak is found.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.auth
import botocore.client
import flask
import pytest

from service.botocompat import API_CALL_METHOD
from service.logs import JsonFormatter
from service.state import EXTENSION

# Shorter values are placeholders ("test", "testing"), too common to search for.
MIN_SECRET_CHARS = 10
# Keys of AWS request parameters and response members that carry a secret.
SECRET_MEMBERS = frozenset(
    {"SecretAccessKey", "SessionToken", "AuthorizationToken", "SecretString", "Token"}
)


def mask(secret: str) -> str:
    """Which secret it was (a hash prefix and the length), without revealing any of it."""
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]
    return f"sha256:{digest} ({len(secret)} chars)"


@dataclass(frozen=True)
class Leak:
    where: str
    secret_hint: str

    def __str__(self) -> str:
        return f"secret {self.secret_hint} appeared in {self.where}"


@dataclass
class SecretGuard:
    """The secrets known so far and the texts seen so far."""

    secrets: set[str] = field(default_factory=set)
    texts: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _checked: int = 0  # texts before this index were checked against every secret of their time

    def register(self, *values: Any) -> None:
        """Treat ``values`` as secrets (short or non-string values are ignored)."""
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS:
                    self.secrets.add(value)

    def observe(self, where: str, text: str | bytes | None) -> None:
        """Record a text the suite saw (a response body, a log line, a subprocess's output)."""
        if not text:
            return
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        with self._lock:
            self.texts.append((where, text))

    def scan(self, texts: Iterable[tuple[str, str]]) -> list[Leak]:
        """Leaks of any known secret in ``texts``."""
        with self._lock:
            secrets = sorted(self.secrets)
        return [
            Leak(where, mask(secret))
            for where, text in texts
            for secret in secrets
            if secret in text
        ]

    def new_leaks(self) -> list[Leak]:
        """Leaks in the texts observed since the last call."""
        with self._lock:
            fresh = self.texts[self._checked :]
            self._checked = len(self.texts)
        return self.scan(fresh)

    def all_leaks(self) -> list[Leak]:
        """Leaks in every text observed, against every secret known now."""
        with self._lock:
            texts = list(self.texts)
        return self.scan(texts)


GUARD = SecretGuard()


def secrets_in(value: Any) -> Iterator[str]:
    """Every string under a :data:`SECRET_MEMBERS` key anywhere in a parsed AWS structure."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_MEMBERS and isinstance(item, str):
                yield item
            else:
                yield from secrets_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from secrets_in(item)


class _GuardLogHandler(logging.Handler):
    """Sees every log record as the service would write it."""

    def __init__(self, guard: SecretGuard) -> None:
        super().__init__(level=logging.NOTSET)
        self.guard = guard
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.guard.observe(f"log record of {record.name}", self.format(record))
        except Exception:  # a record that cannot be formatted is not this guard's to report
            self.handleError(record)


def install(guard: SecretGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hook botocore, Flask and logging so ``guard`` sees secrets and texts without test code."""
    original_add_auth = botocore.auth.SigV4Auth.add_auth

    def add_auth(self: botocore.auth.SigV4Auth, request: Any) -> Any:
        credentials = getattr(self, "credentials", None)
        if credentials is not None:
            guard.register(credentials.secret_key, credentials.token)
        return original_add_auth(self, request)

    monkeypatch.setattr(botocore.auth.SigV4Auth, "add_auth", add_auth)

    original_call = getattr(botocore.client.BaseClient, API_CALL_METHOD)

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        guard.register(*secrets_in(api_params))
        if operation_name == "PutParameter" and api_params.get("Type") == "SecureString":
            guard.register(api_params.get("Value"))
        result = original_call(self, operation_name, api_params)
        guard.register(*secrets_in(result))
        return result

    monkeypatch.setattr(botocore.client.BaseClient, API_CALL_METHOD, make_api_call)

    def on_response(sender: flask.Flask, response: flask.Response, **_: Any) -> None:
        if EXTENSION in sender.extensions and not response.is_streamed:
            where = f"response of {flask.request.method} {flask.request.path}"
            guard.observe(where, response.get_data())
            guard.observe(f"headers of {where}", str(response.headers))

    flask.request_finished.connect(on_response, weak=False)
    logging.getLogger().addHandler(_GuardLogHandler(guard))


# -- pytest hooks (imported by tests/conftest.py) --------------------------------------------------

_monkeypatch = pytest.MonkeyPatch()


def pytest_configure(config: pytest.Config) -> None:
    install(GUARD, _monkeypatch)


def pytest_unconfigure(config: pytest.Config) -> None:
    _monkeypatch.undo()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    for section, text in report.sections:
        if section.endswith(report.when):  # earlier phases' sections repeat in later reports
            GUARD.observe(f"{item.nodeid} {section}", text)
    leaks = GUARD.new_leaks()
    if leaks:
        report.outcome = "failed"
        report.longrepr = "a secret leaked into what this test saw:\n" + "\n".join(
            f"  - {leak}" for leak in leaks
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaks = GUARD.all_leaks()
    if leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(f"  - {leak}" for leak in leaks)
        message = f"secret guard: {len(leaks)} leak(s) of secrets issued in this run:\n{lines}"
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
