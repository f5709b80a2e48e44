# Everything installs itself into .venv on first use: `make preview` and `make test` are all the set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXAMPLE := examples/traffic-source-analysis

.PHONY: setup preview test lint bench clean policy-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

preview: $(STAMP)
	$(BIN)/dataproduct validate $(EXAMPLE)/manifests --values $(EXAMPLE)/values.yaml
	$(BIN)/dataproduct plan $(EXAMPLE)/manifests --values $(EXAMPLE)/values.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The CrossGuard policy pack runs in its own environment: pulumi-policy pins protobuf 5.29, the main
# .venv has protobuf 6. `pulumi preview --policy-pack policies` uses it (policies/PulumiPolicy.yaml).
POLICY_VENV := .venv-policy
POLICY_STAMP := $(POLICY_VENV)/.installed-$(shell cat policies/requirements.txt | cksum | cut -d' ' -f1)

$(POLICY_STAMP): policies/requirements.txt
	test -x $(POLICY_VENV)/bin/python || $(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(POLICY_VENV)/bin/python -m pip install --quiet -r policies/requirements.txt
	rm -f $(POLICY_VENV)/.installed-*
	touch $(POLICY_STAMP)

policy-venv: $(POLICY_STAMP)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(POLICY_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
