"""The runtime credential checker: what identity this process holds, and is it the right one.

The checker returns a plain :class:`IdentityReport`; :func:`report_to_dict` and
:func:`report_to_text` only format it. When no report can be made it raises
:class:`service.errors.IdentityUnavailable` (or its :class:`~service.errors.CredentialsUnavailable`).
"""

from service.identity.checker import CredentialChecker, diagnose_without_credentials
from service.identity.formatting import (
    error_to_dict,
    error_to_text,
    report_to_dict,
    report_to_text,
    warnings_to_dicts,
)
from service.identity.model import Expectations, IdentityReport, IdentityWarning

__all__ = [
    "CredentialChecker",
    "Expectations",
    "IdentityReport",
    "IdentityWarning",
    "diagnose_without_credentials",
    "error_to_dict",
    "error_to_text",
    "report_to_dict",
    "report_to_text",
    "warnings_to_dicts",
]
