"""An offline checker for the deployment artifacts: policies, task definition, service calls.

:func:`checker.engine.run_checks` runs the rules of :mod:`checker.ruleset` in order and returns a
:class:`checker.findings.Report`; ``python -m checker check`` formats it as text or JSON. This
package module imports nothing, so importing one checker module loads only what that module uses.
"""
