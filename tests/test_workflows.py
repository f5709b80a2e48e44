"""GitHub workflows: valid against the workflow schema, clean under zizmor, pinned and least-privilege."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_the_four_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "deploy.yml", "drift.yml", "preview.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_schema(path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_zizmor_has_no_findings(path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona", "auditor", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_pinned_actions_least_permissions_no_expressions_in_scripts(path: Path) -> None:
    workflow = _load(path)
    assert workflow.get("permissions") == {}, "workflow-level permissions must be empty; grant per job"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its permissions"
        assert "write-all" not in str(job["permissions"])
        for step in job["steps"]:
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{step['uses']} is not pinned to a commit SHA"
                if step["uses"].startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False
            if "run" in step:
                assert "${{" not in step["run"], f"expression inside a run script of job {name}"


def test_preview_matrix_fails_on_dangerous_changes_in_prod_only() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "preview.yml")
    assert set(workflow["on"]) == {"pull_request"}
    job = workflow["jobs"]["preview"]
    assert job["strategy"]["matrix"]["include"] == [
        {"stack": "dev", "fail-on": "none"},
        {"stack": "prod", "fail-on": "dangerous"},
    ]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    summary = next(s for s in job["steps"] if "dataproduct preview" in s.get("run", ""))
    assert '--format markdown >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert summary["env"]["FAIL_ON"] == "${{ matrix.fail-on }}"


def test_drift_is_scheduled_and_reports_to_an_issue() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "drift.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    job = workflow["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert job["permissions"]["issues"] == "write" and job["permissions"]["contents"] == "read"
    issue = next(s for s in job["steps"] if "gh issue" in s.get("run", ""))
    assert issue["if"] == "steps.drift.outputs.code == '2'"
    assert "gh issue create" in issue["run"] and "gh issue comment" in issue["run"]


def test_ci_runs_lint_and_tests() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "ci.yml")
    runs = [s.get("run") for s in workflow["jobs"]["test"]["steps"]]
    assert "make lint" in runs and "make test" in runs


def test_ci_runs_the_real_trino_tests_as_ci_run_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test job has what the real-Trino tests need (.ci/run): a JDK the pinned Trino runs on, the
    server fetched (its tarball cached per pinned release, where tools/trino_dist.py looks) before the
    tests, and DATAPRODUCT_TRINO_REQUIRED=1 so that they fail rather than skip without it."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import trino_dist
    finally:
        sys.path.remove(str(ROOT / "tools"))
    steps = _load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["test"]["steps"]
    java = next(s for s in steps if s.get("uses", "").startswith("actions/setup-java@"))
    assert java["with"]["distribution"] == "temurin"
    assert int(java["with"]["java-version"]) >= trino_dist.MIN_JAVA
    runs = [s.get("run", "") for s in steps]
    fetch = runs.index(".venv/bin/python tools/trino_dist.py")
    test = next(i for i, s in enumerate(steps) if s.get("run") == "make test")
    assert fetch < test and steps[test]["env"]["DATAPRODUCT_TRINO_REQUIRED"] == "1"
    assert "DATAPRODUCT_TRINO_REQUIRED=1" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert steps.index(cache) < fetch
    version = "${{ steps.trino.outputs.version }}"
    monkeypatch.delenv("DATAPRODUCT_TRINO_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    default_cache = Path("~") / trino_dist.cache_dir().relative_to(
        Path.home()
    )  # where the runner's fetch looks
    assert cache["with"]["path"] == f"{default_cache}/{trino_dist.tarball_name(version)}"
    assert version in cache["with"]["key"]
    pin = next(s for s in steps if s.get("id") == "trino")
    assert "DEFAULT_TRINO_TAG" in pin["run"] and trino_dist.VERSION == trino_dist.DEFAULT_TRINO_TAG


def _pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))


def test_preview_runs_the_policy_pack_and_skips_pull_requests_from_forks() -> None:
    job = _load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert _pulumi_step(job)["with"]["policyPacks"] == "policies"
    install = next(s for s in job["steps"] if s.get("name", "").startswith("install"))
    assert (
        install["run"] == "make setup policy-venv"
    )  # the pack's own environment (policies/PulumiPolicy.yaml)


def test_deploy_runs_up_on_merge_dev_then_prod_behind_its_environment() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["concurrency"]["cancel-in-progress"] is False  # never cancel an update in flight
    dev, prod = workflow["jobs"]["dev"], workflow["jobs"]["prod"]
    assert (dev["environment"], prod["environment"]) == ("dev", "prod")
    assert prod["needs"] == "dev"
    for job, stack in ((dev, "dev"), (prod, "prod")):
        step = _pulumi_step(job)
        assert step["with"]["command"] == "up" and step["with"]["stack-name"] == stack
        assert step["with"]["policyPacks"] == "policies"
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
        assert "cache" not in setup["with"]  # no cache another workflow could have written


def test_ci_caches_pip_and_validates_with_annotations() -> None:
    jobs = _load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]
    for job in jobs.values():
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
        assert setup["with"]["cache"] == "pip"
    validate = "\n".join(s.get("run", "") for s in jobs["validate"]["steps"])
    assert "--format github" in validate and "dataproduct plan --stack" in validate


def test_validate_format_github_annotates_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "secret.yaml"
    bad.write_text(
        "name: s3depot-r\nversion: v1\ntype: instance-secret\ninstance-secret:\n  type: key-value\n"
    )
    result = subprocess.run(
        [str(BIN / "dataproduct"), "validate", str(bad), "--format", "github"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert annotations, result.stdout + result.stderr
    assert all(a.startswith("::error file=secret.yaml,line=") and ",title=" in a for a in annotations)


def test_github_annotation_escapes_what_would_break_the_command() -> None:
    from dataproduct_iac.commands.validate import github_annotation
    from dataproduct_iac.diagnostics import Diagnostic

    text = github_annotation(Diagnostic("a,b:c.yaml", 3, "spec.x", "50% wrong\nsecond line"))
    assert text == "::error file=a%2Cb%3Ac.yaml,line=3,title=spec.x::50%25 wrong%0Asecond line"
