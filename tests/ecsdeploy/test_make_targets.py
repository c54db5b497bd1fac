"""make plan / deploy (twice) / destroy against a moto server process, through the real targets."""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest

from artifacts import DeploymentContext
from ecsdeploy.apikey import CREATED_BY_TAG
from tests.support.processes import PROJECT_ROOT, clean_env

REGION = "us-east-1"
# `-o install`: the tests never (re)install the virtualenv.
MAKE = ["make", "--no-print-directory", "-s", "-o", "install"]


def client(endpoint: str, name: str, region: str = REGION):
    return boto3.client(
        name, endpoint_url=endpoint, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def put_image(endpoint: str, repository: str, tag: str) -> None:
    """An image in ECR, as `make push` would leave it (moto keeps only the manifest)."""
    ecr = client(endpoint, "ecr")
    ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "0" * 64,
        },
        "layers": [],
    }
    ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest))


def make(endpoint: str, *args: str, region: str = REGION) -> subprocess.CompletedProcess:
    env = clean_env(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=region,
        AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )  # fmt: skip
    return subprocess.run(
        [*MAKE, *args, f"ENDPOINT_URL={endpoint}"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_plan_deploy_twice_and_destroy(endpoint: str) -> None:
    context = DeploymentContext(service="mk", env="one", region=REGION)
    names = ("SERVICE_NAME=mk", "ENV_NAME=one", "TAG=v1")
    put_image(endpoint, context.ecr_repository, "v1")
    cfn = client(endpoint, "cloudformation")

    plan = make(endpoint, "plan", *names)
    assert plan.returncode == 0, plan.stderr
    assert f"Plan to create stack {context.prefix}" in plan.stdout
    assert "+ Add     TaskRole (AWS::IAM::Role)" in plan.stdout
    assert not [
        s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
    ]

    first = make(endpoint, "deploy", *names)
    assert first.returncode == 0, first.stderr
    assert f"Stack {context.prefix} is CREATE_COMPLETE" in first.stdout
    sqs = client(endpoint, "sqs")
    queues = {url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]}
    assert set(context.queue_names) <= queues
    ssm = client(endpoint, "ssm")
    parameter = ssm.get_parameter(Name=context.api_key_parameter, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Value"] not in first.stdout + first.stderr
    tags = ssm.list_tags_for_resource(
        ResourceType="Parameter", ResourceId=context.api_key_parameter
    )
    assert CREATED_BY_TAG in tags["TagList"]

    second = make(endpoint, "deploy", *names)
    assert second.returncode == 0, second.stderr
    assert "No changes" in second.stdout
    again = ssm.get_parameter(Name=context.api_key_parameter, WithDecryption=True)["Parameter"]
    assert again["Value"] == parameter["Value"]  # never overwritten

    refused = make(endpoint, "destroy", *names)  # no terminal, no YES=1: nothing is deleted
    assert refused.returncode != 0
    assert "not confirmed: nothing was deleted" in refused.stderr
    destroy = make(endpoint, "destroy", *names, "YES=1", "KEEP_IMAGES=1")
    assert destroy.returncode == 0, destroy.stderr
    assert f"Deleted stack {context.prefix}" in destroy.stdout
    assert not ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [context.api_key_parameter]}]
    )["Parameters"]
    assert context.queue_names[0] not in str(sqs.list_queues().get("QueueUrls", []))
    ecr = client(endpoint, "ecr")
    assert ecr.describe_repositories(repositoryNames=[context.ecr_repository])["repositories"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("TAG=missing",), "image bad:missing is not in ECR", id="tag-not-in-ecr"),
        pytest.param(("SUBNETS=subnet-xyz",), "'subnet-xyz' is not a subnet id", id="bad-subnet"),
        pytest.param(("MIN_TASKS=5", "MAX_TASKS=2"), "need 1 <= min <= max", id="min-above-max"),
        pytest.param(("MIN_TASKS=many",), "'many' is not a whole number", id="non-numeric"),
        pytest.param(("ENV_NAME=Prod",), "env name 'Prod' must be", id="upper-case-env"),
        pytest.param(
            ("CERTIFICATE_ARN=cert",), "is not an ACM certificate ARN", id="bad-certificate"
        ),
    ],
)
def test_bad_input_is_one_line_and_creates_nothing(endpoint: str, args, message) -> None:
    if "TAG=missing" in args:
        put_image(endpoint, "bad", "v1")
    result = make(endpoint, "deploy", "SERVICE_NAME=bad", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    stacks = client(endpoint, "cloudformation").list_stacks()["StackSummaries"]
    assert not [s for s in stacks if s["StackName"].startswith("bad-")]


def test_no_default_vpc_with_subnets_default_says_so(endpoint: str) -> None:
    region = "eu-west-3"
    ec2 = client(endpoint, "ec2", region)
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]:
        for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
            "Subnets"
        ]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        ec2.delete_vpc(VpcId=vpc["VpcId"])
    result = make(
        endpoint, "plan", "SERVICE_NAME=novpc", "IMAGE=public.ecr.aws/x/y:1", region=region
    )
    assert result.returncode != 0
    assert "region eu-west-3 has no default VPC" in result.stderr
