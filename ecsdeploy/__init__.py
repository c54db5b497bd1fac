"""Deploy the service to a real AWS account: plan, apply idempotently, and tear down.

The shipped ``policies/`` and ``taskdef/`` are rendered by :mod:`artifacts` for the operator's
account (from STS), region, image and network, turned into a desired state, compared with what the
account holds (read with boto3) and applied in dependency order. Every resource it creates carries
the deployment's ownership tags, and ``destroy`` removes only what carries them.
``python -m ecsdeploy --help`` lists the commands.
"""
