# Deployment artifacts: the Dockerfile and the rendered permission policies are linted with every
# `make lint` (and so every `make test`); `make check` runs the artifact checker itself.
.PHONY: lint-artifacts

lint-artifacts: install ## hadolint on docker/Dockerfile, parliament on the rendered permission policies
	$(BIN)/hadolint docker/Dockerfile
	$(PY) -m checker lint-policies

lint: lint-artifacts
