"""build(graph, settings) on the traffic-source-analysis example: placement, wiring and ordering."""

from __future__ import annotations

from typing import Any

import pytest

from dataproduct_iac import program
from dataproduct_iac.components import (
    Bundle,
    BundleArgs,
    DataProduct,
    DataProductArgs,
    Depot,
    DepotArgs,
)
from dataproduct_iac.errors import ComponentArgsError
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests import Bundle as BundleModel
from dataproduct_iac.manifests import DataProduct as ProductModel
from dataproduct_iac.manifests import Depot as DepotModel
from dataproduct_iac.plan import Plan, Registration, run_program
from dataproduct_iac.settings import StackSettings


@pytest.fixture(params=[True, False], ids=["preview", "update"])
def traffic_plan(request: pytest.FixtureRequest, traffic_example) -> Plan:
    path, sources = traffic_example
    graph = resolve(load([path], sources))
    settings = StackSettings(stack="dev", registry_bucket="registry-bucket")
    prepared = program.Prepared(graph, settings)
    return run_program(
        lambda: program.deploy(prepared), project="dataproduct", stack="dev", preview=request.param
    )


def find(plan: Plan, type_: str, name: str) -> Registration:
    matches = [r for r in plan.registrations if r.type == type_ and r.name == name]
    assert len(matches) == 1, (type_, name, len(matches))
    return matches[0]


def waits_for(plan: Plan, dependent: Registration, dependency: Registration) -> bool:
    """Does ``dependent`` depend on ``dependency``? The SDK sends a component dependency as the URNs of
    the component's custom-resource descendants."""
    if dependency.urn in dependent.depends_on:
        return True
    descendants: list[Registration] = []
    frontier = [dependency.urn]
    while frontier:
        parent = frontier.pop()
        for reg in plan.registrations:
            if reg.parent == parent:
                descendants.append(reg)
                frontier.append(reg.urn)
    custom = [r.urn for r in descendants if r.custom]
    return bool(custom) and all(urn in dependent.depends_on for urn in custom)


def test_no_duplicate_urns_and_every_parent_registered(traffic_plan: Plan) -> None:
    assert traffic_plan.duplicate_urns() == []
    urns = {r.urn for r in traffic_plan.registrations}
    assert all(r.parent is None or r.parent in urns for r in traffic_plan.registrations)


def test_bundle_parents_its_members(traffic_plan: Plan) -> None:
    bundle = find(traffic_plan, "dataproduct:index:Bundle", "traffic-source-bundle")
    for kind, name in [
        ("InstanceSecret", "s3depot-r"),
        ("InstanceSecret", "redshift-r"),  # implicit secret of a v1 depot
        ("Depot", "s3depot"),
        ("Depot", "icebase"),
    ]:
        assert find(traffic_plan, f"dataproduct:index:{kind}", name).parent == bundle.urn
    namespace = find(traffic_plan, "kubernetes:core/v1:Namespace", "workspace-traffic-analysis")
    assert namespace.parent == bundle.urn
    assert namespace.inputs["metadata"]["name"] == "traffic-analysis-dev"
    product = find(traffic_plan, "dataproduct:index:DataProduct", "traffic-source-analysis")
    assert product.parent is not None and product.parent.endswith("pulumi:pulumi:Stack::dataproduct-dev")


def test_depot_depends_on_its_secrets(traffic_plan: Plan) -> None:
    depot = find(traffic_plan, "dataproduct:index:Depot", "s3depot")
    for secret in ("s3depot-r", "s3depot-rw"):
        assert waits_for(traffic_plan, depot, find(traffic_plan, "dataproduct:index:InstanceSecret", secret))
    redshift = find(traffic_plan, "dataproduct:index:Depot", "redshift")
    assert waits_for(
        traffic_plan, redshift, find(traffic_plan, "dataproduct:index:InstanceSecret", "redshift-r")
    )
    assert not waits_for(
        traffic_plan, redshift, find(traffic_plan, "dataproduct:index:InstanceSecret", "s3depot-r")
    )


def test_product_depends_on_bundle_and_depots_and_publishes(traffic_plan: Plan) -> None:
    product = find(traffic_plan, "dataproduct:index:DataProduct", "traffic-source-analysis")
    assert waits_for(
        traffic_plan, product, find(traffic_plan, "dataproduct:index:Bundle", "traffic-source-bundle")
    )
    for depot in ("s3depot", "icebase"):
        assert waits_for(traffic_plan, product, find(traffic_plan, "dataproduct:index:Depot", depot))
    descriptor = find(
        traffic_plan, "aws:s3/bucketObjectv2:BucketObjectv2", "traffic-source-analysis-descriptor"
    )
    assert descriptor.parent == product.urn
    assert descriptor.inputs["bucket"] == "registry-bucket"
    assert descriptor.inputs["key"] == "data-products/dataproduct/dev/traffic-source-analysis.json"
    assert descriptor.inputs["contentType"] == "application/json"


def test_glue_databases_per_collection(traffic_plan: Plan) -> None:
    names = sorted(
        r.inputs["name"]
        for r in traffic_plan.registrations
        if r.type == "aws:glue/catalogDatabase:CatalogDatabase"
    )
    assert names == ["icebase_default_dev", "icebase_traffic_analysis_dev", "s3depot_ga_sessions_dev"]


def test_workloads_are_bundle_members_that_wait_for_their_depots(traffic_plan: Plan) -> None:
    for kind, name, depot in (
        ("TrinoCluster", "advancedminerva", "icebase"),
        ("ScannerJob", "scan-depot", "s3depot"),
    ):
        component = find(traffic_plan, f"dataproduct:index:{kind}", name)
        assert component.parent == find(traffic_plan, "dataproduct:index:Bundle", "traffic-source-bundle").urn
        assert waits_for(traffic_plan, component, find(traffic_plan, "dataproduct:index:Depot", depot))


def product_model(output_depot: str = "sales", bundle: str | None = "sales-bundle") -> ProductModel:
    data: dict[str, Any] = {
        "meta": {"title": "Sales"},
        "inputs": [{"ref": "dataset:sales:orders:raw"}],
        "outputs": [{"ref": f"dataset:{output_depot}:orders:daily"}],
        "resource": {"ref": f"bundle:v1beta:{bundle}"},
    }
    return ProductModel.model_validate(
        {
            "name": "sales-orders",
            "version": "v1beta",
            "type": "data",
            "entity": "product",
            "v1beta": {"data": data},
        }
    )


def sales_depot() -> DepotModel:
    return DepotModel.model_validate(
        {
            "name": "sales",
            "version": "v2alpha",
            "type": "depot",
            "depot": {
                "type": "S3",
                "secrets": [{"name": "sales-r", "allkeys": True}],
                "s3": {"bucket": "sales-lake"},
            },
        }
    )


def sales_bundle() -> BundleModel:
    return BundleModel.model_validate(
        {
            "name": "sales-bundle",
            "version": "v1beta",
            "type": "bundle",
            "bundle": {"resources": [{"id": "depot", "file": "depot.yaml"}]},
        }
    )


@pytest.mark.parametrize(
    ("output_depot", "with_bundle", "message"),
    [
        ("sales", True, r"no read-write \(acl rw\) secret"),
        ("elsewhere", True, "names depot 'elsewhere'"),
        ("sales", False, "built by bundle 'sales-bundle', but no bundle was given"),
    ],
)
def test_data_product_validates(output_depot: str, with_bundle: bool, message: str) -> None:
    settings = StackSettings()

    def program_() -> None:
        depot = Depot("sales", DepotArgs.from_manifest(sales_depot(), settings))
        bundle = (
            Bundle("sales-bundle", BundleArgs.from_manifest(sales_bundle(), settings))
            if with_bundle
            else None
        )
        DataProduct(
            "sales-orders",
            DataProductArgs.from_manifest(
                product_model(output_depot), settings, depots={"sales": depot}, bundle=bundle
            ),
        )

    with pytest.raises(ComponentArgsError, match=message):
        run_program(program_, project="p", stack="dev")


def test_rejected_data_product_registers_nothing() -> None:
    settings = StackSettings()
    refused: list[ComponentArgsError] = []

    def program_() -> None:
        depot = Depot("sales", DepotArgs.from_manifest(sales_depot(), settings))
        bundle = Bundle("sales-bundle", BundleArgs.from_manifest(sales_bundle(), settings))
        try:
            DataProduct(
                "sales-orders",
                DataProductArgs.from_manifest(
                    product_model("elsewhere"), settings, depots={"sales": depot}, bundle=bundle
                ),
            )
        except ComponentArgsError as exc:
            refused.append(exc)

    plan = run_program(program_, project="p", stack="dev")
    assert refused
    assert "dataproduct:index:DataProduct" not in {r.type for r in plan.registrations}


def test_bundle_without_workloads_creates_no_namespace() -> None:
    model = sales_bundle()
    model.bundle.workspaces = []
    plan = run_program(
        lambda: Bundle("b", BundleArgs.from_manifest(model, StackSettings(), has_workloads=False)),
        project="p",
        stack="dev",
    )
    assert [r.type for r in plan.registrations if r.type != "pulumi:pulumi:Stack"] == [
        "dataproduct:index:Bundle"
    ]
