"""Owner and product tags/labels: one computation (dataproduct_iac.tags) for components and drift."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from dataproduct_iac import program
from dataproduct_iac.drift.live import desired_state
from dataproduct_iac.graph import Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.ownership import ownership_of
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.plan import Plan, run_program
from dataproduct_iac.policy.resources import TAGGED_TYPES
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.tags import (
    DEFAULT_OWNER,
    OWNER_LABEL,
    OWNER_TAG,
    PRODUCT_LABEL,
    PRODUCT_TAG,
    kubernetes_labels,
    label_value,
    ownership,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"
SETTINGS = StackSettings(stack="dev", registry_bucket="registry", create_access=True)

SECRET = """\
name: {name}
version: v1
type: instance-secret
{owner}instance-secret:
  type: key-value
  acl: r
  data:
    key: not-a-real-secret
"""


def graph_of(*paths: Path, values: Path | None = None) -> Graph:
    files = [read_values_file(values)] if values else []
    return resolve(load([str(p) for p in paths], ValueSources(files=files)))


def plan_of(graph: Graph, settings: StackSettings, *, preview: bool = True) -> Plan:
    prepared = program.Prepared(graph, settings)
    return run_program(lambda: program.deploy(prepared), project="p", stack="dev", preview=preview)


@pytest.fixture(scope="module")
def example() -> tuple[Graph, Plan]:
    graph = graph_of(EXAMPLE / "manifests", values=EXAMPLE / "values.yaml")
    return graph, plan_of(graph, SETTINGS, preview=False)


def test_owner_precedence() -> None:
    stack_owned = dataclasses.replace(SETTINGS, tags={"owner": "platform"})
    assert ownership(stack_owned, owner="ana", product_owner="bo").owner == "ana"
    assert ownership(stack_owned, product_owner="bo", product="p").owner == "bo"
    assert ownership(stack_owned).owner == "platform"
    unowned = ownership(SETTINGS)
    assert (unowned.owner, unowned.defaulted) == (DEFAULT_OWNER, True)
    assert "no owner" in (unowned.warning("depot 'x'") or "")
    assert ownership(SETTINGS, owner="ana").warning("depot 'x'") is None


def test_label_values_are_valid_kubernetes_label_values() -> None:
    assert label_value("team@example.com") == "team-example.com"
    assert label_value("-x-") == "x"
    assert label_value("@@") is None
    assert len(label_value("a" * 100) or "") == 63
    assert kubernetes_labels(ownership(SETTINGS, owner="ana", product="p")) == {
        OWNER_LABEL: "ana",
        PRODUCT_LABEL: "p",
    }


def test_every_tagged_aws_resource_has_owner_and_product(example: tuple[Graph, Plan]) -> None:
    _, plan = example
    tagged = [r for r in plan.registrations if r.type in TAGGED_TYPES]
    # secrets, buckets, Glue databases, IAM policies and the registry object are all there
    assert {r.type for r in tagged} >= {
        "aws:secretsmanager/secret:Secret",
        "aws:s3/bucket:Bucket",
        "aws:glue/catalogDatabase:CatalogDatabase",
        "aws:iam/policy:Policy",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    }
    # every depot and secret of this example is in the product's bundle: the product's owner and name
    for reg in tagged:
        tags = reg.inputs["tags"]
        assert tags[OWNER_TAG] == "iamgroot", reg.name
        assert tags[PRODUCT_TAG] == "traffic-source-analysis", reg.name


def test_kubernetes_objects_carry_the_matching_labels(example: tuple[Graph, Plan]) -> None:
    _, plan = example
    objects = [r for r in plan.registrations if r.type.startswith("kubernetes:")]
    assert {r.type for r in objects} >= {"kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment"}
    for reg in objects:
        labels = reg.inputs["metadata"]["labels"]
        assert labels[OWNER_LABEL] == "iamgroot", reg.name
        assert labels[PRODUCT_LABEL] == "traffic-source-analysis", reg.name


def test_drift_expects_the_tags_the_components_set(example: tuple[Graph, Plan]) -> None:
    graph, plan = example
    planned = {
        r.inputs["name"]: r.inputs["tags"]
        for r in plan.registrations
        if r.type == "aws:secretsmanager/secret:Secret"
    }
    expected = {t.physical: t.tags for t in desired_state(graph, SETTINGS).secrets}
    assert planned == expected
    assert all(PRODUCT_TAG in tags for tags in expected.values())


def _secret_plan(tmp_path: Path, owner: str, settings: StackSettings) -> tuple[dict[str, Any], Plan]:
    (tmp_path / "secret.yaml").write_text(SECRET.format(name="lake-r", owner=owner))
    graph = graph_of(tmp_path)
    plan = plan_of(graph, settings)
    secret = next(r for r in plan.registrations if r.type == "aws:secretsmanager/secret:Secret")
    assert desired_state(graph, settings).secrets[0].tags == secret.inputs["tags"]
    assert ownership_of(graph, ("instance-secret", "lake-r"), settings).product is None
    return secret.inputs["tags"], plan


def test_manifest_owner_wins(tmp_path: Path) -> None:
    tags, plan = _secret_plan(tmp_path, "owner: ana\n", dataclasses.replace(SETTINGS, tags={"owner": "x"}))
    assert tags[OWNER_TAG] == "ana" and PRODUCT_TAG not in tags
    assert not [w for w in plan.warnings if "no owner" in w]


def test_stack_owner_then_default_with_a_warning(tmp_path: Path) -> None:
    tags, plan = _secret_plan(tmp_path, "", dataclasses.replace(SETTINGS, tags={"owner": "platform"}))
    assert tags[OWNER_TAG] == "platform"
    assert not [w for w in plan.warnings if "no owner" in w]
    tags, plan = _secret_plan(tmp_path, "", SETTINGS)
    assert tags[OWNER_TAG] == DEFAULT_OWNER
    assert [w for w in plan.warnings if "instance-secret 'lake-r' has no owner" in w]
