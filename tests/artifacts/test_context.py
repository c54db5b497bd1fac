"""The deployment context validates its inputs and derives every name from them."""

from __future__ import annotations

import pytest

from artifacts.context import ContextError, DeploymentContext
from artifacts.render import render_artifacts
from service.config import parse_queue_url


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param(
            {"account_id": "12345"}, "account id '12345' is not 12 digits", id="short-account"
        ),
        pytest.param({"account_id": "12345678901a"}, "is not 12 digits", id="non-digit-account"),
        pytest.param({"account_id": "123456789012\n"}, "is not 12 digits", id="account-newline"),
        pytest.param(
            {"account_id": "١٢٣٤٥٦٧٨٩٠١٢"}, "is not 12 digits", id="account-in-arabic-digits"
        ),
        pytest.param({"region": "us-east-1\n"}, "is not an AWS region", id="region-newline"),
        pytest.param(
            {"region": "mars-1"}, "region 'mars-1' is not an AWS region name", id="bad-region"
        ),
        pytest.param({"region": "US-EAST-1"}, "is not an AWS region name", id="upper-case-region"),
        pytest.param(
            {"service": "Courier"}, "service name 'Courier' must be", id="upper-case-service"
        ),
        pytest.param({"env": "d"}, "env name 'd' must be", id="one-letter-env"),
        pytest.param({"env": "dev/../prod"}, "env name", id="path-in-env"),
        pytest.param(
            {"parameter_key_id": "alias/foo"}, "is not a key id (a UUID)", id="alias-as-key-id"
        ),
    ],
)
def test_malformed_inputs_are_rejected_with_the_reason(inputs, message: str) -> None:
    with pytest.raises(ContextError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DeploymentContext(**inputs)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ContextError) as caught:
        DeploymentContext(account_id="1", region="x", service="S")
    assert str(caught.value).count(";") == 2


def test_names_and_arns_are_derived_from_the_inputs() -> None:
    context = DeploymentContext(
        account_id="111122223333", region="eu-west-1", service="courier", env="prod"
    )
    variables = context.variables()
    assert variables["PendingQueueArn"] == "arn:aws:sqs:eu-west-1:111122223333:courier-prod-pending"
    assert variables["ExecutionRoleArn"] == "arn:aws:iam::111122223333:role/courier-prod-execution"
    assert variables["Image"] == "111122223333.dkr.ecr.eu-west-1.amazonaws.com/courier:latest"
    assert variables["ApiKeyParameterArn"].startswith(variables["ParameterPathArn"])
    assert (
        variables["ConfirmedQueueUrl"]
        == "https://sqs.eu-west-1.amazonaws.com/111122223333/courier-prod-confirmed"
    )


def test_partition_follows_the_region() -> None:
    assert DeploymentContext(region="cn-north-1").variables()["Partition"] == "aws-cn"
    assert (
        DeploymentContext(region="us-gov-west-1").role_arn("r").startswith("arn:aws-us-gov:iam::")
    )


def test_china_regions_use_their_own_endpoint_domain() -> None:
    context = DeploymentContext(region="cn-north-1")
    assert context.queue_url("q") == "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"
    assert context.image_uri.startswith("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/")
    execution = render_artifacts(context).execution_policy
    (decrypt,) = [s for s in execution["Statement"] if s["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == (
        "ssm.cn-north-1.amazonaws.com.cn"
    )
    assert parse_queue_url(context.queue_url("q")).region == "cn-north-1"


def test_a_local_sqs_endpoint_changes_only_the_urls() -> None:
    context = DeploymentContext(sqs_endpoint="http://127.0.0.1:5000/")
    assert context.queue_url("q") == "http://127.0.0.1:5000/123456789012/q"
    assert context.queue_arn("q") == "arn:aws:sqs:us-east-1:123456789012:q"
