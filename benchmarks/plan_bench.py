"""Plan overhead: the full `dataproduct plan` pipeline against a plain Pulumi program, same mock monitor.

For N synthetic data products (benchmarks/estate.py) each repeat runs, in one process and alternating:

- ours: stack config → load + validate + resolve + Trino render check (``program.prepare``), then the
  stack program (``program.deploy``: ComponentResources and their children) on the SDK's mock monitor
  through ``plan.run_program``, exactly as ``dataproduct plan`` does;
- baseline: a program that declares the very same custom resources (same types, count, names and
  inputs, secrets as secrets) directly with pulumi_aws / pulumi_kubernetes classes, flat, with no
  manifests, no validation and no components, on the same mock monitor. Its resource list is taken
  from our own plan of the same estate, so the two cannot drift apart;
- structured baseline: the same custom resources *and* our component tree, as bare
  ``pulumi.ComponentResource`` s with the same parents and the same recorded dependencies, written by
  hand in the same way; it shows what a component tree costs the SDK by itself, whoever builds it
  (ours / structured = the cost of our code on top of the tree);
- components only: as many bare ``pulumi.ComponentResource`` registrations as our plan makes.

Our own work is timed at N and 4N for linearity, in CPU seconds (it is single-threaded, and CPU time
is what a noisy neighbour disturbs least): load + validate + resolve + render check (no SDK), and the
build (the synchronous body of the stack program: our components' code plus the SDK's synchronous
part of each resource constructor; registration runs after it).

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


def structured_program(registrations: list[Any]) -> Callable[[], None]:
    """Our plan's tree written by hand: bare ComponentResources, same parents, same dependencies."""
    from dataproduct_iac.plan import STACK_TYPE

    resources = [r for r in registrations if r.type != STACK_TYPE]
    classes = {r.type: _resource_class(r.type) for r in resources if r.custom}

    def program() -> None:
        import pulumi

        declared: dict[str, Any] = {}
        components: list[Any] = []
        for reg in resources:
            deps = [declared[u] for u in reg.depends_on if u in declared]
            opts = pulumi.ResourceOptions(parent=declared.get(reg.parent or ""), depends_on=deps or None)
            if reg.custom:
                kwargs = {_snake(k): _inputs(v) for k, v in reg.inputs.items()}
                declared[reg.urn] = classes[reg.type](reg.name, opts=opts, **kwargs)
            else:
                declared[reg.urn] = pulumi.ComponentResource(reg.type, reg.name, None, opts)
                components.append(declared[reg.urn])
        for component in components:
            component.register_outputs({})

    return program


def components_program(count: int) -> Callable[[], None]:
    def program() -> None:
        import pulumi

        for index in range(count):
            pulumi.ComponentResource("dataproduct:index:Bench", f"c{index}").register_outputs({})

    return program


def _ours(root: Path) -> tuple[float, float, float, Any]:
    """The plan pipeline: (total wall s, prepare wall s, build CPU s, plan)."""
    from dataproduct_iac import program
    from dataproduct_iac.plan import run_program
    from dataproduct_iac.stack_config import parse_stack_config

    start = time.perf_counter()
    inputs = parse_stack_config({"manifests": [str(root)]}, project="bench", stack="dev", root=root)
    prepared = program.prepare(inputs)
    prepared_at = time.perf_counter()
    built: list[float] = []

    def deploy() -> None:
        begin = time.process_time()  # CPU: own work is single-threaded; robust on a shared machine
        program.deploy(prepared)
        built.append(time.process_time() - begin)

    plan = run_program(deploy, project="bench", stack="dev", preview=True)
    return time.perf_counter() - start, prepared_at - start, built[0], plan


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def prepare_only(root: Path) -> float:
    """load + validate + resolve + Trino render check: everything before the stack program runs (CPU s)."""
    from dataproduct_iac import program
    from dataproduct_iac.stack_config import parse_stack_config

    start = time.process_time()
    inputs = parse_stack_config({"manifests": [str(root)]}, project="bench", stack="dev", root=root)
    program.prepare(inputs)
    return time.process_time() - start


def run(products: list[int], repeats: int) -> dict[str, Any]:
    from dataproduct_iac.plan import run_program

    rows: list[dict[str, Any]] = []
    build: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm-up"
        write_estate(warm, 1)
        _ours(warm)  # imports the components and provider modules once, outside the timings
        roots: dict[int, Path] = {}
        for n in sorted({*products, *(4 * p for p in products)}):
            roots[n] = Path(tmp) / f"n{n}"
            write_estate(roots[n], n)
        # Preparation first, in a fresh heap: after plan runs the SDK's leftovers make every GC pass dearer.
        # Interleaved N and 4N, several samples: at N=50 one run is ~0.1 s, where a noisy neighbour shows.
        prepare_samples: dict[int, list[float]] = {n: [] for n in roots}
        for _ in range(max(7, repeats)):
            for n in sorted(roots):
                gc.collect()
                prepare_samples[n].append(prepare_only(roots[n]))
        prepare = {n: statistics.median(samples) for n, samples in prepare_samples.items()}
        for n in products:
            root = roots[n]
            samples_by_kind: dict[str, list[float]] = {
                "ours": [],
                "baseline": [],
                "structured": [],
                "comp": [],
            }
            plan = None
            for _ in range(repeats):
                gc.collect()
                total, _prepared, built, plan = _ours(root)
                samples_by_kind["ours"].append(total)
                build.setdefault(n, []).append(built)
                for kind, program in (
                    ("baseline", baseline_program(plan.registrations)),
                    ("structured", structured_program(plan.registrations)),
                    ("comp", components_program(sum(1 for r in plan.registrations if not r.custom) - 1)),
                ):
                    gc.collect()
                    samples_by_kind[kind].append(
                        _timed(partial(run_program, program, project="bench", stack="dev"))
                    )
            assert plan is not None
            custom = sum(1 for r in plan.registrations if r.custom)
            median = {kind: statistics.median(values) for kind, values in samples_by_kind.items()}
            rows.append(
                {
                    "products": n,
                    "registrations": len(plan.registrations),
                    "custom": custom,
                    "components": len(plan.registrations) - custom - 1,  # minus the stack
                    "ours_s": median["ours"],
                    "baseline_s": median["baseline"],
                    "structured_s": median["structured"],
                    "components_only_s": median["comp"],
                }
            )
        # The build at the sizes only needed as 4N: a whole plan each (registration runs after the build).
        for n in sorted(roots):
            while len(build.setdefault(n, [])) < repeats:
                gc.collect()
                build[n].append(_ours(roots[n])[2])
    for row in rows:
        row["ratio"] = row["ours_s"] / row["baseline_s"]
        row["structured_ratio"] = row["structured_s"] / row["baseline_s"]
        row["ours_vs_structured"] = row["ours_s"] / row["structured_s"]
        row["per_custom_ms"] = 1000 * row["baseline_s"] / row["custom"]
        row["per_component_ms"] = 1000 * row["components_only_s"] / max(1, row["components"])
    own = {n: prepare[n] + statistics.median(build[n]) for n in roots}
    return {
        "rows": rows,
        "own_work": [
            {
                "n": n,
                "t_n": own[n],
                "t_4n": own[4 * n],
                "growth": own[4 * n] / own[n],
                "prepare_n": prepare[n],
                "prepare_4n": prepare[4 * n],
                "prepare_growth": prepare[4 * n] / prepare[n],
                "build_n": statistics.median(build[n]),
                "build_4n": statistics.median(build[4 * n]),
                "build_growth": statistics.median(build[4 * n]) / statistics.median(build[n]),
            }
            for n in products
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
        f"{'N':>5}{'regs':>7}{'ours s':>9}{'baseline s':>12}{'ratio':>8}{'structured s':>14}"
        f"{'struct ratio':>14}{'comp-only s':>13}"
    )
    for row in result["rows"]:
        print(
            f"{row['products']:>5}{row['registrations']:>7}{row['ours_s']:>9.2f}{row['baseline_s']:>12.2f}"
            f"{row['ratio']:>8.2f}{row['structured_s']:>14.2f}{row['structured_ratio']:>14.2f}"
            f"{row['components_only_s']:>13.2f}"
        )
    for own in result["own_work"]:
        print(
            f"own work (prepare + build): N={own['n']} {own['t_n']:.3f} s, 4N {own['t_4n']:.3f} s, "
            f"growth {own['growth']:.2f}x (target <= 4.4); prepare {own['prepare_growth']:.2f}x, "
            f"build {own['build_growth']:.2f}x"
        )
    return result


if __name__ == "__main__":
    main()
