"""Canaries for the parliament calls checker/parliament_lint.py makes.

``is_finding_filtered`` lives in parliament's command-line module, not its package API: these tests
fail by name when an upgrade moves or changes it or the finding fields the checker reads.
"""

from __future__ import annotations

import json

from checker.parliament_lint import is_finding_filtered, parliament

STAR_ON_KMS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
    }
)


def test_an_enhanced_finding_has_the_fields_the_checker_reads() -> None:
    policy = parliament.analyze_policy_string(STAR_ON_KMS, filepath="p.json")
    (finding,) = (parliament.enhance_finding(f) for f in policy.findings)
    assert (finding.issue, finding.severity) == ("RESOURCE_STAR", "LOW")
    assert finding.title and isinstance(str(finding.detail), str)


def test_findings_below_the_minimum_severity_are_filtered() -> None:
    policy = parliament.analyze_policy_string(STAR_ON_KMS, filepath="p.json")
    (finding,) = (parliament.enhance_finding(f) for f in policy.findings)
    assert is_finding_filtered(finding, "LOW") is False
    assert is_finding_filtered(finding, "MEDIUM") is True
