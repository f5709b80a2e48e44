"""The stack program: stack config read through the Pulumi runtime, the entry program under
stacks/, and the python-program example, all on the SDK's mock monitor."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from helpers.cli import run_dataproduct
from helpers.engine import RawMocks, is_secret
from helpers.examples import PYTHON_PROGRAM_CONFIG
from pulumi.runtime import mocks as pulumi_mocks

from dataproduct_iac import program
from dataproduct_iac.diagnostics import ManifestError
from dataproduct_iac.manifests import Cluster
from dataproduct_iac.plan import PlanMocks, run_program
from dataproduct_iac.stack_config import parse_stack_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"


def runtime_config(**keys: object) -> dict[str, str]:
    """Config as the engine hands it to a program: full keys, JSON text for structured values."""
    return {f"dataproduct:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in keys.items()}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_entry_program_reads_stack_config(preview: bool) -> None:
    config = runtime_config(
        manifests=["examples/traffic-source-analysis/manifests"],
        values="examples/traffic-source-analysis/values.yaml",
        environment="staging",
        namePrefix="acme-",
        protect=False,
        registryBucket="registry",
    )
    plan = run_program(
        lambda: runpy.run_path(str(ROOT / "stacks" / "__main__.py")),
        project="dataproduct",
        stack="stg",
        preview=preview,
        config=config,
    )
    assert plan.duplicate_urns() == []
    buckets = {r.inputs["bucket"]: r for r in plan.registrations if r.type == "aws:s3/bucket:Bucket"}
    assert set(buckets) == {"acme-ga-data-stg", "acme-icebase-lakehouse-stg"}
    assert all(not b.protect for b in buckets.values())
    secrets = [r for r in plan.registrations if r.type == "aws:secretsmanager/secret:Secret"]
    assert {r.inputs["tags"]["dataproduct:environment"] for r in secrets} == {"staging"}
    assert set(plan.outputs) == {"environment", "depots", "clusters", "dataProducts"}
    assert plan.outputs["environment"] == "staging"
    assert plan.outputs["depots"]["s3depot"]["location"] == "s3://acme-ga-data-stg/raw"
    # what `dataproduct query --cluster advancedminerva` reads
    cluster = plan.outputs["clusters"]["advancedminerva"]
    assert set(cluster) == {"coordinatorUrl", "namespace", "serviceName", "catalogs"}
    assert cluster["namespace"] == "acme-traffic-analysis-stg"  # the bundle workspace's namespace
    assert cluster["coordinatorUrl"] == f"http://{cluster['serviceName']}.{cluster['namespace']}.svc:8080"
    services = [
        r.inputs["metadata"]
        for r in plan.registrations
        if r.type == "kubernetes:core/v1:Service" and r.name.startswith("advancedminerva")
    ]
    assert [(m["name"], m["namespace"]) for m in services] == [(cluster["serviceName"], cluster["namespace"])]
    assert cluster["catalogs"] == ["cache", "gateway", "icebase", "lensdb", "metisdb", "redshift"]


def test_entry_program_turns_bad_manifests_into_a_run_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\nversion: v1\ntype: instance-secret\n")
    with pytest.raises(pulumi.RunError, match=r"bad\.yaml"):
        run_program(
            lambda: runpy.run_path(str(ROOT / "stacks" / "__main__.py")),
            project="dataproduct",
            stack="dev",
            config=runtime_config(manifests=[str(tmp_path)]),
        )


def test_secrets_config_fills_secret_fields_only() -> None:
    values = json.loads(json.dumps({"aws-region": "us-east-1", "redshift-host": "h", "5439": 5439}))
    secrets = {
        name: f"value-of-{name}"
        for name in (
            "access-key-id",
            "aws-access-key-id",
            "aws-secret-access-key",
            "secret-key",
            "redshift-user",
            "redshift-password",
            "lensdb-password",
            "gateway-password",
            "metisdb-password",
        )
    }
    inputs = parse_stack_config(
        {"manifests": [str(EXAMPLE / "manifests")], "values": values, "secrets": secrets},
        project="dataproduct",
        stack="dev",
        root=ROOT,
        environment={},
    )
    prepared = program.prepare(inputs)
    assert prepared.graph.get("instance-secret", "s3depot-r") is not None
    # a secret in a plain field is refused
    inputs.sources.secrets["aws-region"] = "us-east-1"
    inputs.sources.files[0].pop("aws-region")
    with pytest.raises(ManifestError, match="aws-region"):
        program.prepare(inputs)


def test_overrides_from_config_reach_the_manifests() -> None:
    inputs = parse_stack_config(
        {
            "manifests": ["examples/traffic-source-analysis/manifests"],
            "values": ["examples/traffic-source-analysis/values.yaml"],
            "overrides": {"cluster/advancedminerva": {"cluster": {"minerva": {"replicas": 1}}}},
        },
        project="dataproduct",
        stack="dev",
        root=ROOT,
        environment={},
    )
    cluster = program.prepare(inputs).graph.get("cluster", "advancedminerva")
    assert cluster is not None and isinstance(cluster.manifest, Cluster)
    assert cluster.manifest.minerva.replicas == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"manifests": "x", "protectt": True},
            "dataproduct:protectt: unknown configuration key; did you mean",
        ),
        ({"manifests": [1, 2]}, "dataproduct:manifests: expected a path or a list of paths"),
        ({"manifests": "x", "environment": "Not Valid"}, "dataproduct:environment"),
        ({"manifests": "x", "overrides": ["a"]}, "dataproduct:overrides: expected a mapping"),
        ({}, "dataproduct:manifests: no manifests configured"),
    ],
)
def test_config_errors(config: dict[str, object], message: str) -> None:
    with pytest.raises(ManifestError) as info:
        program.prepare(parse_stack_config(config, project="p", stack="dev", root=ROOT, environment={}))
    assert message in str(info.value)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_python_program_example(preview: bool) -> None:
    """A product from components alone: config secrets, an Output bucket name, a bundle, pulumi-aws."""
    mocks = RawMocks(preview)
    plan = run_program(
        lambda: runpy.run_path(str(ROOT / "examples" / "python-program" / "__main__.py")),
        project="python-program",
        stack="dev",
        preview=preview,
        config=PYTHON_PROGRAM_CONFIG,
        mocks=mocks,
    )
    assert plan.duplicate_urns() == []
    regs = {(r.type, r.name): r for r in plan.registrations}
    exports = regs[("aws:s3/bucket:Bucket", "exports")]
    assert exports.inputs["bucket"] == "sales-exports-dev"
    assert exports.parent is not None and exports.parent.endswith("pulumi:pulumi:Stack::python-program-dev")
    bundle = regs[("dataproduct:index:Bundle", "sales")]
    depot = regs[("dataproduct:index:Depot", "sales")]
    assert depot.parent == bundle.urn
    bucket = regs[("aws:s3/bucket:Bucket", "sales-bucket")]
    assert bucket.parent == depot.urn
    assert bucket.inputs["bucket"] == "sales-lake-dev"  # from an Output
    assert bucket.protect is False  # the bundle's protect=False (a dev stack) holds for its members
    database = regs[("aws:glue/catalogDatabase:CatalogDatabase", "sales-orders-db")]
    assert database.inputs["name"] == "sales_orders_dev" and database.protect is False
    descriptor = regs[("aws:s3/bucketObjectv2:BucketObjectv2", "sales-orders-descriptor")]
    assert descriptor.inputs["bucket"] == "sales-exports-dev"  # wired from the plain bucket's id
    assert exports.urn in descriptor.depends_on
    if not preview:
        content = json.loads(descriptor.inputs["content"])
        assert content["outputs"][0]["location"] == "s3://sales-lake-dev/curated/orders/daily_orders"
        assert content["inputs"][0]["glueDatabase"] == "sales_orders_dev"
        assert content["bundle"] == "sales" and content["owner"] == "sales-analytics"
        policy = json.loads(regs[("aws:iam/policy:Policy", "sales-readers")].inputs["policy"])
        assert {s["Sid"] for s in policy["Statement"]} == {"LocateBucket", "ListPrefix", "ReadObjects"}
    for secret in ("sales-r", "sales-rw"):
        version = regs[("aws:secretsmanager/secretVersion:SecretVersion", f"{secret}-version")]
        assert version.inputs["secretString"] == "[secret]"
        raw = mocks.raw[f"{secret}-version"]["secretString"]
        assert is_secret(raw) and json.loads(raw["value"]) == {
            "awsaccesskeyid": "AKIAEXAMPLEKEYID",
            "awssecretaccesskey": "example-only-secret-access-key",
        }
    assert "example-only-secret-access-key" not in plan.to_json()
    declared = yaml.safe_load((ROOT / "examples" / "python-program" / "Pulumi.yaml").read_text())["config"]
    assert {f"python-program:{k}" for k, v in declared.items() if v["secret"]} == set(PYTHON_PROGRAM_CONFIG)


def _example_with_38gb(tmp_path: Path) -> Path:
    """The example project with the seed's 38GB query.max-memory-per-node (does not fit a 52Gi pod)."""
    target = tmp_path / "project"
    (target / "manifests").mkdir(parents=True)
    for source in (EXAMPLE / "manifests").iterdir():
        (target / "manifests" / source.name).write_text(source.read_text())
    (target / "values.yaml").write_text((EXAMPLE / "values.yaml").read_text())
    cluster = target / "manifests" / "cluster.yaml"
    text = cluster.read_text()
    assert text.count('query.max-memory-per-node: "28GB"') == 2
    cluster.write_text(text.replace('query.max-memory-per-node: "28GB"', 'query.max-memory-per-node: "38GB"'))
    return target


def test_plan_reports_trino_config_errors_at_the_cluster_manifest(tmp_path: Path) -> None:
    project = _example_with_38gb(tmp_path)
    lines = (project / "manifests" / "cluster.yaml").read_text().splitlines()
    expected = [n for n, line in enumerate(lines, 1) if '"38GB"' in line]
    done = run_dataproduct(
        "plan", "manifests", "--values", "values.yaml", "--json", str(project / "plan.json"), cwd=project
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for line in expected:
        assert f"manifests/cluster.yaml:{line}: " in done.stderr, done.stderr
    assert "at most 29.1GB" in done.stderr
    assert done.stdout == "" and not (project / "plan.json").exists()  # nothing planned


def test_program_refuses_trino_config_errors_before_registering(tmp_path: Path) -> None:
    project = _example_with_38gb(tmp_path)
    created: list[str] = []

    class Recording(PlanMocks):
        def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            created.append(args.name)
            return super().new_resource(args)

    with pytest.raises(pulumi.RunError, match=r"cluster\.yaml:\d+: .*max-memory-per-node"):
        run_program(
            lambda: runpy.run_path(str(ROOT / "stacks" / "__main__.py")),
            project="dataproduct",
            stack="dev",
            config=runtime_config(
                manifests=[str(project / "manifests")], values=str(project / "values.yaml")
            ),
            mocks=Recording(preview=True),
        )
    assert created == []
