# The service's image, built with the classic builder on the host network. PYTHON_IMAGE names the base
# (a machine without a registry makes one with `docker/engine.sh base`); the image is labelled with a
# hash of its build inputs, so the local runtime (ENGINE=docker) rebuilds only when they change.
#   make image [PYTHON_IMAGE=courier-base:bookworm] [TAG=...]
# Not given: the Dockerfile's default, or the bootstrapped base where only that one is here
# (`python -m ecslocal.image base` decides, for make and for the runtime alike).
PYTHON_IMAGE ?=
LOCAL_IMAGE ?= courier:local
export PYTHON_IMAGE

.PHONY: image

image: install ## docker build the service image as courier:local and courier:TAG (PYTHON_IMAGE)
	@$(PY) -m ecslocal.image check
	base="$$($(PY) -m ecslocal.image base)"; \
	docker build --network host $${base:+--build-arg PYTHON_IMAGE="$$base"} \
	  --label org.courier.context-hash="$$($(PY) -m ecslocal.image hash)" \
	  -f docker/Dockerfile -t "$(LOCAL_IMAGE)" -t "courier:$(TAG)" .
