"""/whoami: the credential checker's report as JSON, and the identity line logged at start-up."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask

from service.state import EXTENSION
from tests.service.conftest import ApiClient


def test_whoami_reports_the_identity_and_credential_source(api: ApiClient) -> None:
    response = api.get("/whoami")
    assert response.status_code == 200
    report = response.json
    assert report["account"] == "123456789012"
    assert report["arn"].startswith("arn:aws:")
    assert report["credentials"]["source"] == "env"  # moto's fake environment keys
    assert report["ecs"] is None
    assert "FOOBARKEY" not in json.dumps(report)  # the key id is masked


def test_whoami_does_not_call_sts_per_request(app: Flask) -> None:
    calls: list[str] = []
    sts = app.extensions[EXTENSION].clients.sts
    sts.meta.events.register("before-call.sts.GetCallerIdentity", lambda **_: calls.append("sts"))
    api = ApiClient(app)
    for _ in range(3):
        assert api.get("/whoami").status_code == 200
    assert calls == []  # answered from the identity checked at start-up


def test_startup_logs_one_identity_line(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="service.startup"):
        make_app()
    lines = [r.__dict__ for r in caplog.records if getattr(r, "event", None) == "identity"]
    assert len(lines) == 1
    assert lines[0]["credential_source"] == "env"
    assert lines[0]["arn"].startswith("arn:aws:")


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_the_same_report_as_an_escaped_html_page(api: ApiClient) -> None:
    report = api.get("/whoami").json
    response = api.get("/whoami", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert "<h1>Who this service runs as</h1>" in page
    assert report["arn"] in page and report["credentials"]["source"] in page
    assert "<script" not in page


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, text/html", "text/html;q=0.5, */*"],
)
def test_every_other_client_keeps_getting_json(api: ApiClient, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = api.get("/whoami", headers=headers)
    assert response.mimetype == "application/json"
    assert "Accept" in response.headers["Vary"]
    assert response.json["arn"].startswith("arn:aws:")


def test_the_html_page_escapes_every_value() -> None:
    from service.identity.html import whoami_to_html

    hostile = "<script>alert(1)</script>"
    page = whoami_to_html(
        {
            "arn": hostile,
            "credentials": {"source": "env"},
            "warnings": [{"code": "X", "severity": "high", "message": hostile}],
        }
    )
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
