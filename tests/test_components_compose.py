"""The components compose with other Pulumi code: Outputs and config secrets as args, the caller's
resource options respected (also by ``build`` for bundle members), one output key style, and the
package's exports visible to a type checker."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from helpers.engine import RawMocks, is_secret

from dataproduct_iac import program
from dataproduct_iac.components import (
    Bundle,
    BundleArgs,
    DataProduct,
    DataProductArgs,
    DatasetRef,
    Depot,
    DepotArgs,
    DepotRef,
    InstanceSecret,
    InstanceSecretArgs,
)
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.plan import Plan, Registration, run_program
from dataproduct_iac.settings import StackSettings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"


@pytest.fixture(params=[True, False], ids=["preview", "update"])
def preview(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def by_name(plan: Plan) -> dict[str, Registration]:
    return {r.name: r for r in plan.registrations}


def test_outputs_and_config_secrets_as_args(preview: bool) -> None:
    """A secret from ``config.require_secret`` and a bucket name from another resource's output."""
    mocks = RawMocks(preview)
    seen: dict[str, Any] = {}

    def program_() -> None:
        config = pulumi.Config()
        logs = aws.s3.Bucket("logs", bucket="team-logs")
        secret = InstanceSecret(
            "lake-r", InstanceSecretArgs(data={"password": config.require_secret("password")})
        )
        depot = Depot(
            "lake",
            DepotArgs(
                bucket=pulumi.Output.concat(logs.bucket, "-lake"),
                prefix="raw",
                collections=["events"],
                secret_arns={"r": secret.arn},
            ),
        )
        depot.location.apply(lambda value: seen.setdefault("location", value))

    plan = run_program(
        program_,
        project="p",
        stack="dev",
        preview=preview,
        config={"p:password": "hunter2-hunter2"},
        mocks=mocks,
    )
    regs = by_name(plan)
    raw = mocks.raw["lake-r-version"]["secretString"]
    assert is_secret(raw) and json.loads(raw["value"]) == {"password": "hunter2-hunter2"}
    assert "hunter2" not in plan.to_json()
    bucket = regs["lake-bucket"]
    assert bucket.inputs["bucket"] == "team-logs-lake"
    assert regs["logs"].urn in bucket.depends_on  # the Output carries its resource
    assert regs["lake-events-db"].inputs["locationUri"] == "s3://team-logs-lake/raw/events/"
    assert seen["location"] == "s3://team-logs-lake/raw"


def test_depot_from_code_without_a_manifest_or_settings() -> None:
    """Defaults that need no StackSettings: Glue names from the depot name, data protected."""
    plan = run_program(
        lambda: Depot("sales", DepotArgs(bucket="sales-lake", collections=["orders"])),
        project="p",
        stack="dev",
    )
    regs = by_name(plan)
    assert regs["sales-orders-db"].inputs["name"] == "sales_orders"
    assert regs["sales-bucket"].protect is True and regs["sales-orders-db"].protect is True
    assert regs["sales-versioning"].protect is False


@pytest.mark.parametrize("protect", [True, False])
def test_callers_protect_holds_for_every_child(protect: bool) -> None:
    """The caller's ``protect`` is inherited by every child; the stack default no longer overrides it."""

    def program_() -> None:
        opts = pulumi.ResourceOptions(protect=protect)
        InstanceSecret("s", InstanceSecretArgs(data={"k": "v"}), opts)
        Depot("d", DepotArgs(bucket="b", collections=["c"]), opts)

    plan = run_program(program_, project="p", stack="dev")
    children = [r for r in plan.registrations if r.custom]
    assert {r.name for r in children} >= {"s-secret", "d-bucket", "d-c-db", "d-versioning"}
    assert all(r.protect is protect for r in children), [(r.name, r.protect) for r in children]


@pytest.mark.parametrize("protect", [True, False, None])
def test_protect_of_a_bundle_holds_for_the_data_of_its_members(protect: bool | None) -> None:
    """A depot and a secret created under a Bundle (nested in another) take the protect the outer
    bundle was given; given nowhere, their data is protected and nothing else is."""

    def program_() -> None:
        outer = Bundle("outer", BundleArgs(), pulumi.ResourceOptions(protect=protect))
        inner = Bundle("inner", BundleArgs(), pulumi.ResourceOptions(parent=outer))
        member = pulumi.ResourceOptions(parent=inner)
        InstanceSecret("s", InstanceSecretArgs(data={"k": "v"}), member)
        Depot("d", DepotArgs(bucket="b", collections=["c"]), member)

    regs = by_name(run_program(program_, project="p", stack="dev"))
    data = [regs[name].protect for name in ("s-secret", "d-bucket", "d-c-db")]
    assert data == [protect is not False] * 3
    assert regs["d-versioning"].protect is (protect is True)
    assert regs["s-version"].protect is (protect is True)


def test_the_components_read_no_private_state_of_the_sdk() -> None:
    """What the caller decided arrives through public options (``opts``), not the SDK's private
    ``Resource._protect`` (which may change without notice)."""
    package = Path(__file__).resolve().parent.parent / "dataproduct_iac"
    readers = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if re.search(r"\b_protect\b", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def traffic_graph() -> Any:
    sources = ValueSources(files=[read_values_file(EXAMPLE / "values.yaml")], environment={})
    return resolve(load([EXAMPLE / "manifests"], sources))


def test_build_merges_the_callers_options_into_bundle_members() -> None:
    """``build(opts=...)``: depends_on, ignore_changes, protect and the provider reach every component,
    bundle members included; the caller's ``protect=False`` wins over the stack's default."""
    graph = traffic_graph()
    requests: list[Any] = []
    settings = StackSettings(stack="dev")  # protect: true by default

    def program_() -> None:
        monitor = pulumi.runtime.settings.get_monitor()
        register = monitor.RegisterResource

        def keep(request: Any) -> Any:
            requests.append(request)
            return register(request)

        monitor.RegisterResource = keep
        gate = aws.s3.Bucket("gate", bucket="gate")
        provider = aws.Provider("eu", region="eu-west-1")
        opts = pulumi.ResourceOptions(
            depends_on=[gate], ignore_changes=["tags"], protect=False, providers={"aws": provider}
        )
        program.deploy(program.Prepared(graph, settings), opts)

    plan = run_program(program_, project="dataproduct", stack="dev")
    regs = {(r.type, r.name): r for r in plan.registrations}
    gate = regs[("aws:s3/bucket:Bucket", "gate")]
    depot = regs[("dataproduct:index:Depot", "s3depot")]
    assert depot.parent == regs[("dataproduct:index:Bundle", "traffic-source-bundle")].urn  # a member
    request = next(r for r in requests if r.type == "dataproduct:index:Depot" and r.name == "s3depot")
    assert gate.urn in request.dependencies
    assert list(request.ignoreChanges) == ["tags"]
    bucket = regs[("aws:s3/bucket:Bucket", "s3depot-bucket")]
    assert bucket.protect is False
    assert bucket.provider is not None and "aws::eu" in bucket.provider


def test_every_component_registers_camel_case_outputs() -> None:
    graph = traffic_graph()
    keys: dict[str, list[str]] = {}

    def program_() -> None:
        monitor = pulumi.runtime.settings.get_monitor()
        register = monitor.RegisterResourceOutputs

        def keep(request: Any) -> Any:
            keys[request.urn] = list(request.outputs.fields.keys())
            return register(request)

        monitor.RegisterResourceOutputs = keep
        program.deploy(program.Prepared(graph, StackSettings(stack="dev", registry_bucket="r")))

    run_program(program_, project="dataproduct", stack="dev", preview=False)
    types = {urn.split("::")[2].split("$")[-1] for urn in keys}
    assert {
        "dataproduct:index:Depot",
        "dataproduct:index:TrinoCluster",
        "dataproduct:index:ScannerJob",
    } <= types
    wrong = {
        urn: k for urn, names in keys.items() for k in names if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", k)
    }
    assert wrong == {}


def test_product_from_code_uses_depot_outputs(preview: bool) -> None:
    captured: dict[str, Any] = {}

    def program_() -> None:
        bundle = Bundle("b", BundleArgs())
        depot = Depot(
            "sales",
            DepotArgs(
                bucket="sales-lake", prefix="curated", collections=["orders"], secret_arns={"rw": "arn:rw"}
            ),
            pulumi.ResourceOptions(parent=bundle),
        )
        product = DataProduct(
            "orders",
            DataProductArgs(
                inputs=[DatasetRef("dataset:sales:orders:raw")],
                outputs=[DatasetRef("dataos://sales:orders/daily")],
                depots={"sales": DepotRef.of(depot)},
                registry_bucket="registry",
            ),
        )
        product.descriptor.apply(lambda d: captured.setdefault("descriptor", d))

    plan = run_program(program_, project="p", stack="dev", preview=preview)
    regs = by_name(plan)
    assert regs["sales-bucket"].urn in regs["orders-descriptor"].depends_on  # through the depot's outputs
    if not preview:
        output = captured["descriptor"]["outputs"][0]
        assert output["location"] == "s3://sales-lake/curated/orders/daily"
        assert output["glueDatabase"] == "sales_orders"


def test_package_exports_are_visible_to_mypy(tmp_path: Path) -> None:
    """``from dataproduct_iac import Depot`` is the class for a type checker (it was ``object``)."""
    snippet = tmp_path / "use_exports.py"
    snippet.write_text(
        "from dataproduct_iac import Depot, DepotArgs, build\n"
        "reveal_type(Depot)\n"
        "reveal_type(DepotArgs(bucket='b').bucket)\n"
        "reveal_type(build)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-incremental", str(snippet)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "args: dataproduct_iac.components.depot.DepotArgs" in out, out
    assert "-> dataproduct_iac.components.depot.Depot" in out, out
    assert "pulumi.output.Output[str]" in out, out
    assert "-> dataproduct_iac.components.build.BuildResult" in out, out
