"""The checker's rules, one module per subject; :mod:`checker.ruleset` lists them in report order."""
