"""`dataproduct preview` / `dataproduct drift --stack`: CLI wiring, exit codes, the missing-CLI error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers.cli import run_dataproduct
from pulumi.automation.events import (
    DiffKind,
    EngineEvent,
    OpType,
    PropertyDiff,
    ResourcePreEvent,
    StepEventMetadata,
    StepEventStateMetadata,
)

from dataproduct_iac import cli
from dataproduct_iac.engine import automation
from dataproduct_iac.engine.changes import urn_type

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"
PREFIX = "urn:pulumi:dev::dataproduct::"
BUNDLE = PREFIX + "dataproduct:index:Bundle::traffic-source-bundle"
DEPOT = PREFIX + "dataproduct:index:Bundle$dataproduct:index:Depot::s3depot"
BUCKET = PREFIX + "dataproduct:index:Bundle$dataproduct:index:Depot$aws:s3/bucket:Bucket::s3depot-bucket"
TAGS = (
    PREFIX + "dataproduct:index:Bundle$dataproduct:index:Depot$aws:s3/bucketPolicy:BucketPolicy::s3depot-tls"
)


def _event(urn: str, op: OpType, parent: str, detailed: dict[str, PropertyDiff] | None = None) -> EngineEvent:
    state = StepEventStateMetadata(type=urn_type(urn), urn=urn, id="x", parent=parent, provider="")
    metadata = StepEventMetadata(
        op=op, urn=urn, type=urn_type(urn), provider="", old=state, new=state, detailed_diff=detailed
    )
    return EngineEvent(sequence=1, timestamp=1, resource_pre_event=ResourcePreEvent(metadata))


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Replace the CLI-driven engine run with recorded events; returns the calls made."""
    calls: list[dict] = []
    scenario: dict[str, list[EngineEvent]] = {"events": []}

    def run_engine(stack: str, **kwargs) -> automation.EngineRun:
        calls.append({"stack": stack, **kwargs})
        return automation.EngineRun(events=list(scenario["events"]))

    monkeypatch.setattr(automation, "pulumi_cli", lambda: "/usr/local/bin/pulumi")
    monkeypatch.setattr(automation, "run_engine", run_engine)
    calls.append(scenario)  # calls[0] is the scenario holder
    return calls


UPDATE = [
    _event(DEPOT, OpType.SAME, BUNDLE),
    _event(TAGS, OpType.UPDATE, DEPOT, {"policy": PropertyDiff(DiffKind.UPDATE, True)}),
]
REPLACE = [
    *UPDATE,
    _event(BUCKET, OpType.REPLACE, DEPOT, {"bucket": PropertyDiff(DiffKind.UPDATE_REPLACE, True)}),
]


def test_preview_exit_codes(fake_engine: list[dict], capsys: pytest.CaptureFixture[str]) -> None:
    scenario = fake_engine[0]
    scenario["events"] = [_event(DEPOT, OpType.SAME, BUNDLE)]
    assert cli.main(["preview", "--stack", "dev"]) == 0
    assert "0 to create, 0 to update, 0 to replace, 0 to delete (1 unchanged)" in capsys.readouterr().out

    scenario["events"] = UPDATE
    assert cli.main(["preview", "--stack", "dev", "--fail-on", "dangerous"]) == 2  # changes, none dangerous

    scenario["events"] = REPLACE
    assert cli.main(["preview", "--stack", "dev"]) == 2
    capsys.readouterr()
    assert cli.main(["preview", "--stack", "prod", "--fail-on", "dangerous", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["dangerous"] == 1
    assert captured.err.strip() == (
        "dataproduct preview: error: 1 dangerous change(s) (replace/delete of a bucket, secret, "
        "Glue database/table or protected resource)"
    )
    assert [(c["stack"], c["refresh"], c["create"]) for c in fake_engine[1:]] == [
        ("dev", False, True),
        ("dev", False, True),
        ("dev", False, True),
        ("prod", False, True),
    ]


def test_preview_attributes_changes_to_products_from_manifests(
    fake_engine: list[dict], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine[0]["events"] = REPLACE
    code = cli.main(
        [
            "preview",
            str(EXAMPLE / "manifests"),
            "--values",
            str(EXAMPLE / "values.yaml"),
            "--stack",
            "dev",
            "--format",
            "markdown",
        ]
    )
    assert code == 2
    out = capsys.readouterr().out
    assert "#### traffic-source-analysis (~1 update, +-1 replace)" in out
    assert "(shared)" not in out


def test_drift_stack_uses_refresh_preview(
    fake_engine: list[dict], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine[0]["events"] = [_event(DEPOT, OpType.SAME, BUNDLE)]
    assert cli.main(["drift", "--stack", "prod"]) == 0
    assert capsys.readouterr().out.startswith("Drift (refresh preview) of stack prod: 0 drifted, 0 gone")
    assert fake_engine[1] == {"stack": "prod", "refresh": True, "work_dir": ".", "create": False}


def test_stack_is_required(fake_engine: list[dict], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["preview"]) == 1
    assert "--stack is required" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["preview", "drift"])
def test_without_the_pulumi_cli(command: str, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_dataproduct(
        command,
        "--stack",
        "dev",
        env={"PATH": str(empty), "HOME": str(tmp_path)},
        inherit_env=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"dataproduct {command}: error: the Pulumi CLI ('pulumi') is not on PATH: install"
    )
    assert "'dataproduct plan'" in lines[0] and "Traceback" not in result.stderr


def test_find_project_dir(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\n", encoding="utf-8")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert automation.find_project_dir(nested) == tmp_path.resolve()
    with pytest.raises(automation.EngineError, match=r"no Pulumi\.yaml"):
        automation.find_project_dir(tmp_path.parent / "elsewhere-does-not-exist")


@pytest.mark.skipif(
    shutil.which("pulumi") is None, reason="the Pulumi CLI is not installed (needed for a real preview)"
)
def test_real_preview_of_the_local_stack(tmp_path: Path) -> None:
    """A real `pulumi preview` of the local stack on a file backend (AWS endpoints point at 127.0.0.1)."""
    from dataproduct_iac.engine.changes import group_events

    env = {
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    (tmp_path / "state").mkdir()
    run = automation.run_engine("local", refresh=False, work_dir=ROOT, env=env, create=True)
    changes = group_events(run.events, mode="preview", stack="local")
    assert changes.errors == []
    assert changes.counts["create"] > 0 and changes.counts["delete"] == 0
    assert any(c.type == "aws:s3/bucket:Bucket" for c in changes.changes)
    assert any(c.type == "dataproduct:index:DataProduct" for c in changes.changes)
