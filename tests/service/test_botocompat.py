"""Canaries for the botocore internals read through service/botocompat.py.

Each test pins one private attribute against the installed botocore: when an upgrade renames or
reshapes it, these fail by name instead of the service quietly losing the expiry or the JSON paths.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import botocore.client
import botocore.session
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.validate import ParamValidator

from service.botocompat import API_CALL_METHOD, credentials_expiry, validation_errors

EXPIRY = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _refreshable() -> RefreshableCredentials:
    metadata = {
        "access_key": "AKIDEXAMPLECANARY",
        "secret_key": "canary-not-a-secret",
        "token": "canary-not-a-token",
        "expiry_time": EXPIRY.isoformat(),
    }
    return RefreshableCredentials.create_from_metadata(
        metadata, refresh_using=lambda: metadata, method="container-role"
    )


def test_refreshable_credentials_keep_an_aware_expiry_in_expiry_time() -> None:
    credentials = _refreshable()
    assert isinstance(credentials._expiry_time, datetime)
    assert credentials._expiry_time.tzinfo is not None
    assert credentials_expiry(credentials) == EXPIRY


def test_static_credentials_have_no_expiry() -> None:
    assert credentials_expiry(Credentials("AKIDEXAMPLECANARY", "canary-not-a-secret")) is None


def test_param_validator_keeps_each_error_with_its_parameter_name() -> None:
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    report = ParamValidator().validate({"containerDefinitions": [{"name": 1}]}, shape)
    assert isinstance(report._errors, list)
    assert all(isinstance(error, tuple) and len(error) == 3 for error in report._errors)
    errors = validation_errors(report)
    assert errors is not None
    by_name = {name: (details, message) for name, details, message in errors}
    assert by_name[""][0]["required_name"] == "family"
    assert "family" in by_name[""][1]
    assert "containerDefinitions[0].name" in by_name[".containerDefinitions[0].name"][1]


def test_every_client_call_goes_through_the_api_call_method() -> None:
    method = getattr(botocore.client.BaseClient, API_CALL_METHOD)
    assert list(inspect.signature(method).parameters) == ["self", "operation_name", "api_params"]
