"""Run every benchmark, print one table (medians over repeated runs, ratios measured in the same run),
and write benchmarks/results.md with the machine, the date and the figures.

    python -m benchmarks            # full run (several minutes)
    python -m benchmarks --tiny     # every benchmark at tiny size; results.md is not written
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import drift_bench, plan_bench, scanner_bench, startup_bench, validate_bench

RESULTS = Path(__file__).resolve().parent / "results.md"
# Scanner estate for the target's condition (Parquet files of 4 MiB or more): 50 datasets x 4 files of
# 220,000 rows (~4.3 MiB per Parquet file, ~0.9 GiB in moto's memory). 2,000 files of that size would
# be ~8 GiB held by moto in RAM and take most of an hour to upload at moto's request rate.
SCANNER_FULL = ["--datasets", "50", "--files", "4", "--rows", "220000"]


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def scanner(tiny: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scanner.json"
        scanner_bench.main([*(["--tiny"] if tiny else SCANNER_FULL), "--json", str(out)])
        result: dict[str, Any] = json.loads(out.read_text())
    stored = result["bytes_stored"]
    result["read_share"] = result["scanner"]["bytes_read"] / stored if stored else 0.0
    result["time_ratio"] = result["scanner"]["seconds"] / result["naive_full_download"]["seconds"]
    return result


def table(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(benchmark, measured, target, met) rows."""
    rows: list[tuple[str, str, str, str]] = []

    def add(name: str, value: str, target: str, ok: bool) -> None:
        rows.append((name, value, target, "yes" if ok else "NO"))

    for row in res["plan"]["rows"]:
        n = row["products"]
        add(
            f"plan N={n}: ours / baseline",
            f"{row['ours_s']:.2f} s / {row['baseline_s']:.2f} s = {row['ratio']:.2f}",
            "<= 1.25",
            row["ratio"] <= 1.25,
        )
        add(
            f"plan N={n}: structured baseline (our tree, bare components) / baseline",
            f"{row['structured_s']:.2f} s / {row['baseline_s']:.2f} s = {row['structured_ratio']:.2f}; "
            f"ours / structured = {row['ours_vs_structured']:.2f}",
            "(the SDK's cost of a component tree)",
            True,
        )
        add(
            f"plan N={n}: {row['components']} bare ComponentResources",
            f"{row['components_only_s']:.2f} s ({row['per_component_ms']:.1f} ms each; "
            f"custom resource {row['per_custom_ms']:.1f} ms each)",
            "(context)",
            True,
        )
    for own in res["plan"]["own_work"]:
        add(
            f"own work growth N={own['n']} → {4 * own['n']} (prepare + build)",
            f"{own['t_n']:.3f} s → {own['t_4n']:.3f} s = {own['growth']:.2f}x "
            f"(prepare {own['prepare_growth']:.2f}x, build {own['build_growth']:.2f}x)",
            "<= 4.4x",
            own["growth"] <= 4.4,
        )
    val = res["validate"]
    add(
        f"validate {val['products']} products ({val['manifests']} manifests)",
        f"{val['median_s']:.2f} s, peak {val['peak_mib']:.0f} MiB (traced)",
        "< 3 s, < 500 MiB",
        val["median_s"] < 3 and val["peak_mib"] < 500,
    )
    st = res["startup"]
    med = st["medians_s"]
    add(
        "start-up: validate / import yaml, pydantic",
        f"{med['dataproduct validate'] * 1000:.0f} ms / {med['import yaml, pydantic'] * 1000:.0f} ms"
        f" = {st['ratio']:.2f}",
        "<= 1.5",
        st["ratio"] <= 1.5,
    )
    add(
        "start-up floor: import + pydantic.BaseModel (lazy model machinery)",
        f"{med['pydantic model machinery'] * 1000:.0f} ms = {st['machinery_ratio']:.2f}x baseline",
        "(any pydantic model)",
        True,
    )
    add(
        "start-up floor: + one pydantic model defined and validated",
        f"{med['floor: + one pydantic model'] * 1000:.0f} ms = {st['floor_ratio']:.2f}x baseline; "
        f"ours above it {st['ours_above_floor_s'] * 1000:.0f} ms",
        "(any pydantic validator)",
        True,
    )
    add(
        "CLI imports pulumi_aws/pulumi_kubernetes",
        " ".join(st["heavy_imports"]) or "none",
        "none",
        not st["heavy_imports"],
    )
    sc = res["scanner"]
    add(
        f"scanner: bytes read ({sc['files']} files, {sc['bytes_stored'] / 2**20:.0f} MiB)",
        f"{100 * sc['read_share']:.3f}% of stored",
        "<= 1%",
        sc["read_share"] <= 0.01,
    )
    add(
        "scanner: time / naive full download (moto)",
        f"{sc['scanner']['seconds']:.2f} s / {sc['naive_full_download']['seconds']:.2f} s = "
        f"{sc['time_ratio']:.2f}",
        "<= 0.25",
        sc["time_ratio"] <= 0.25,
    )
    if "server_cpu_lower_bound" in sc:
        add(
            "scanner: moto's CPU for the scan / naive wall time",
            f"{sc['scanner']['moto_cpu_s']:.2f} s / {sc['naive_full_download']['seconds']:.2f} s = "
            f"{sc['server_cpu_lower_bound']:.2f} (no client can go below)",
            "(bounds the ratio)",
            True,
        )
    if "range_get" in sc:
        rg = sc["range_get"]
        add(
            "scanner: 16 KiB range GET vs full GET on moto (server CPU)",
            f"{rg['range_server_cpu_ms']:.1f} ms vs {rg['full_server_cpu_ms']:.1f} ms "
            f"(wall {rg['range_median_ms']:.1f} vs {rg['full_median_ms']:.1f} ms)",
            "(moto reads the whole object)",
            True,
        )
    for key in ("shaped", "shaped_10g"):
        if key in sc:
            sh = sc[key]
            link = f", link {sh['link_mbps']:.0f} MB/s shared" if sh.get("link_mbps") else ""
            add(
                f"scanner via network model ({sh['latency_ms']:.0f} ms/request{link}): time / naive",
                f"{sh['scanner']['seconds']:.2f} s / {sh['naive_full_download']['seconds']:.2f} s = "
                f"{sh['time_ratio']:.2f}",
                "<= 0.25 (supplementary)",
                sh["time_ratio"] <= 0.25,
            )
    dr = res["drift"]
    add(
        f"drift: {dr['resources']} resources, concurrent / sequential (moto)",
        f"{dr['concurrent_s']:.2f} s / {dr['sequential_s']:.2f} s = {dr['ratio']:.2f}",
        "<= 0.35",
        dr["ratio"] <= 0.35,
    )
    if "server_cpu_lower_bound" in dr:
        add(
            "drift: moto's CPU in the concurrent run / sequential wall time",
            f"{dr['concurrent_moto_cpu_s']:.2f} s / {dr['sequential_s']:.2f} s = "
            f"{dr['server_cpu_lower_bound']:.2f} (no client can go below)",
            "(bounds the ratio)",
            True,
        )
    if "shaped" in dr:
        sh = dr["shaped"]
        add(
            f"drift via network model ({sh['latency_ms']:.0f} ms/request): concurrent / sequential",
            f"{sh['concurrent_s']:.2f} s / {sh['sequential_s']:.2f} s = {sh['ratio']:.2f}",
            "<= 0.35 (supplementary)",
            sh["ratio"] <= 0.35,
        )
    return rows


def render(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in [("benchmark", "measured", "target", "met"), *rows]) for i in range(4)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(("benchmark", "measured", "target", "met"), widths, strict=True))
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown(res: dict[str, Any], rows: list[tuple[str, str, str, str]]) -> str:
    m = res["machine"]
    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m benchmarks`) on {res['date']}.",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, "
        f"Python {m['python']}, {m['platform']}.",
        "",
        "Times are medians over repeated runs; every ratio compares figures measured side by side in this "
        "run. See the docstrings of `benchmarks/*_bench.py` for what each one does.",
        "",
        "| benchmark | measured | target | met |",
        "|---|---|---|---|",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += ["", "## Raw figures", "", "```json", json.dumps(res, indent=2, default=str), "```", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="every benchmark at tiny size; no results.md")
    args = parser.parse_args(argv)
    tiny = ["--tiny"] if args.tiny else []
    res: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    print("== validation at scale", flush=True)
    res["validate"] = validate_bench.main(tiny)
    print("== start-up", flush=True)
    res["startup"] = startup_bench.main(tiny)
    print("== plan overhead", flush=True)
    res["plan"] = plan_bench.main(tiny)
    print("== live drift checks", flush=True)
    res["drift"] = drift_bench.main(tiny)
    print("== scanner", flush=True)
    res["scanner"] = scanner(args.tiny)
    rows = table(res)
    print()
    print(render(rows))
    if not args.tiny:
        RESULTS.write_text(markdown(res, rows), encoding="utf-8")
        print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
