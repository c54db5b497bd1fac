# The CloudFormation template: `make template` renders it from artifacts/, policies/ and taskdef/;
# every `make lint` (and so `make test`) checks it is up to date and runs cfn-lint and checkov on it.
# checkov pins an old boto3, so it lives in a virtualenv of its own, installed from its hash lock.
.PHONY: template lint-template checkov-venv

CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell cksum < requirements/checkov.txt 2>/dev/null | cut -d' ' -f1)
TEMPLATE := cloudformation/template.yaml

template: install ## render cloudformation/template.yaml from the artifacts
	$(PY) -m artifacts.template

$(CHECKOV_STAMP): requirements/checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  -r requirements/checkov.txt
	@rm -f $(CHECKOV_VENV)/.installed-* && touch $@

checkov-venv: $(CHECKOV_STAMP) ## create .venv-checkov from requirements/checkov.txt

lint-template: install checkov-venv ## template up to date; cfn-lint and checkov on it
	$(PY) -m artifacts.template --check
	$(BIN)/cfn-lint $(TEMPLATE)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
	  -f $(TEMPLATE)

lint: lint-template

clean: clean-checkov
.PHONY: clean-checkov
clean-checkov:
	rm -rf $(CHECKOV_VENV)
