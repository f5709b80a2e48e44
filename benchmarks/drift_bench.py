"""Live drift checks against a local moto server: concurrent (bounded pool) vs sequential, same run.

The desired state comes from synthetic data products (benchmarks/estate.py): per product two secrets,
one bucket, one Glue table and one Glue database, i.e. 5 resources; 40 products = 200 resources. The
resources are created in moto first (secrets with values, buckets, databases, tables), so that the
checks walk their full path (a missing resource ends a check early). Then ``run_checks`` runs with
``max_workers=1`` and with its default pool, alternating, ``--repeats`` times.

    python -m benchmarks.drift_bench [--resources 200] [--repeats 3] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .estate import write_estate
from .scanner_bench import Moto

PER_PRODUCT = 5


def _seed(aws: Any, desired: Any) -> None:
    def secret(target: Any) -> None:
        aws.secretsmanager.create_secret(
            Name=target.physical,
            SecretString=json.dumps({"awsaccesskeyid": "x", "awssecretaccesskey": "y"}),
            Tags=[{"Key": k, "Value": v} for k, v in target.tags.items()],
        )

    def bucket(target: Any) -> None:
        aws.s3.create_bucket(Bucket=target.physical)
        aws.s3.put_bucket_versioning(Bucket=target.physical, VersioningConfiguration={"Status": "Enabled"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(secret, desired.secrets))
        list(pool.map(bucket, desired.buckets))
    for database in sorted({t.database for t in desired.tables} | {d.database for d in desired.databases}):
        aws.glue.create_database(DatabaseInput={"Name": database})
    for table in desired.tables:
        aws.glue.create_table(DatabaseName=table.database, TableInput={"Name": table.table})


def run(resources: int, repeats: int) -> dict[str, Any]:
    from dataproduct_iac.drift.live import DEFAULT_WORKERS, AwsClients, desired_state, run_checks
    from dataproduct_iac.graph import resolve
    from dataproduct_iac.loader import load
    from dataproduct_iac.settings import StackSettings

    products = max(1, resources // PER_PRODUCT)
    settings = StackSettings(project="bench", stack="dev", environment="dev")
    with tempfile.TemporaryDirectory() as tmp, Moto() as endpoint:
        write_estate(Path(tmp), products)
        graph = resolve(load([tmp]))
        desired = desired_state(graph, settings)
        count = sum(len(x) for x in (desired.secrets, desired.buckets, desired.tables, desired.databases))
        saved = {
            k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        }
        os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        try:
            aws = AwsClients.create("us-east-1")
            _seed(aws, desired)
            run_checks(desired, aws, settings=settings)  # warm-up: connections, botocore models
            sequential: list[float] = []
            concurrent: list[float] = []
            statuses: dict[str, int] = {}
            for _ in range(repeats):
                start = time.perf_counter()
                run_checks(desired, aws, settings=settings, max_workers=1)
                sequential.append(time.perf_counter() - start)
                start = time.perf_counter()
                findings = run_checks(desired, aws, settings=settings)
                concurrent.append(time.perf_counter() - start)
                statuses = {}
                for finding in findings:
                    statuses[finding.status] = statuses.get(finding.status, 0) + 1
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    seq, conc = statistics.median(sequential), statistics.median(concurrent)
    return {
        "resources": count,
        "workers": DEFAULT_WORKERS,
        "sequential_s": seq,
        "concurrent_s": conc,
        "ratio": conc / seq,
        "findings": statuses,
        "repeats": repeats,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drift_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="10 resources, 1 repeat (a smoke run)")
    args = parser.parse_args(argv)
    resources, repeats = (10, 1) if args.tiny else (args.resources, args.repeats)
    result = run(resources, repeats)
    print(
        f"drift checks, {result['resources']} resources on moto: sequential {result['sequential_s']:.2f} s, "
        f"concurrent ({result['workers']} workers) {result['concurrent_s']:.2f} s, "
        f"ratio {result['ratio']:.2f} (target <= 0.35); findings {result['findings']}"
    )
    return result


if __name__ == "__main__":
    main()
