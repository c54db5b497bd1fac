# Documentation: the two-roles picture is drawn from the shipped policies and task definition.
.PHONY: docs

docs: install ## redraw docs/two-roles.svg from the shipped policies and task definition
	$(PY) -m docs.diagram.two_roles
