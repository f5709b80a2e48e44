"""The CrossGuard pack in policies/, run in its own environment (.venv-policy, `make policy-venv`).

pulumi-policy pins protobuf 5.29 while the main .venv has protobuf 6, so these tests call the
pack's Python through a subprocess in .venv-policy. The environment is created with the Makefile
target when missing (PyPI is reachable from CI and developer machines) and reused when
``import pulumi_policy`` already works there; when it cannot be built, the tests fail (never skip).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dataproduct_iac.policy.resources import RESOURCE_RULES, STACK_RULES, Registration
from tests.test_policy_resources import VIOLATIONS, compliant

ROOT = Path(__file__).resolve().parent.parent
POLICY_PYTHON = ROOT / ".venv-policy" / "bin" / "python"
DRIVER = Path(__file__).resolve().parent / "policy_pack_driver.py"


def _has_pulumi_policy() -> bool:
    if not POLICY_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(POLICY_PYTHON), "-c", "import pulumi_policy, pydantic, yaml"], capture_output=True, timeout=120
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def policy_python() -> Path:
    """The policy environment, built with ``make policy-venv`` when missing (``make test`` builds it
    first). A policy environment that cannot be built fails the test: CI never passes without the pack
    having run."""
    if not _has_pulumi_policy():
        make = shutil.which("make")
        assert make is not None, "`make` is not installed: cannot create .venv-policy with `make policy-venv`"
        built = subprocess.run(
            [make, "policy-venv", f"PYTHON={sys.executable}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert built.returncode == 0 and _has_pulumi_policy(), (
            f"`make policy-venv` could not create the policy environment:\n{built.stderr[-2000:]}"
        )
    return POLICY_PYTHON


def as_item(reg: Registration) -> dict[str, Any]:
    # CrossGuard's Python SDK does not expose retainOnDelete: the pack needs protect.
    return {
        "type": reg.type,
        "name": reg.name,
        "urn": reg.urn,
        "parent": reg.parent,
        "depends_on": list(reg.depends_on),
        "props": reg.props,
        "protect": reg.protect or reg.retain_on_delete,
    }


Case = tuple[list[Registration], dict[str, Any]]


def run_cases(python: Path, cases: list[Case]) -> dict[str, Any]:
    """One subprocess for many cases (each import of pulumi-policy costs about a second)."""
    request = {
        "cases": [{"resources": [as_item(r) for r in regs], "config": config} for regs, config in cases]
    }
    done = subprocess.run(
        [str(python), str(DRIVER)], input=json.dumps(request), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_pack(
    python: Path, regs: list[Registration], config: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = run_cases(python, [(regs, config or {})])["results"][0]
    return violations


def test_pack_has_one_mandatory_policy_per_rule(policy_python: Path) -> None:
    result = run_cases(policy_python, [])
    expected = [(r.name, "resource") for r in RESOURCE_RULES] + [(r.name, "stack") for r in STACK_RULES]
    assert [(p["name"], p["kind"]) for p in result["policies"]] == expected
    assert {p["enforcement"] for p in result["policies"]} == {"mandatory"}


def test_compliant_resources_pass_every_policy(policy_python: Path) -> None:
    assert run_pack(policy_python, compliant()) == []


def test_each_crafted_violation_is_reported_by_its_policy(policy_python: Path) -> None:
    # compliant() retains the Glue database on delete, which the pack can only see as protect
    names = sorted(name for name in VIOLATIONS if name != "glue unprotected")
    results = run_cases(policy_python, [(VIOLATIONS[name][0](compliant()), {}) for name in names])["results"]
    for name, violations in zip(names, results, strict=True):
        assert VIOLATIONS[name][1] in {v["policy"] for v in violations}, (name, violations)


def test_opt_out_and_unknown_values(policy_python: Path) -> None:
    unprotected = [Registration(**{**r.__dict__, "protect": False}) for r in compliant()]
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    with_unknowns = [
        Registration(**{**r.__dict__, "props": {**r.props, "policy": unknown}}) if "policy" in r.props else r
        for r in compliant()
    ]
    default, opted_out, unknowns = run_cases(
        policy_python,
        [
            (unprotected, {}),
            (unprotected, {"data-protected": {"allowUnprotected": True}}),
            (with_unknowns, {}),
        ],
    )["results"]
    assert {v["policy"] for v in default} == {"data-protected"}
    assert opted_out == []
    assert unknowns == []


def test_the_pack_serves(policy_python: Path) -> None:
    """``python policies/__main__.py`` (what the Pulumi CLI runs) starts the analyzer and prints its port."""
    proc = subprocess.Popen(
        [str(policy_python), str(ROOT / "policies" / "__main__.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT / "policies",
        env={**os.environ, "PYTHONPATH": ""},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.isdigit() and int(line) > 0, (line, proc.stderr.read() if proc.poll() is not None else "")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
