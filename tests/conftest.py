from __future__ import annotations

from pathlib import Path

import pytest

from dataproduct_iac.loader import read_values_file
from dataproduct_iac.placeholders import ValueSources

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def traffic_example() -> tuple[Path, ValueSources]:
    base = EXAMPLES / "traffic-source-analysis"
    return base / "manifests", ValueSources(files=[read_values_file(base / "values.yaml")], environment={})
