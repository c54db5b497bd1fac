# Deploy to a real AWS account with the operator's credentials (AWS_PROFILE, AWS_REGION,
# AWS_ENDPOINT_URL are honoured): the README's "Deploy to ECS" walks through it.
#   make plan    REGION=eu-west-1 SUBNETS=subnet-a,subnet-b [SECURITY_GROUPS=sg-x] [TAG=...]
#   make deploy  (same variables) [WAIT=0] [MIN_TASKS=1 MAX_TASKS=4] [PUBLIC_IP=1] [PRINT_CLI=1]
#   make destroy REGION=eu-west-1 [YES=1]
#   make push [TAG=...]   (make image: mk/image.mk)
REGION ?=
IMAGE ?=
# Tags are immutable in the repository: each commit gets its own.
TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo latest)
CLUSTER ?=
SUBNETS ?=
SECURITY_GROUPS ?=
PUBLIC_IP ?= 0
WAIT ?= 1
YES ?= 0
MIN_TASKS ?=
MAX_TASKS ?=
ENDPOINT_URL ?=
SERVICE_NAME ?=
ENV_NAME ?=
PRINT_CLI ?= 0

DEPLOY_COMMON = $(if $(REGION),--region "$(REGION)") \
  $(if $(ENDPOINT_URL),--endpoint-url "$(ENDPOINT_URL)") \
  $(if $(SERVICE_NAME),--service "$(SERVICE_NAME)") \
  $(if $(ENV_NAME),--env "$(ENV_NAME)") \
  $(if $(CLUSTER),--cluster "$(CLUSTER)")
DEPLOY_WAIT = $(if $(filter 0,$(WAIT)),--no-wait)
DEPLOY_PRINT = $(if $(filter 1,$(PRINT_CLI)),--print-cli)
DEPLOY_ARGS = $(DEPLOY_COMMON) $(DEPLOY_WAIT) $(DEPLOY_PRINT) \
  $(if $(IMAGE),--image "$(IMAGE)",--image-tag "$(TAG)") \
  $(if $(SUBNETS),--subnets "$(SUBNETS)") \
  $(if $(SECURITY_GROUPS),--security-groups "$(SECURITY_GROUPS)") \
  $(if $(filter 1,$(PUBLIC_IP)),--assign-public-ip) \
  $(if $(MIN_TASKS),--min-tasks "$(MIN_TASKS)") \
  $(if $(MAX_TASKS),--max-tasks "$(MAX_TASKS)")

plan: install ## show what deploy would create or change in AWS (REGION, SUBNETS, TAG)
	$(PY) -m ecsdeploy plan $(DEPLOY_ARGS)

deploy: install ## create/update the service in AWS and wait (REGION, SUBNETS, WAIT=0, ...)
	$(PY) -m ecsdeploy deploy $(DEPLOY_ARGS)

destroy: install ## delete what deploy created, nothing else (YES=1 skips the prompt)
	$(PY) -m ecsdeploy destroy $(DEPLOY_COMMON) $(DEPLOY_WAIT) $(DEPLOY_PRINT) $(if $(filter 1,$(YES)),--yes)

push: install ## push the image to the service's ECR repository (needs Docker; TAG)
	$(PY) -m ecsdeploy push $(DEPLOY_COMMON) --image-tag "$(TAG)"
