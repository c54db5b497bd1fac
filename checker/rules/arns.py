"""ARN rules (AR...): every ARN names this deployment's account and region, without wildcards."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from checker.arnmatch import has_wildcard, split_arn
from checker.findings import Severity
from checker.rules.base import Hit, rule
from checker.subject import DOCUMENTS, Subject


def _arns(value: Any, path: str) -> Iterator[tuple[str, str, list[str]]]:
    if isinstance(value, str):
        parts = split_arn(value)
        if parts is not None:
            yield path, value, parts
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _arns(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arns(item, f"{path}.{key}")


def all_arns(subject: Subject) -> Iterator[tuple[str, str, str, list[str]]]:
    """(document, path, arn, components) of every ARN in every artifact."""
    for document in DOCUMENTS:
        for path, arn, parts in _arns(subject.document(document), "$"):
            yield document, path, arn, parts


@rule(
    "AR001",
    Severity.ERROR,
    "an ARN has a wildcard account or region",
    "Write the account id and region (${AccountId}, ${Region}) into the ARN.",
)
def no_wildcard_account_or_region(subject: Subject) -> Iterable[Hit]:
    for document, path, arn, parts in all_arns(subject):
        wild = [
            label
            for label, part in (("region", parts[3]), ("account", parts[4]))
            if has_wildcard(part)
        ]
        if wild:
            yield Hit(
                document,
                path,
                f"{arn} matches any {' and any '.join(wild)}: it reaches other accounts' or regions' resources",
            )


@rule(
    "AR002",
    Severity.ERROR,
    "an ARN names another partition, account or region",
    "Use the deployment's ${Partition}, ${AccountId} and ${Region}.",
)
def arns_in_this_deployment(subject: Subject) -> Iterable[Hit]:
    context = subject.context
    for document, path, arn, parts in all_arns(subject):
        partition, region, account = parts[1], parts[3], parts[4]
        wrong = []
        if partition != context.partition and not has_wildcard(partition):
            wrong.append(f"partition {partition!r}")
        if region and region != context.region and not has_wildcard(region):
            wrong.append(f"region {region!r}")
        if account and account not in (context.account_id, "aws") and not has_wildcard(account):
            wrong.append(f"account {account!r}")
        if wrong:
            yield Hit(document, path, f"{arn} names {', '.join(wrong)}, not this deployment's")
