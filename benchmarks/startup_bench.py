"""Start-up: wall time of `dataproduct validate` on the example against `python -c "import yaml, pydantic"`.

Every command runs as a fresh process, interleaved, ``--repeats`` times; medians are compared. The
floor rows show what any pydantic-based validator pays before doing its own work:

- ``pydantic model machinery``: the same imports plus ``pydantic.BaseModel`` (pydantic imports its
  model machinery lazily, on first access);
- ``floor: + one pydantic model``: plus one model class defined and validated (building a schema
  validator also scans the installed packages' entry points for pydantic plugins);
- ``import dataproduct_iac.cli``: our modules and model classes, nothing validated.

``dataproduct validate`` runs as the ``dataproduct`` console script does (``from dataproduct_iac.cli
import main``). Our package is byte-compiled first (``compileall``, into its gitignored
``__pycache__``), as ``pip install`` does for every installed package: pydantic and PyYAML load from
their ``.pyc`` files, and with ``PYTHONDONTWRITEBYTECODE`` set (as on the benchmark machines) an
editable checkout would otherwise recompile its sources on every run (~40 ms measured).

    python -m benchmarks.startup_bench [--repeats 15] [--tiny]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"
MACHINERY = "import yaml, pydantic\npydantic.BaseModel"
FLOOR = "import yaml, pydantic\nclass M(pydantic.BaseModel):\n    x: int\nM(x=1)"
CONSOLE_SCRIPT = "import sys\nfrom dataproduct_iac.cli import main\nsys.exit(main())"


def commands() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "import yaml, pydantic": [python, "-c", "import yaml, pydantic"],
        "pydantic model machinery": [python, "-c", MACHINERY],
        "floor: + one pydantic model": [python, "-c", FLOOR],
        "import dataproduct_iac.cli": [python, "-c", "import dataproduct_iac.cli"],
        "dataproduct validate": [
            python,
            "-c",
            CONSOLE_SCRIPT,
            "validate",
            str(EXAMPLE / "manifests"),
            "--values",
            str(EXAMPLE / "values.yaml"),
        ],
    }


def heavy_imports() -> list[str]:
    """Provider SDK modules that ``import dataproduct_iac.cli`` pulls in (must be none)."""
    code = (
        "import sys, dataproduct_iac.cli\n"
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('pulumi_aws', 'pulumi_kubernetes')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return out.stdout.split()


def run(repeats: int) -> dict[str, Any]:
    bytecode = compileall.compile_dir(ROOT / "dataproduct_iac", quiet=1)
    times: dict[str, list[float]] = {name: [] for name in commands()}
    for _ in range(repeats):
        for name, command in commands().items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians["import yaml, pydantic"]
    floor = medians["floor: + one pydantic model"]
    return {
        "medians_s": medians,
        "ratio": medians["dataproduct validate"] / baseline,
        "machinery_ratio": medians["pydantic model machinery"] / baseline,
        "floor_ratio": floor / baseline,
        "import_ratio": medians["import dataproduct_iac.cli"] / baseline,
        # What is ours: the validate command above the one-model floor.
        "ours_above_floor_s": medians["dataproduct validate"] - floor,
        "bytecode": bool(bytecode),
        "heavy_imports": heavy_imports(),
        "repeats": repeats,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--tiny", action="store_true", help="1 repeat (a smoke run)")
    args = parser.parse_args(argv)
    result = run(1 if args.tiny else args.repeats)
    for name, value in result["medians_s"].items():
        print(f"{name:<32}{value * 1000:>8.0f} ms")
    print(
        f"validate / baseline: {result['ratio']:.2f} (target <= 1.5); model machinery / baseline: "
        f"{result['machinery_ratio']:.2f}; floor (one model) / baseline: {result['floor_ratio']:.2f}; "
        f"ours above the floor: {result['ours_above_floor_s'] * 1000:.0f} ms; "
        f"provider SDKs imported by the CLI: {result['heavy_imports'] or 'none'}"
    )
    return result


if __name__ == "__main__":
    main()
