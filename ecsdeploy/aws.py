"""One boto3 session for the operator's default credential chain, and its clients.

``AWS_PROFILE``, ``AWS_REGION`` and ``AWS_ENDPOINT_URL`` are honoured by boto3 itself;
``--profile``, ``--region`` and ``--endpoint-url`` override them. Every client comes from the same
session, region and endpoint. The last operation each call made is remembered, so an error can name
the IAM action that was refused even when AWS (or moto) leaves it out of the message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError

from ecsdeploy.errors import DeployError, describe_client_error

CLIENT_CONFIG = Config(
    connect_timeout=10,
    read_timeout=60,
    retries={"mode": "standard", "max_attempts": 5},
)


@functools.cache
def _service_models() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def new_botocore_session() -> botocore.session.Session:
    """A fresh session (own credentials and config) sharing one loader of the service models.

    Loading a service's model takes tens of milliseconds; a process that runs several commands
    (the test suite does) loads each model once.
    """
    session = botocore.session.get_session()
    loader = _service_models()
    # boto3 appends its data path on every session: keep the list from growing.
    unique = list(dict.fromkeys(loader.search_paths))
    loader.search_paths[:] = unique
    session.register_component("data_loader", loader)
    return session


@dataclass
class Aws:
    """The session, region and endpoint every call of one run uses."""

    session: boto3.Session
    region: str
    endpoint_url: str | None = None
    last_service: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, name: str) -> Any:
        """The (cached) client for service ``name``."""
        if name not in self._clients:
            client = self.session.client(
                name, region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
            )
            signing_name = client.meta.service_model.signing_name
            client.meta.events.register(
                "before-call", lambda signing_name=signing_name, **_: self._note(signing_name)
            )
            self._clients[name] = client
        return self._clients[name]

    def _note(self, signing_name: str) -> None:
        self.last_service = signing_name

    def explain(self, exc: ClientError, resource: str | None = None) -> str:
        """Plain words for an error of the last call, naming the missing permission if denied."""
        return describe_client_error(exc, self.last_service, resource)

    def account_id(self) -> str:
        """The account the credentials belong to, from STS."""
        try:
            return self.client("sts").get_caller_identity()["Account"]
        except NoCredentialsError:
            raise DeployError(
                "no AWS credentials found: set AWS_PROFILE (or --profile), or configure the default "
                "credential chain (aws configure, SSO login, environment variables)"
            ) from None
        except ClientError as exc:
            raise DeployError(self.explain(exc, "sts:GetCallerIdentity")) from None
