"""Scanner efficiency against a local moto server: footer-only reads vs a naive full download.

Default estate: 2,000 files in 50 datasets (40 Parquet datasets, hive-partitioned, several row
groups per file; 5 CSV; 5 JSON lines). Reports, for the scanner and for a naive approach that
downloads every file whole and reads its schema locally: wall time, requests and bytes read
against the total bytes stored. A rescan (no changes, no Glue writes) is timed too.

    python -m benchmarks.scanner_bench            # full size
    python -m benchmarks.scanner_bench --tiny     # 5 datasets x 4 files, a quick check
    python -m benchmarks.scanner_bench --json out.json
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

from dataproduct_iac.scanner import DatabaseNaming, ScanSettings, scan_depot


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Moto:
    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.process: subprocess.Popen[bytes] | None = None

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scanner_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tiny", action="store_true", help="5 datasets x 4 files (a quick check)")
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--files", type=int, default=40, help="files per dataset")
    parser.add_argument("--rows", type=int, default=20_000, help="rows per file")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    args = parser.parse_args(argv)
    if args.tiny:
        args.datasets, args.files, args.rows = 5, 4, 2_000

    with Moto() as endpoint:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
        )
        session = boto3.session.Session()
        s3 = session.client("s3", endpoint_url=endpoint)
        bucket = "scanner-bench"
        t0 = time.perf_counter()
        files, stored = build_estate(s3, bucket, args.datasets, args.files, args.rows)
        setup = time.perf_counter() - t0

        settings = ScanSettings(
            bucket=bucket,
            prefix="raw",
            depot="bench",
            session=session,
            endpoint_url=endpoint,
            concurrency=args.concurrency,
            database_naming=DatabaseNaming("bench_{collection}"),
        )
        first = scan_depot(settings)
        rescan = scan_depot(settings)
        naive = naive_scan(session, endpoint, bucket, args.concurrency)

    def summary(report: Any) -> dict[str, Any]:
        calls = report.stats.calls
        return {
            "seconds": round(report.seconds, 3),
            "requests": sum(calls.values()),
            "s3_get_object": calls.get("s3.GetObject", 0),
            "glue_writes": sum(
                n
                for k, n in calls.items()
                if k.split(".")[1].startswith(("Create", "Update", "Delete", "Batch"))
            ),
            "bytes_read": report.stats.bytes_read,
            "exit_code": report.exit_code,
            "counts": report.counts(),
        }

    results = {
        "datasets": args.datasets,
        "files": files,
        "bytes_stored": stored,
        "setup_seconds": round(setup, 1),
        "scanner": summary(first),
        "rescan": summary(rescan),
        "naive_full_download": naive,
    }
    scanner = results["scanner"]
    print(
        f"estate: {files} files in {args.datasets} datasets, {stored / 2**20:.1f} MiB stored "
        "(moto on 127.0.0.1)"
    )
    print(f"{'approach':<22}{'seconds':>9}{'requests':>10}{'bytes read':>14}{'% of stored':>13}")
    for name, row in (
        ("scanner", scanner),
        ("scanner rescan", results["rescan"]),
        ("naive full download", naive),
    ):
        share = 100 * row["bytes_read"] / stored if stored else 0
        print(f"{name:<22}{row['seconds']:>9.2f}{row['requests']:>10}{row['bytes_read']:>14,}{share:>12.2f}%")
    print(
        f"scanner outcomes: {scanner['counts']}; rescan: {results['rescan']['counts']}, "
        f"{results['rescan']['glue_writes']} Glue writes"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if scanner["exit_code"] == 0 and results["rescan"]["glue_writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
