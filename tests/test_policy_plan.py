"""Every registration that `dataproduct plan --json` records for each example passes the validators,
workloads (Trino, scanner) included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import run_dataproduct

from dataproduct_iac.policy.resources import KUBERNETES_POD_TYPES, Registration, check_stack

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p.parent for p in (ROOT / "examples").glob("*/manifests") if (p.parent / "values.yaml").exists()
)


def plan_json(example: Path, target: Path, cwd: Path) -> dict[str, Any]:
    """``dataproduct plan --json`` of an example's manifests and values, run in ``cwd`` (its stack)."""
    done = run_dataproduct(
        "plan",
        str(example / "manifests"),
        "--values",
        str(example / "values.yaml"),
        "--json",
        str(target),
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(target.read_text())


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for example in EXAMPLES:
        target = tmp_path_factory.mktemp("plan") / f"{example.name}.json"
        out[example.name] = plan_json(example, target, cwd=ROOT)
    return out


def registrations(plan: dict[str, Any]) -> list[Registration]:
    return [Registration.from_plan(r) for r in plan["resources"]]


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", [e.name for e in EXAMPLES])
def test_plan_passes_every_rule_except_owner_tags(plans: dict[str, dict[str, Any]], example: str) -> None:
    regs = registrations(plans[example])
    assert any(r.type == "aws:s3/bucket:Bucket" for r in regs)  # the rules have something to check
    findings = [f for f in check_stack(regs) if f.rule != "data-product-tags"]
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("example", [e.name for e in EXAMPLES])
def test_plan_resources_carry_owner_tags(plans: dict[str, dict[str, Any]], example: str) -> None:
    findings = [f for f in check_stack(registrations(plans[example])) if f.rule == "data-product-tags"]
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("example", [e.name for e in EXAMPLES])
def test_every_planned_workload_is_checked(plans: dict[str, dict[str, Any]], example: str) -> None:
    """Kubernetes workloads in the plan are all of a kind the pod rules understand."""
    unknown_pod_holders = [
        r.type
        for r in registrations(plans[example])
        if r.type.startswith("kubernetes:")
        and r.type not in KUBERNETES_POD_TYPES
        and _holds_containers(r.props)
    ]
    assert unknown_pod_holders == []


def _holds_containers(value: Any) -> bool:
    if isinstance(value, dict):
        return "containers" in value or any(_holds_containers(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_containers(v) for v in value)
    return False


@pytest.fixture(scope="module")
def access_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], Path]]:
    """Plans with ``dataproduct:createAccess: true``, so the depots' IAM policies are registered."""
    out: dict[str, tuple[dict[str, Any], Path]] = {}
    for example in EXAMPLES:
        project = tmp_path_factory.mktemp("access")
        (project / "stacks").mkdir()
        (project / "Pulumi.yaml").write_text("name: access\nruntime: python\nstackConfigDir: stacks\n")
        (project / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  dataproduct:createAccess: true\n")
        out[example.name] = (plan_json(example, project / "plan.json", cwd=project), example)
    return out


@pytest.mark.parametrize("example", [e.name for e in EXAMPLES])
def test_depot_policies_are_least_privilege(
    access_plans: dict[str, tuple[dict[str, Any], Path]], example: str
) -> None:
    from dataproduct_iac.graph import resolve
    from dataproduct_iac.loader import load
    from dataproduct_iac.manifests.connections import S3Connection
    from dataproduct_iac.placeholders import ValueSources, read_values_file
    from dataproduct_iac.policy.iam import check_depot_policy

    plan, path = access_plans[example]
    graph = resolve(load([path / "manifests"], ValueSources(files=[read_values_file(path / "values.yaml")])))
    regs = registrations(plan)
    checked = 0
    problems: list[str] = []
    for kind, name in graph.order:
        if kind != "depot":
            continue
        connection = graph.nodes[(kind, name)].manifest.depot.connection  # type: ignore[attr-defined]
        if not isinstance(connection, S3Connection):
            continue
        depot_urn_suffix = f"dataproduct:index:Depot::{name}"
        children = [r for r in regs if (r.parent or "").endswith(depot_urn_suffix)]
        buckets = [r.props["bucket"] for r in children if r.type == "aws:s3/bucket:Bucket"]
        bucket = buckets[0] if buckets else connection.bucket
        for reg in children:
            if reg.type != "aws:iam/policy:Policy":
                continue
            write = reg.name.endswith("-write")
            found = check_depot_policy(
                reg.props["policy"], bucket=bucket, relative_path=connection.relative_path, write=write
            )
            problems.extend(f"{reg.name}: {p}" for p in found)
            checked += 1
    assert checked >= 2
    assert problems == [], "\n".join(problems)
