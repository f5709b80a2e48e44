"""Plan overhead: the full `dataproduct plan` pipeline against a plain Pulumi program, same mock monitor.

For N synthetic data products (benchmarks/estate.py) each repeat runs, in one process and alternating:

- ours: stack config → load + validate + resolve + Trino render check (``program.prepare``), then the
  stack program (``program.deploy``: ComponentResources and their children) on the SDK's mock monitor
  through ``plan.run_program``, exactly as ``dataproduct plan`` does;
- baseline: a program that declares the very same custom resources (same types, count, names and
  inputs, secrets as secrets) directly with pulumi_aws / pulumi_kubernetes classes, flat, with no
  manifests, no validation and no components, on the same mock monitor. Its resource list is taken
  from our own plan of the same estate, so the two cannot drift apart;
- components only: as many bare ``pulumi.ComponentResource`` registrations as our plan makes, to show
  what the component layer costs the SDK by itself.

Our own work (load + validate + resolve + render check, no SDK) is timed at N and 4N for linearity.

    python -m benchmarks.plan_bench [--products 50 200] [--repeats 3] [--tiny]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .estate import write_estate

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _resource_class(token: str) -> Any:
    """``aws:s3/bucket:Bucket`` → ``pulumi_aws.s3.Bucket``; ``kubernetes:apps/v1:Deployment`` →
    ``pulumi_kubernetes.apps.v1.Deployment``."""
    package, module, name = token.split(":")
    root = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}[package]
    path = f"{root}.{module.split('/')[0]}" if package == "aws" else f"{root}.{module.replace('/', '.')}"
    return getattr(importlib.import_module(path), name)


def _inputs(value: Any) -> Any:
    """Recorded plan inputs back into program inputs: secrets become secret Outputs again."""
    import pulumi

    from dataproduct_iac.plan import SECRET

    if value == SECRET:
        return pulumi.Output.secret("synthetic-secret-value")
    if isinstance(value, dict):
        return {k: _inputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inputs(v) for v in value]
    return value


def baseline_program(registrations: list[Any]) -> Callable[[], None]:
    """A flat Pulumi program declaring ``registrations``' custom resources with the provider SDKs."""
    resources = [r for r in registrations if r.custom and not r.type.startswith("pulumi:")]
    classes = {r.type: _resource_class(r.type) for r in resources}

    def program() -> None:
        import pulumi

        declared: dict[str, Any] = {}
        for reg in resources:
            kwargs = {_snake(k): _inputs(v) for k, v in reg.inputs.items()}
            deps = [declared[u] for u in reg.depends_on if u in declared]
            opts = pulumi.ResourceOptions(depends_on=deps) if deps else None
            declared[reg.urn] = classes[reg.type](reg.name, opts=opts, **kwargs)

    return program


def components_program(count: int) -> Callable[[], None]:
    def program() -> None:
        import pulumi

        for index in range(count):
            pulumi.ComponentResource("dataproduct:index:Bench", f"c{index}").register_outputs({})

    return program


def _ours(root: Path) -> tuple[float, float, Any]:
    from dataproduct_iac import program
    from dataproduct_iac.plan import run_program

    start = time.perf_counter()
    inputs = program.inputs_from_config({"manifests": [str(root)]}, project="bench", stack="dev", root=root)
    prepared = program.prepare(inputs)
    prepared_at = time.perf_counter()
    plan = run_program(lambda: program.deploy(prepared), project="bench", stack="dev", preview=True)
    return time.perf_counter() - start, prepared_at - start, plan


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def own_work(root: Path) -> float:
    """load + validate + resolve + Trino render check: everything before the SDK sees a resource."""
    from dataproduct_iac import program

    start = time.perf_counter()
    inputs = program.inputs_from_config({"manifests": [str(root)]}, project="bench", stack="dev", root=root)
    program.prepare(inputs)
    return time.perf_counter() - start


def run(products: list[int], repeats: int) -> dict[str, Any]:
    from dataproduct_iac.plan import run_program

    rows: list[dict[str, Any]] = []
    own: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm-up"
        write_estate(warm, 1)
        _ours(warm)  # imports the components and provider modules once, outside the timings
        roots: dict[int, Path] = {}
        for n in sorted({*products, *(4 * p for p in products)}):
            roots[n] = Path(tmp) / f"n{n}"
            write_estate(roots[n], n)
        # Own work first, in a fresh heap: after plan runs the SDK's leftovers make every GC pass dearer.
        for n in sorted(roots):
            samples = []
            for _ in range(max(3, repeats)):
                gc.collect()
                samples.append(own_work(roots[n]))
            own[n] = statistics.median(samples)
        for n in products:
            root = roots[n]
            gc.collect()
            ours_t: list[float] = []
            prep_t: list[float] = []
            base_t: list[float] = []
            comp_t: list[float] = []
            plan = None
            for _ in range(repeats):
                total, prepare, plan = _ours(root)
                ours_t.append(total)
                prep_t.append(prepare)
                program = baseline_program(plan.registrations)
                base_t.append(_timed(partial(run_program, program, project="bench", stack="dev")))
                components = sum(1 for r in plan.registrations if not r.custom) - 1  # minus the stack
                comp_program = components_program(components)
                comp_t.append(_timed(partial(run_program, comp_program, project="bench", stack="dev")))
            assert plan is not None
            custom = sum(1 for r in plan.registrations if r.custom)
            rows.append(
                {
                    "products": n,
                    "registrations": len(plan.registrations),
                    "custom": custom,
                    "components": len(plan.registrations) - custom - 1,
                    "ours_s": statistics.median(ours_t),
                    "prepare_s": statistics.median(prep_t),
                    "baseline_s": statistics.median(base_t),
                    "components_only_s": statistics.median(comp_t),
                }
            )
    for row in rows:
        row["ratio"] = row["ours_s"] / row["baseline_s"]
        row["per_custom_ms"] = 1000 * row["baseline_s"] / row["custom"]
        row["per_component_ms"] = 1000 * row["components_only_s"] / max(1, row["components"])
        # What ours would cost if a component registration were free: the rest is our own code + SDK.
        row["ours_minus_components_s"] = row["ours_s"] - row["components_only_s"]
    return {
        "rows": rows,
        "own_work": [
            {"n": n, "t_n": own[n], "t_4n": own[4 * n], "growth": own[4 * n] / own[n]} for n in products
        ],
        "repeats": repeats,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.plan_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--products", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="2 products, 1 repeat (a smoke run)")
    args = parser.parse_args(argv)
    products, repeats = ([2], 1) if args.tiny else (args.products, args.repeats)
    result = run(products, repeats)
    print(
        f"{'N':>5}{'regs':>7}{'ours s':>9}{'baseline s':>12}{'ratio':>8}{'prepare s':>11}{'comp-only s':>13}"
    )
    for row in result["rows"]:
        print(
            f"{row['products']:>5}{row['registrations']:>7}{row['ours_s']:>9.2f}{row['baseline_s']:>12.2f}"
            f"{row['ratio']:>8.2f}{row['prepare_s']:>11.2f}{row['components_only_s']:>13.2f}"
        )
    for own in result["own_work"]:
        print(
            f"own work (load+validate+resolve+render): N={own['n']} {own['t_n']:.3f} s, "
            f"4N {own['t_4n']:.3f} s, growth {own['growth']:.2f}x (target <= 4.4)"
        )
    return result


if __name__ == "__main__":
    main()
