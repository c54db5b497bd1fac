"""An offline checker for the deployment artifacts: policies, task definition, service calls.

:func:`run_checks` returns a :class:`Report` of :class:`Finding` values, each with a stable code;
``python -m checker check`` formats it as text or JSON.
"""

from checker.engine import check_files, run_checks
from checker.findings import Finding, Report, Severity

__all__ = ["Finding", "Report", "Severity", "check_files", "run_checks"]
