"""The components as a Pulumi component provider: the SDK's analyzer accepts every one of them, the
schema it infers is committed (``tests/snapshots/schema.json``), the plugin entry point of
``provider/PulumiPlugin.yaml`` serves that schema over gRPC as ``pulumi package add`` asks for it, and
a component constructed the way another language constructs it (args as a mapping) works.

After a deliberate change of an Args or Output annotation, rewrite the snapshot with
``UPDATE_SCHEMA_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_component_provider.py``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from helpers.engine import RawMocks, is_secret
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import dataproduct_iac.components as components
from dataproduct_iac.components import COMPONENTS, PACKAGE
from dataproduct_iac.components.provider import component_provider, schema
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.placeholders import resolve as fill
from dataproduct_iac.plan import Plan, run_program
from dataproduct_iac.settings import StackSettings

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).parent / "snapshots" / "schema.json"
PLUGIN = ROOT / "provider"
EXAMPLE = ROOT / "examples" / "traffic-source-analysis" / "manifests"


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def test_every_component_class_is_hosted() -> None:
    found = set()
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"{components.__name__}.{info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, pulumi.ComponentResource) and value.__module__ == module.__name__:
                found.add(value)
    assert found == set(COMPONENTS)


def test_analyzer_schema_matches_the_snapshot() -> None:
    document = schema()
    assert sorted(document["resources"]) == sorted(f"{PACKAGE}:index:{c.__name__}" for c in COMPONENTS)
    assert all(r["isComponent"] for r in document["resources"].values())
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOT") == "1":
        SNAPSHOT.write_text(rendered(document), encoding="utf-8")
    assert rendered(document) == SNAPSHOT.read_text(encoding="utf-8"), (
        "the component schema changed: review it and rewrite tests/snapshots/schema.json with "
        "UPDATE_SCHEMA_SNAPSHOT=1 (other languages' SDKs are generated from it)"
    )


def test_schema_takes_inputs_and_gives_typed_outputs() -> None:
    resources = schema()["resources"]
    depot = resources[f"{PACKAGE}:index:Depot"]
    assert "plain" not in depot["inputProperties"]["bucket"]  # an Output is accepted
    assert depot["properties"]["bucketName"]["type"] == "string"
    secret = resources[f"{PACKAGE}:index:InstanceSecret"]
    assert secret["requiredInputs"] == ["data"]
    assert "plain" not in secret["inputProperties"]["data"]


def test_plugin_manifest_points_at_the_hosting_entry_point() -> None:
    manifest = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text(encoding="utf-8"))
    assert manifest["name"] == PACKAGE
    assert manifest["runtime"]["name"] == "python"
    assert (PLUGIN / "__main__.py").is_file()
    assert "-r ../requirements.txt" in (PLUGIN / "requirements.txt").read_text(encoding="utf-8")


def test_plugin_entry_point_serves_the_schema() -> None:
    """What ``pulumi package add`` does: start the plugin and ask it for its schema (on 127.0.0.1)."""
    process = subprocess.Popen(
        [sys.executable, str(PLUGIN / "__main__.py"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=PLUGIN,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip() or "0")
        assert port, process.stderr.read().decode() if process.stderr else ""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            reply = stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=60)
        assert rendered(json.loads(reply.schema)) == SNAPSHOT.read_text(encoding="utf-8")
    finally:
        process.kill()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def construct(resource: str, inputs: dict[str, Any], mocks: Any = None) -> Plan:
    provider = component_provider()
    return run_program(
        lambda: provider.construct("x", f"{PACKAGE}:index:{resource}", inputs, pulumi.ResourceOptions()),
        project="p",
        stack="dev",
        preview=False,
        mocks=mocks,
    )


def test_another_language_constructs_a_depot_and_a_product() -> None:
    """Args arrive as mappings of the schema's inputs (mapped to Python names by the provider)."""
    plan = construct(
        "Depot", {"bucket": "acme-lake", "collections": ["orders"], "secretArns": {"rw": "arn:rw"}}
    )
    regs = {r.name: r for r in plan.registrations}
    assert regs["x-bucket"].inputs["bucket"] == "acme-lake"
    assert regs["x-orders-db"].inputs["name"] == "x_orders"
    plan = construct(
        "DataProduct",
        {
            "inputs": [{"ref": "dataset:lake:orders:raw"}],
            "depots": {
                "lake": {"location": "s3://acme-lake", "glueDatabaseNames": {"orders": "lake_orders"}}
            },
            "registryBucket": "registry",
        },
    )
    content = json.loads({r.name: r for r in plan.registrations}["x-descriptor"].inputs["content"])
    assert content["inputs"][0]["location"] == "s3://acme-lake/orders/raw"
    assert content["inputs"][0]["glueDatabase"] == "lake_orders"


def example_documents() -> dict[str, dict[str, Any]]:
    """The example's cluster, depots and secrets as mappings, placeholders filled from values.yaml."""
    sources = ValueSources(files=[read_values_file(EXAMPLE.parent / "values.yaml")], environment={})
    out = {}
    for path in ("cluster.yaml", "cluster-depots.yaml"):
        for doc in yaml.safe_load_all((EXAMPLE / path).read_text(encoding="utf-8")):
            if doc:
                out[doc["name"]] = fill(doc, sources, lambda _: True).data
    return out


def test_another_language_constructs_a_trino_cluster_from_manifest_mappings() -> None:
    """Manifests as mappings, resolved like YAML ones; credentials given as secrets win."""
    documents = example_documents()
    mocks = RawMocks(preview=False)
    plan = construct(
        "TrinoCluster",
        {
            "cluster": documents["advancedminerva"],
            "depots": [d for d in documents.values() if d["type"] == "depot"],
            "secrets": [d for d in documents.values() if d["type"] == "instance-secret"],
            "credentials": {"icebase-r": {"awsaccesskeyid": "AKIA-GIVEN-AS-SECRET"}},
        },
        mocks,
    )
    kinds = {r.type for r in plan.registrations}
    assert {"kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Secret"} <= kinds
    secret = mocks.raw["x-catalog-credentials"]["stringData"]
    assert is_secret(secret) and "AKIA-GIVEN-AS-SECRET" in json.dumps(secret["value"])
    assert "AKIA-GIVEN-AS-SECRET" not in plan.to_json()


def test_mapping_args_are_checked_without_showing_values() -> None:
    documents = example_documents()
    broken = {**documents["icebase-r"], "instance-secret": {"acl": "r", "data": {"k": "hunter2-value"}}}
    with pytest.raises(
        Exception, match=r"TrinoClusterArgs\.secrets\[0\]: not a valid instance-secret"
    ) as info:
        construct("TrinoCluster", {"cluster": documents["advancedminerva"], "secrets": [broken]})
    assert "hunter2-value" not in str(info.value)


def test_another_language_constructs_a_workflow_job() -> None:
    workflow = {
        "name": "ingest",
        "version": "v1",
        "type": "workflow",
        "workflow": {
            "dag": [
                {
                    "name": "report",
                    "spec": {
                        "stack": "container",
                        "stackSpec": {"image": "busybox:1.36", "command": ["true"]},
                    },
                }
            ]
        },
    }
    plan = construct("WorkflowJob", {"workflow": workflow})
    (job,) = [r for r in plan.registrations if r.type == "kubernetes:batch/v1:Job"]
    assert job.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"


def test_settings_with_a_default_are_not_required_inputs() -> None:
    """The analyzer calls a property required unless its annotation admits None; every StackSettings
    field has a default, so another language may give any subset of them."""
    settings = schema()["types"][f"{PACKAGE}:index:StackSettings"]
    without_default = [
        f.name
        for f in dataclasses.fields(StackSettings)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    assert without_default == []
    assert settings.get("required", []) == []
    assert "protect" in settings["properties"] and "trinoTag" in settings["properties"]


def test_another_language_gives_only_the_settings_it_changes() -> None:
    workflow = {
        "name": "ingest",
        "version": "v1",
        "type": "workflow",
        "workflow": {"dag": [{"name": "report", "spec": {"stack": "flare:7.0", "stackSpec": {}}}]},
    }
    plan = construct(
        "WorkflowJob",
        {"workflow": workflow, "settings": {"namespace": "jobs", "stackImages": {"flare": "acme/flare:7"}}},
    )
    (job,) = [r for r in plan.registrations if r.type == "kubernetes:batch/v1:Job"]
    assert job.inputs["metadata"]["namespace"] == "jobs"
    assert job.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == "acme/flare:7"


def test_a_setting_given_as_none_takes_its_default() -> None:
    assert StackSettings(protect=None, tags=None, namespace=None) == StackSettings()  # type: ignore[arg-type]
