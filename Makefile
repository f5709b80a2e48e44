# Everything installs itself into .venv on first use: `make preview` and `make test` are all the set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXAMPLE := examples/traffic-source-analysis

.PHONY: setup preview test lint bench clean policy-venv local-up local-down

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

# Byte code, pytest's cache and hypothesis's examples go into the environment, not the checkout: a test
# run leaves `git status --porcelain --ignored` as it found it (.ci/run checks).
test: $(STAMP)
	PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache $(BIN)/python -m pytest -q -o cache_dir=$(abspath $(VENV))/pytest-cache

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

# tests/test_policy_pack.py runs the pack in it: built before the tests, so that a test run writes no
# environment into the checkout.
test: $(POLICY_STAMP)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The local stack (machines with the Pulumi CLI): moto on 127.0.0.1 stands in for AWS, the state lives
# in a file backend, Kubernetes objects are rendered to .pulumi-local/k8s. See docs/drift.md.
LOCAL_PORT := 5000
LOCAL_RUN := .pulumi-local
LOCAL_ENV := PULUMI_BACKEND_URL=file://$(CURDIR)/.pulumi-state PULUMI_CONFIG_PASSPHRASE=local \
	AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCAL_PORT) AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
	AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

local-up: $(STAMP)
	@command -v pulumi >/dev/null 2>&1 || { echo "make local-up needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/iac/download-install/); without it, 'make preview' runs the offline plan" >&2; exit 1; }
	mkdir -p $(LOCAL_RUN) .pulumi-state
	@if [ -f $(LOCAL_RUN)/moto.pid ] && kill -0 "$$(cat $(LOCAL_RUN)/moto.pid)" 2>/dev/null; then \
		echo "moto_server already running (pid $$(cat $(LOCAL_RUN)/moto.pid))"; \
	else \
		$(BIN)/moto_server -H 127.0.0.1 -p $(LOCAL_PORT) >$(LOCAL_RUN)/moto.log 2>&1 & echo $$! >$(LOCAL_RUN)/moto.pid; \
		echo "moto_server started on 127.0.0.1:$(LOCAL_PORT) (pid $$(cat $(LOCAL_RUN)/moto.pid), log $(LOCAL_RUN)/moto.log)"; \
	fi
	@for i in $$(seq 1 100); do \
		$(BIN)/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(LOCAL_PORT)/moto-api/', timeout=1)" 2>/dev/null && exit 0; \
		sleep 0.2; \
	done; echo "moto_server did not answer on 127.0.0.1:$(LOCAL_PORT): see $(LOCAL_RUN)/moto.log" >&2; exit 1
	$(LOCAL_ENV) pulumi stack select --create local
	$(LOCAL_ENV) pulumi up --stack local --yes
	$(LOCAL_ENV) $(BIN)/python -c "import boto3; from dataproduct_iac.settings import StackSettings; b = StackSettings(stack='local', environment='local').bucket_name('ga-data'); s3 = boto3.client('s3'); [s3.put_object(Bucket=b, Key=f'raw/ga_sessions/{t}/part-0.csv', Body=b'session_id,source,visits\n1,google,3\n2,newsletter,1\n') for t in ('sessions', 'traffic_sources')]"
	$(LOCAL_ENV) $(BIN)/dataproduct scan $(EXAMPLE)/manifests --values $(EXAMPLE)/values.yaml --depot s3depot --stack local
	$(LOCAL_ENV) $(BIN)/dataproduct drift --live --stack local

local-down:
	@if [ -f $(LOCAL_RUN)/moto.pid ]; then \
		kill "$$(cat $(LOCAL_RUN)/moto.pid)" 2>/dev/null && echo "moto_server stopped" || echo "moto_server was not running"; \
		rm -f $(LOCAL_RUN)/moto.pid; \
	else \
		echo "no $(LOCAL_RUN)/moto.pid: nothing to stop"; \
	fi

clean:
	rm -rf $(VENV) $(POLICY_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
