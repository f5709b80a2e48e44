"""Validation at scale: load, validate and resolve N synthetic data products (about 6 manifests each).

Target (issue 8): 1,000 products in under 3 s with peak memory under 500 MiB.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load

from .estate import write_estate


def run(products: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifests = write_estate(root, products)
        times = []
        for _ in range(repeats):
            gc.collect()
            start = time.perf_counter()
            graph = resolve(load([root]))
            times.append(time.perf_counter() - start)
            assert len(graph.order) == manifests
        gc.collect()
        tracemalloc.start()
        resolve(load([root]))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "products": products,
        "manifests": manifests,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "peak_mib": peak / 2**20,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="a smoke run: 5 products, 1 repeat")
    args = parser.parse_args(argv)
    products, repeats = (5, 1) if args.tiny else (args.products, args.repeats)
    result = run(products, repeats)
    print(
        f"validate+resolve {result['products']} products ({result['manifests']} manifests): "
        f"median {result['median_s']:.2f} s over {repeats} runs, peak {result['peak_mib']:.0f} MiB "
        f"(target < 3 s, < 500 MiB)"
    )
    return result


if __name__ == "__main__":
    main()
