"""docs/manifest-reference.md is generated from the models (tools/manifest_reference.py) and must be
up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from helpers.cli import ROOT, run_python

from dataproduct_iac.manifests import MODELS

TOOL = ROOT / "tools" / "manifest_reference.py"
REFERENCE = ROOT / "docs" / "manifest-reference.md"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("manifest_reference", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == _tool().render(), (
        "docs/manifest-reference.md is stale: run .venv/bin/python tools/manifest_reference.py --write"
    )


def test_reference_covers_every_kind_and_nested_field() -> None:
    text = _tool().render()
    for kind in MODELS:
        assert f"\n## {kind}\n" in text
    for path in (
        "`instance-secret.acl`",
        "`depot.s3.bucket`",
        "`depot.connectionSecret[].acl`",
        "`workflow.dag[].spec.stackSpec.sourceConfig.config.tableFilterPattern.excludes`",
        "`cluster.maintenance.restartCron`",
        "`cluster.minerva.depots[].address`",
        "`bundle.resources[].dependencies`",
        "`v1beta.data.inputs[].ref`",
        "`v1alpha.data.resources[].name`",
    ):
        assert path in text, path


def test_check_mode_detects_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "reference.md"
    stale.write_text("# old\n")
    command = [str(TOOL), "--check", "--output", str(stale)]
    assert run_python(command, timeout=120).returncode == 1
    stale.write_text(_tool().render())
    assert run_python(command, timeout=120).returncode == 0


def test_the_reference_tool_is_not_shipped_in_the_package() -> None:
    assert not list((ROOT / "dataproduct_iac").rglob("*docgen*"))
    assert not list((ROOT / "dataproduct_iac").rglob("manifest_reference*"))


def test_a_field_a_union_member_documents_otherwise_is_marked_once_with_that_member() -> None:
    rows = [line for line in _tool().render().splitlines() if "For a " in line]
    assert rows and all(line.count("For a ") == 1 for line in rows), rows
