"""Every registration that `dataproduct plan --json` records for each example passes the validators.

Runs once ``dataproduct_iac.plan`` exists (the plan issue); workloads (Trino, scanner) are checked
as soon as their components register them in the plan.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dataproduct_iac.policy.resources import KUBERNETES_POD_TYPES, Registration, check_stack

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p.parent for p in (ROOT / "examples").glob("*/manifests") if (p.parent / "values.yaml").exists()
)

pytest.importorskip("dataproduct_iac.plan", reason="dataproduct plan is not available yet")


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for example in EXAMPLES:
        target = tmp_path_factory.mktemp("plan") / f"{example.name}.json"
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "dataproduct"),
                "plan",
                str(example / "manifests"),
                "--values",
                str(example / "values.yaml"),
                "--json",
                str(target),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        out[example.name] = json.loads(target.read_text())
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


@pytest.mark.xfail(
    strict=True,
    reason="components (issue 3) tag resources with dataproduct:depot/environment/... but set no "
    "dataproduct:owner tag (from the manifest owner, the product owner, or a stack-wide tag)",
)
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
