"""docs/manifest-reference.md is generated from the models and must be up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dataproduct_iac import docgen
from dataproduct_iac.manifests import MODELS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "manifest-reference.md"


def test_committed_reference_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == docgen.render(), (
        "docs/manifest-reference.md is stale: run .venv/bin/python -m dataproduct_iac.docgen --write"
    )


def test_reference_covers_every_kind_and_nested_field() -> None:
    text = docgen.render()
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
    command = [sys.executable, "-m", "dataproduct_iac.docgen", "--check", "--output", str(stale)]
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 1
    stale.write_text(docgen.render())
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0


def test_docgen_imports_no_pulumi() -> None:
    code = "import sys, dataproduct_iac.docgen; print(any(m.startswith('pulumi') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
