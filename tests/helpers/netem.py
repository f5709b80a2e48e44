"""The network model and fault proxy of benchmarks/netem.py (not an installed package), loaded from its
file once for every test that uses it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_NAME = "benchmarks_netem"
_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "netem.py"


def _load() -> ModuleType:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


netem = _load()
Netem = netem.Netem
Fault = netem.Fault
