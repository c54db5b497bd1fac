"""Settings from the environment: queue URLs, region, roles, API key and port, every problem named."""

from __future__ import annotations

import pytest

from artifacts.context import DeploymentContext
from service.config import ConfigError, Settings, parse_port, parse_queue_url

CONTEXT = DeploymentContext()
ACCOUNT = CONTEXT.account_id
PENDING, CONFIRMED = CONTEXT.queue_names


def valid_env(**changes: str) -> dict[str, str]:
    env = {
        "AWS_REGION": CONTEXT.region,
        "PENDING_QUEUE_URL": CONTEXT.queue_url(PENDING),
        "CONFIRMED_QUEUE_URL": CONTEXT.queue_url(CONFIRMED),
    }
    env.update(changes)
    return env


@pytest.mark.parametrize(
    ("url", "region"),
    [
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/{PENDING}", "eu-west-1"),
        (f"https://sqs.eu-west-1.amazonaws.com:443/{ACCOUNT}/{PENDING}", "eu-west-1"),
        (f"https://sqs.cn-north-1.amazonaws.com.cn/{ACCOUNT}/{PENDING}", "cn-north-1"),
        (f"https://sqs.eu-west-1.api.aws/{ACCOUNT}/{PENDING}", "eu-west-1"),
        (
            f"https://vpce-0a1b-c2d3.sqs.eu-west-1.vpce.amazonaws.com/{ACCOUNT}/{PENDING}",
            "eu-west-1",
        ),
        (f"https://eu-west-1.queue.amazonaws.com/{ACCOUNT}/{PENDING}", "eu-west-1"),
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/{PENDING}.fifo", "eu-west-1"),
        # Local endpoints name no region: the client's region stands in.
        (f"http://127.0.0.1:5000/{ACCOUNT}/{PENDING}", None),
        (f"http://[::1]:5000/{ACCOUNT}/{PENDING}", None),
        (f"http://localhost/{ACCOUNT}/{PENDING}", None),
    ],
)
def test_queue_urls_parse_with_the_region_of_aws_hosts_only(url: str, region: str | None) -> None:
    queue = parse_queue_url(url)
    assert (queue.account_id, queue.region) == (ACCOUNT, region)
    assert queue.name.startswith(PENDING)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"sqs://queue/{ACCOUNT}/{PENDING}", "is not an http(s) URL"),
        (f"https:///{ACCOUNT}/{PENDING}", "is not an http(s) URL"),
        (f"https://sqs.eu-west-1.amazonaws.com/{PENDING}", "does not have the path"),
        (f"https://sqs.eu-west-1.amazonaws.com/12345/{PENDING}", "does not have the path"),
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/{PENDING}/", "does not have the path"),
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/{PENDING}?a=1", "does not have the path"),
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/{'q' * 81}", "does not have the path"),
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/a b", "contains whitespace"),
        (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/a%20b", "does not have the path"),
    ],
)
def test_malformed_queue_urls_say_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_queue_url(url)
    assert problem in str(raised.value)


def test_valid_environment_gives_settings() -> None:
    settings = Settings.from_env(valid_env(API_KEY="k" * 32, PORT="9000"))
    assert settings.region == CONTEXT.region
    assert settings.pending_queue.name == PENDING
    assert settings.confirmed_queue.name == CONFIRMED
    assert settings.port == 9000
    assert "k" * 32 not in repr(settings)


def test_aws_region_wins_over_aws_default_region() -> None:
    env = valid_env(AWS_DEFAULT_REGION="eu-west-1")
    assert Settings.from_env(env).region == CONTEXT.region
    del env["AWS_REGION"]
    assert Settings.from_env(env).region == "eu-west-1"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"AWS_REGION": "Europe"}, "AWS_REGION 'Europe' is not a region name"),
        # A value pasted with its line end matches "^...$" patterns: it must not pass.
        ({"AWS_REGION": "us-east-1\n"}, "AWS_REGION 'us-east-1\\n' is not a region name"),
        ({"EXPECTED_TASK_ROLE_NAME": "role\n"}, "is not an IAM role name"),
        ({"EXPECTED_TASK_ROLE_NAME": "rôle"}, "is not an IAM role name"),
        (
            {"PENDING_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q\n"},
            "contains whitespace or control characters",
        ),
        (
            {"PENDING_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/١٢٣٤٥٦٧٨٩٠١٢/q"},
            "does not have the path",
        ),
        ({"PENDING_QUEUE_URL": ""}, "PENDING_QUEUE_URL is not set"),
        ({"CONFIRMED_QUEUE_URL": "queue"}, "CONFIRMED_QUEUE_URL: 'queue' is not an http(s) URL"),
        ({"CONFIRMED_QUEUE_URL": "http://[::1/x"}, "CONFIRMED_QUEUE_URL: "),
        (
            {"CONFIRMED_QUEUE_URL": CONTEXT.queue_url(PENDING)},
            "PENDING_QUEUE_URL and CONFIRMED_QUEUE_URL name the same queue",
        ),
        (
            # The same queue under another spelling of its host.
            {"CONFIRMED_QUEUE_URL": CONTEXT.queue_url(PENDING).replace(".com/", ".com:443/")},
            "name the same queue",
        ),
        ({"EXPECTED_TASK_ROLE_NAME": "role/with/slashes"}, "is not an IAM role name"),
        ({"EXECUTION_ROLE_NAME": "r" * 65}, "EXECUTION_ROLE_NAME"),
        ({"API_KEY": ""}, "API_KEY is set but empty"),
        ({"API_KEY": "key\n"}, "API_KEY has leading or trailing whitespace"),
        ({"PORT": "http"}, "PORT 'http' is not a port number"),
        ({"PORT": "65536"}, "PORT '65536' is not a port number"),
        ({"PORT": "²"}, "PORT '²' is not a port number"),  # a digit to isdigit(), not to int()
    ],
)
def test_each_bad_setting_is_named(changes: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(valid_env(**changes))
    assert [text for text in raised.value.problems if problem in text], raised.value.problems


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"PORT": "0", "API_KEY": " "})
    assert len(raised.value.problems) == 5
    assert str(raised.value).count("\n  - ") == 5


@pytest.mark.parametrize(
    ("text", "port"),
    [("8080", 8080), ("1", 1), ("65535", 65535), ("0", None), ("-1", None), ("٨٠", None)],
)
def test_parse_port_takes_ascii_port_numbers_only(text: str, port: int | None) -> None:
    assert parse_port(text) == port
