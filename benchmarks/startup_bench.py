"""Start-up: wall time of `dataproduct validate` on the example against `python -c "import yaml, pydantic"`.

Every command runs as a fresh process, interleaved, ``--repeats`` times; medians are compared. A third
command shows the floor any pydantic-based validator pays: the same imports plus one model class
defined and validated (pydantic imports its model machinery lazily, on the first model).

    python -m benchmarks.startup_bench [--repeats 15] [--tiny]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"
FLOOR = "import yaml, pydantic\nclass M(pydantic.BaseModel):\n    x: int\nM(x=1)"


def commands() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "import yaml, pydantic": [python, "-c", "import yaml, pydantic"],
        "floor: + one pydantic model": [python, "-c", FLOOR],
        "dataproduct validate": [
            python,
            "-m",
            "dataproduct_iac.cli",
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
    times: dict[str, list[float]] = {name: [] for name in commands()}
    for _ in range(repeats):
        for name, command in commands().items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians["import yaml, pydantic"]
    return {
        "medians_s": medians,
        "ratio": medians["dataproduct validate"] / baseline,
        "floor_ratio": medians["floor: + one pydantic model"] / baseline,
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
        f"validate / baseline: {result['ratio']:.2f} (target <= 1.5); floor / baseline: "
        f"{result['floor_ratio']:.2f}; provider SDKs imported by the CLI: {result['heavy_imports'] or 'none'}"
    )
    return result


if __name__ == "__main__":
    main()
