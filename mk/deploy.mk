# Deploy cloudformation/template.yaml with the operator's credentials (AWS_PROFILE, AWS_REGION,
# AWS_ENDPOINT_URL are honoured): docs/deploying.md walks through it.
#   make push    TAG=...                      (image built by `make image`; creates the repository)
#   make plan    [REGION=...] [SUBNETS=default|subnet-a,subnet-b] [TAG=...] [IMAGE=...]
#   make deploy  (same variables) [MIN_TASKS=1 MAX_TASKS=4] [PUBLIC_IP=1] [LOAD_BALANCER=0]
#                [CERTIFICATE_ARN=arn:aws:acm:...] [API_KEY_NAME=api-key]
#   make destroy [YES=1] [KEEP_IMAGES=1]
REGION ?=
IMAGE ?=
# Tags are immutable in the repository: each commit gets its own.
TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo latest)
SUBNETS ?= default
PUBLIC_IP ?= 0
LOAD_BALANCER ?= 1
CERTIFICATE_ARN ?=
API_KEY_NAME ?=
MIN_TASKS ?=
MAX_TASKS ?=
YES ?= 0
KEEP_IMAGES ?= 0
ENDPOINT_URL ?=
SERVICE_NAME ?=
ENV_NAME ?=

DEPLOY_COMMON = $(if $(REGION),--region "$(REGION)") \
  $(if $(ENDPOINT_URL),--endpoint-url "$(ENDPOINT_URL)") \
  $(if $(SERVICE_NAME),--service "$(SERVICE_NAME)") \
  $(if $(ENV_NAME),--env "$(ENV_NAME)") \
  --image-tag "$(TAG)"
DEPLOY_ARGS = $(DEPLOY_COMMON) --subnets "$(SUBNETS)" \
  $(if $(IMAGE),--image "$(IMAGE)") \
  $(if $(filter 1,$(PUBLIC_IP)),--assign-public-ip) \
  $(if $(filter 0,$(LOAD_BALANCER)),--no-load-balancer) \
  $(if $(CERTIFICATE_ARN),--certificate-arn "$(CERTIFICATE_ARN)") \
  $(if $(API_KEY_NAME),--api-key-name "$(API_KEY_NAME)") \
  $(if $(MIN_TASKS),--min-tasks "$(MIN_TASKS)") \
  $(if $(MAX_TASKS),--max-tasks "$(MAX_TASKS)")

plan: install ## show the CloudFormation change set deploy would execute (REGION, SUBNETS, TAG)
	$(PY) -m ecsdeploy plan $(DEPLOY_ARGS)

deploy: install ## create/update the stack and follow its events (REGION, SUBNETS, TAG, ...)
	$(PY) -m ecsdeploy deploy $(DEPLOY_ARGS)

destroy: install ## delete the stack and its API key (YES=1 skips the prompt; KEEP_IMAGES=1)
	$(PY) -m ecsdeploy destroy $(DEPLOY_COMMON) $(if $(filter 1,$(YES)),--yes) \
	  $(if $(filter 1,$(KEEP_IMAGES)),--keep-images)

push: install ## push the image `make image` built to the service's ECR repository (TAG)
	$(PY) -m ecsdeploy push $(DEPLOY_COMMON)
