"""Every benchmark runs at tiny size, so that `make bench` cannot rot. No timing assertions."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.cli import run_python

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_runs_at_tiny_size() -> None:
    results = ROOT / "benchmarks" / "results.md"
    before = results.read_bytes() if results.exists() else None
    run = run_python(["-m", "benchmarks", "--tiny"], cwd=ROOT, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    table = run.stdout.split("\nbenchmark ", 1)[-1]
    for row in (
        "plan N=2: ours / baseline",
        "plan N=2: structured baseline (our tree, bare components) / baseline",
        "own work growth N=2 → 8 (prepare + build)",
        "validate 5 products (31 manifests)",
        "start-up: validate / import yaml, pydantic",
        "CLI imports pulumi_aws/pulumi_kubernetes",
        "scanner: bytes read (20 files",
        "scanner: time / naive full download",
        "drift: 10 resources, concurrent / sequential",
    ):
        assert row in table, row
    # The validate command and the scanner really did their work (not just printed a table).
    assert "scanner outcomes: {'created': 5}" in run.stdout
    assert re.search(r"CLI imports pulumi_aws/pulumi_kubernetes +none +none +yes", table)
    # Scanner and drift: the moto server's CPU is measured, and both run through the network model.
    assert "moto CPU bound:" in run.stdout
    assert "bound: concurrent moto CPU / sequential wall" in run.stdout
    assert (
        "shaped (20 ms per request, 100 MB/s per connection, 125 MB/s shared link): scanner / naive"
        in run.stdout
    )
    assert (
        "shaped_10g (20 ms per request, 100 MB/s per connection, 1250 MB/s shared link): scanner / naive"
        in run.stdout
    )
    assert "shaped (20 ms per request through benchmarks/netem.py)" in run.stdout
    assert "range GET of 16 KiB vs full GET" in run.stdout
    # A tiny run never overwrites the full results.
    assert (results.read_bytes() if results.exists() else None) == before
