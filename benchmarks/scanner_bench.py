"""Scanner efficiency against a local moto server: footer-only reads vs a naive full download.

Default estate: 2,000 files in 50 datasets (40 Parquet datasets, hive-partitioned, several row
groups per file; 5 CSV; 5 JSON lines). Reports, for the scanner (a first scan: reads plus Glue
registration) and for a naive approach that downloads every file whole and reads its schema
locally: wall time (median of ``--repeats`` alternating runs, each scan into new Glue databases),
requests, bytes read against the total bytes stored, and the CPU seconds each phase cost the moto
server (``/proc/<pid>/stat``) and this client process (``getrusage``). moto_server is one Python
process that closes the connection after every response, so it serves at most about one CPU of
work: a phase can never take less wall time than the server CPU it consumes, and
``server_cpu_lower_bound`` = scanner server CPU / naive wall time is the best ratio this server
allows. A rescan (no changes, no Glue writes) is timed too, and ``range_get`` compares one 16 KiB
suffix-range GET with a full GET of the same Parquet file on moto.

The same comparison is then repeated through ``benchmarks/netem.py`` (``shaped``): a proxy that
adds ``--latency-ms`` per request, caps each connection at ``--mbps`` MB/s and all connections
together at ``--link-mbps`` MB/s (default 125 MB/s = 1 Gbit/s: the one network link a scanner pod
shares between its connections), a model of a real network that moto on 127.0.0.1 lacks; and once
more with a shared 10 Gbit/s link (``shaped_10g``, 1,250 MB/s; ``--no-10g`` skips it), to show how
the ratio depends on the link. The raw-moto figures are the primary ones.

    python -m benchmarks.scanner_bench            # full size
    python -m benchmarks.scanner_bench --tiny     # 5 datasets x 4 files, a quick check
    python -m benchmarks.scanner_bench --json out.json [--repeats 3] [--latency-ms 20] [--mbps 100] \
        [--link-mbps 125] [--no-10g]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

from dataproduct_iac.scanner import DatabaseNaming, ScanSettings, scan_depot

from .netem import NetemProcess

T = TypeVar("T")

LINK_10G_MBPS = 1250.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(fn: Callable[[], T], servers: dict[str, int]) -> tuple[T, dict[str, float]]:
    """``fn()`` with its wall time, this process's CPU and each server process's CPU (by name)."""
    before = {name: process_cpu_s(pid) for name, pid in servers.items()}
    cpu, start = own_cpu_s(), time.perf_counter()
    result = fn()
    cost = {"seconds": time.perf_counter() - start, "client_cpu_s": own_cpu_s() - cpu}
    cost.update({f"{name}_cpu_s": process_cpu_s(pid) - before[name] for name, pid in servers.items()})
    return result, cost


class Moto:
    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.port = int(self.url.rsplit(":", 1)[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> str:
        port = self.url.rsplit(":", 1)[1]
        binary = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(
            [str(binary), "-H", "127.0.0.1", "-p", port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return self.url
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto_server did not start")

    def __exit__(self, *_: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def parquet_file(rows: int, seed: int) -> bytes:
    table = pa.table(
        {
            "event_id": pa.array(range(seed, seed + rows), pa.int64()),
            "user_id": pa.array([f"user-{(seed + i) % 9973}" for i in range(rows)]),
            "amount": pa.array([(seed + i) * 0.01 for i in range(rows)], pa.float64()),
            "ts": pa.array([1_700_000_000_000 + i for i in range(rows)], pa.timestamp("ms")),
            "page": pa.array([f"/p/{i % 50}" for i in range(rows)]),
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=max(1, rows // 4))
    return buf.getvalue()


def build_estate(s3: Any, bucket: str, datasets: int, files_per: int, rows: int) -> tuple[int, int]:
    s3.create_bucket(Bucket=bucket)
    template = parquet_file(rows, 0)
    csv_body = "id,name,score,day\n" + "".join(
        f"{i},n{i},{i * 0.5},2024-01-{i % 28 + 1:02d}\n" for i in range(rows)
    )
    json_body = "".join(
        json.dumps({"id": i, "name": f"n{i}", "tags": ["a"], "geo": {"x": i}}) + "\n" for i in range(rows)
    )
    jobs: list[tuple[str, bytes]] = []
    n_text = max(1, datasets // 10)
    for d in range(datasets):
        collection = f"c{d % 5}"
        if d < datasets - 2 * n_text:
            for f in range(files_per):
                key = f"raw/{collection}/events_{d:03d}/dt=2024-01-{f % 20 + 1:02d}/part-{f:04d}.parquet"
                jobs.append((key, template))
        elif d < datasets - n_text:
            jobs.extend(
                (f"raw/{collection}/csv_{d:03d}/part-{f:04d}.csv", csv_body.encode())
                for f in range(files_per)
            )
        else:
            jobs.extend(
                (f"raw/{collection}/json_{d:03d}/part-{f:04d}.jsonl", json_body.encode())
                for f in range(files_per)
            )
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda job: s3.put_object(Bucket=bucket, Key=job[0], Body=job[1]), jobs))
    return len(jobs), sum(len(body) for _, body in jobs)


def naive_scan(session: Any, endpoint: str, bucket: str, concurrency: int) -> dict[str, Any]:
    """Download every object whole and read its schema locally (what a simple crawler would do)."""
    calls: Counter[str] = Counter()
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.meta.events.register("after-call", lambda model, **_: calls.update([model.name]))
    started = time.perf_counter()
    keys = [
        (o["Key"], o["Size"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="raw/")
        for o in page.get("Contents", [])
    ]

    def read(key: str) -> int:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if key.endswith(".parquet"):
            _ = pq.ParquetFile(io.BytesIO(body)).schema_arrow
        else:
            _ = body.decode("utf-8").splitlines()[:2]
        return len(body)

    with ThreadPoolExecutor(concurrency) as pool:
        read_bytes = sum(pool.map(lambda kv: read(kv[0]), keys))
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "requests": sum(calls.values()),
        "bytes_read": read_bytes,
    }


def range_get_probe(
    endpoint: str, bucket: str, key: str, moto_pid: int, rounds: int, block: int
) -> dict[str, Any]:
    """One object, read ``rounds`` x ``block`` times each way, in alternating blocks: a 16 KiB
    suffix-range GET and a full GET. Median wall time per request; moto's CPU per request over the
    blocks (its CPU counter ticks every 10 ms, so it is read per block, not per request)."""
    s3 = boto3.session.Session().client("s3", endpoint_url=endpoint)
    size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    ways: dict[str, dict[str, Any]] = {"range": {"Range": "bytes=-16384"}, "full": {}}
    wall: dict[str, list[float]] = {way: [] for way in ways}
    cpu = dict.fromkeys(ways, 0.0)
    got: dict[str, int] = {}
    for _ in range(rounds):
        for way, extra in ways.items():
            server = process_cpu_s(moto_pid)
            for _ in range(block):
                start = time.perf_counter()
                got[way] = len(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())
                wall[way].append(time.perf_counter() - start)
            cpu[way] += process_cpu_s(moto_pid) - server
    samples = rounds * block
    return {
        "object_bytes": size,
        "samples": samples,
        **{f"{way}_bytes": got[way] for way in ways},
        **{f"{way}_median_ms": round(1000 * statistics.median(wall[way]), 2) for way in ways},
        **{f"{way}_server_cpu_ms": round(1000 * cpu[way] / samples, 2) for way in ways},
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k in runs[0] if k.endswith(("seconds", "_cpu_s"))]
    out = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    out["runs_s"] = [round(r["seconds"], 3) for r in runs]
    return out


def compare(
    session: Any,
    endpoint: str,
    bucket: str,
    args: argparse.Namespace,
    servers: dict[str, int],
    tag: str,
) -> dict[str, Any]:
    """Scanner (a first scan into new databases) and naive download, alternating, ``args.repeats`` times."""
    scans: list[tuple[Any, dict[str, float]]] = []
    naives: list[tuple[dict[str, Any], dict[str, float]]] = []
    for run in range(args.repeats):
        settings = ScanSettings(
            bucket=bucket,
            prefix="raw",
            depot="bench",
            session=session,
            endpoint_url=endpoint,
            concurrency=args.concurrency,
            database_naming=DatabaseNaming(f"bench_{tag}{run}_{{collection}}"),
        )
        scans.append(measured(lambda: scan_depot(settings), servers))  # noqa: B023 (called at once)
        naives.append(measured(lambda: naive_scan(session, endpoint, bucket, args.concurrency), servers))
    first = scans[0][0]
    scanner = {**summary(first), **_median_run([cost for _, cost in scans])}
    scanner["exit_codes"] = sorted({report.exit_code for report, _ in scans})
    naive = {**naives[0][0], **_median_run([cost for _, cost in naives])}
    out = {"scanner": scanner, "naive_full_download": naive, "settings": settings, "first": first}
    out["time_ratio"] = round(scanner["seconds"] / naive["seconds"], 3)
    out["server_cpu_lower_bound"] = round(scanner["moto_cpu_s"] / naive["seconds"], 3)
    return out


def summary(report: Any) -> dict[str, Any]:
    calls = report.stats.calls
    return {
        "seconds": round(report.seconds, 3),
        "requests": sum(calls.values()),
        "calls": dict(sorted(calls.items())),
        "s3_get_object": calls.get("s3.GetObject", 0),
        "glue_writes": sum(
            n for k, n in calls.items() if k.split(".")[1].startswith(("Create", "Update", "Delete", "Batch"))
        ),
        "bytes_read": report.stats.bytes_read,
        "exit_code": report.exit_code,
        "counts": report.counts(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scanner_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tiny", action="store_true", help="5 datasets x 4 files, 1 repeat (a quick check)")
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--files", type=int, default=40, help="files per dataset")
    parser.add_argument("--rows", type=int, default=20_000, help="rows per file")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="alternating scanner/naive runs (median)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="shaped run: latency per request")
    parser.add_argument("--mbps", type=float, default=100.0, help="shaped run: MB/s per connection (0: none)")
    parser.add_argument(
        "--link-mbps",
        type=float,
        default=125.0,
        help="shaped run: MB/s of all connections together (0: none)",
    )
    parser.add_argument(
        "--no-10g", action="store_true", help="skip the shaped run with a 10 Gbit/s shared link"
    )
    parser.add_argument("--no-shaped", action="store_true", help="raw moto only")
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    args = parser.parse_args(argv)
    if args.tiny:
        args.datasets, args.files, args.rows, args.repeats = 5, 4, 2_000, 1

    moto = Moto()
    with moto as endpoint:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
        )
        session = boto3.session.Session()
        s3 = session.client("s3", endpoint_url=endpoint)
        bucket = "scanner-bench"
        t0 = time.perf_counter()
        files, stored = build_estate(s3, bucket, args.datasets, args.files, args.rows)
        setup = time.perf_counter() - t0
        parquet_key = next(
            o["Key"]
            for o in s3.list_objects_v2(Bucket=bucket, Prefix="raw/")["Contents"]
            if o["Key"].endswith(".parquet")
        )
        probe = range_get_probe(endpoint, bucket, parquet_key, moto.pid, *((1, 5) if args.tiny else (5, 20)))

        raw = compare(session, endpoint, bucket, args, {"moto": moto.pid}, "raw")
        rescan = scan_depot(raw["settings"])  # same databases as the first raw run: nothing changed
        links = {} if args.no_shaped else {"shaped": args.link_mbps}
        if not (args.no_shaped or args.no_10g):
            links["shaped_10g"] = LINK_10G_MBPS
        shaped: dict[str, dict[str, Any]] = {}
        for name, link_mbps in links.items():
            proxy = NetemProcess(moto.port, latency_ms=args.latency_ms, mbps=args.mbps, link_mbps=link_mbps)
            with proxy as shaped_endpoint:
                servers = {"moto": moto.pid, "proxy": proxy.pid}
                run = compare(session, shaped_endpoint, bucket, args, servers, name.replace("_", ""))
            shaped[name] = {
                "latency_ms": args.latency_ms,
                "mbps_per_connection": args.mbps,
                "link_mbps": link_mbps,
                **{
                    k: run[k]
                    for k in ("scanner", "naive_full_download", "time_ratio", "server_cpu_lower_bound")
                },
            }

    results: dict[str, Any] = {
        "datasets": args.datasets,
        "files": files,
        "bytes_stored": stored,
        "setup_seconds": round(setup, 1),
        "repeats": args.repeats,
        "scanner": raw["scanner"],
        "rescan": summary(rescan),
        "naive_full_download": raw["naive_full_download"],
        "time_ratio": raw["time_ratio"],
        "server_cpu_lower_bound": raw["server_cpu_lower_bound"],
        "range_get": probe,
    }
    results.update(shaped)
    scanner = results["scanner"]
    print(
        f"estate: {files} files in {args.datasets} datasets, {stored / 2**20:.1f} MiB stored "
        f"(moto on 127.0.0.1); medians of {args.repeats} alternating runs"
    )
    header = f"{'approach':<28}{'seconds':>9}{'requests':>10}{'bytes read':>15}{'% stored':>10}"
    print(header + f"{'moto CPU s':>12}{'client CPU s':>14}")
    rows = [
        ("scanner", scanner),
        ("scanner rescan", {**results["rescan"], "moto_cpu_s": None, "client_cpu_s": None}),
        ("naive full download", results["naive_full_download"]),
    ]
    for name, run in shaped.items():
        label = name.replace("_", " ")
        rows += [(f"{label}: scanner", run["scanner"]), (f"{label}: naive", run["naive_full_download"])]
    for name, row in rows:
        share = 100 * row["bytes_read"] / stored if stored else 0
        cpu = "".join(
            f"{row[k]:>{w}.2f}" if row.get(k) is not None else " " * w
            for k, w in (("moto_cpu_s", 12), ("client_cpu_s", 14))
        )
        print(
            f"{name:<28}{row['seconds']:>9.2f}{row['requests']:>10}{row['bytes_read']:>15,}{share:>9.2f}%{cpu}"
        )
    print(
        f"scanner / naive: {results['time_ratio']:.2f} (target <= 0.25); moto CPU bound: "
        f"{scanner['moto_cpu_s']:.2f} s / {results['naive_full_download']['seconds']:.2f} s = "
        f"{results['server_cpu_lower_bound']:.2f}"
    )
    for name, run in shaped.items():
        link = f"{run['link_mbps']:g} MB/s shared link" if run["link_mbps"] else "no shared link cap"
        print(
            f"{name} ({run['latency_ms']:g} ms per request, "
            f"{run['mbps_per_connection']:g} MB/s per connection, {link}): "
            f"scanner / naive {run['time_ratio']:.2f}; moto CPU bound: "
            f"{run['scanner']['moto_cpu_s']:.2f} s / {run['naive_full_download']['seconds']:.2f} s = "
            f"{run['server_cpu_lower_bound']:.2f}"
        )
    print(
        f"range GET of 16 KiB vs full GET of {probe['object_bytes']:,} bytes on moto: "
        f"{probe['range_median_ms']:.1f} ms vs {probe['full_median_ms']:.1f} ms (median); moto CPU "
        f"{probe['range_server_cpu_ms']:.1f} vs {probe['full_server_cpu_ms']:.1f} ms per request"
    )
    print(
        f"scanner outcomes: {scanner['counts']}; rescan: {results['rescan']['counts']}, "
        f"{results['rescan']['glue_writes']} Glue writes"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    ok = scanner["exit_codes"] == [0] and all(run["scanner"]["exit_codes"] == [0] for run in shaped.values())
    return 0 if ok and results["rescan"]["glue_writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
