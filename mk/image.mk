# The service's image, built with the classic builder on the host network. PYTHON_IMAGE names the base
# (a machine without a registry makes one with `docker/engine.sh base`); the image is labelled with a
# hash of its build inputs, so the local runtime (ENGINE=docker) rebuilds only when they change.
#   make image [PYTHON_IMAGE=courier-base:bookworm] [TAG=...]
# Not given: the Dockerfile's own default (python:3.11-slim-bookworm from a registry), unless that is
# not here and the base `docker/engine.sh base` bootstraps is (a machine without a registry).
ifeq ($(origin PYTHON_IMAGE),undefined)
DEFAULT_BASE := $(shell sed -n 's/^ARG PYTHON_IMAGE=//p' docker/Dockerfile)
PYTHON_IMAGE := $(shell { docker image inspect "$(DEFAULT_BASE)" || \
  ! docker image inspect courier-base:bookworm; } >/dev/null 2>&1 || echo courier-base:bookworm)
endif
LOCAL_IMAGE ?= courier:local
export PYTHON_IMAGE

.PHONY: image

image: install ## docker build the service image as courier:local and courier:TAG (PYTHON_IMAGE)
	@$(PY) -m ecslocal.image check
	docker build --network host $(if $(PYTHON_IMAGE),--build-arg PYTHON_IMAGE="$(PYTHON_IMAGE)") \
	  --label org.courier.context-hash="$$($(PY) -m ecslocal.image hash)" \
	  -f docker/Dockerfile -t "$(LOCAL_IMAGE)" -t "courier:$(TAG)" .
