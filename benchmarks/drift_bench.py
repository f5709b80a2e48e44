"""Live drift checks against a local moto server: concurrent (bounded pool) vs sequential, same run.

The desired state comes from synthetic data products (benchmarks/estate.py): per product two secrets,
one bucket, one Glue table and one Glue database, i.e. 5 resources; 40 products = 200 resources. The
resources are created in moto first (secrets with values, buckets, databases, tables), so that the
checks walk their full path (a missing resource ends a check early). Then ``run_checks`` runs with
``max_workers=1`` and with its default pool, alternating, ``--repeats`` times; for each, the wall
time, this process's CPU and the moto server's CPU (``/proc/<pid>/stat``). moto_server is one Python
process (one CPU at most), so the concurrent run cannot take less wall time than the server CPU it
consumes: ``server_cpu_lower_bound`` = concurrent server CPU / sequential wall time is the best
ratio this server allows.

``shaped``: the same through ``benchmarks/netem.py``, a proxy that adds ``--latency-ms`` per
request (and caps each connection at ``--mbps`` MB/s), a model of a real network; the raw-moto
figures are the primary ones.

    python -m benchmarks.drift_bench [--resources 200] [--repeats 3] [--latency-ms 20] [--no-shaped] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .estate import write_estate
from .netem import NetemProcess
from .scanner_bench import Moto, measured

PER_PRODUCT = 5


def _seed(aws: Any, desired: Any, graph: Any) -> None:
    """Create every desired resource as the stack would (declared secret values and tags; buckets with
    versioning, encryption, public access block and the TLS-only policy), so that every check runs
    its whole path and finds it in sync."""
    from dataproduct_iac.manifests import InstanceSecret

    values = {
        node.name: {k: v.get_secret_value() for k, v in node.manifest.instance_secret.data.items()}
        for node in graph.of_kind("instance-secret")
        if isinstance(node.manifest, InstanceSecret)
    }

    def secret(target: Any) -> None:
        aws.secretsmanager.create_secret(
            Name=target.physical,
            SecretString=json.dumps(values[target.name]),
            Tags=[{"Key": k, "Value": v} for k, v in target.tags.items()],
        )

    def bucket(target: Any) -> None:
        name = target.physical
        aws.s3.create_bucket(Bucket=name)
        aws.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        aws.s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        aws.s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        statement = {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        aws.s3.put_bucket_policy(
            Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(secret, desired.secrets))
        list(pool.map(bucket, desired.buckets))
    for database in sorted({t.database for t in desired.tables} | {d.database for d in desired.databases}):
        aws.glue.create_database(DatabaseInput={"Name": database})
    for table in desired.tables:
        aws.glue.create_table(DatabaseName=table.database, TableInput={"Name": table.table})


def _alternate(
    desired: Any, aws: Any, settings: Any, repeats: int, servers: dict[str, int]
) -> tuple[dict[str, Any], dict[str, int]]:
    """Sequential and concurrent runs, alternating: medians of wall time and CPU, and the findings."""
    from dataproduct_iac.drift.live import run_checks

    run_checks(desired, aws, settings=settings)  # warm-up: connections, botocore models
    costs: dict[str, list[dict[str, float]]] = {"sequential": [], "concurrent": []}
    statuses: dict[str, int] = {}
    for _ in range(repeats):
        _, cost = measured(lambda: run_checks(desired, aws, settings=settings, max_workers=1), servers)
        costs["sequential"].append(cost)
        findings, cost = measured(lambda: run_checks(desired, aws, settings=settings), servers)
        costs["concurrent"].append(cost)
        statuses = {}
        for finding in findings:
            statuses[finding.status] = statuses.get(finding.status, 0) + 1
    out: dict[str, Any] = {}
    for way, runs in costs.items():
        out[f"{way}_s"] = statistics.median(r["seconds"] for r in runs)
        out[f"{way}_runs_s"] = [round(r["seconds"], 3) for r in runs]
        for key in runs[0]:
            if key.endswith("_cpu_s"):
                out[f"{way}_{key}"] = round(statistics.median(r[key] for r in runs), 3)
    out["ratio"] = out["concurrent_s"] / out["sequential_s"]
    out["server_cpu_lower_bound"] = out["concurrent_moto_cpu_s"] / out["sequential_s"]
    return out, statuses


def run(
    resources: int, repeats: int, *, latency_ms: float = 20.0, mbps: float = 0.0, shaped: bool = True
) -> dict[str, Any]:
    from dataproduct_iac.drift.live import DEFAULT_WORKERS, AwsClients, desired_state
    from dataproduct_iac.graph import resolve
    from dataproduct_iac.loader import load
    from dataproduct_iac.settings import StackSettings

    products = max(1, resources // PER_PRODUCT)
    settings = StackSettings(project="bench", stack="dev", environment="dev")
    moto = Moto()
    with tempfile.TemporaryDirectory() as tmp, moto as endpoint:
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
            _seed(aws, desired, graph)
            raw, statuses = _alternate(desired, aws, settings, repeats, {"moto": moto.pid})
            shaped_result: dict[str, Any] | None = None
            if shaped:
                proxy = NetemProcess(moto.port, latency_ms=latency_ms, mbps=mbps)
                with proxy as proxy_url:
                    os.environ["AWS_ENDPOINT_URL"] = proxy_url
                    shaped_aws = AwsClients.create("us-east-1")  # the endpoint is read at creation
                    shaped_result, shaped_statuses = _alternate(
                        desired, shaped_aws, settings, repeats, {"moto": moto.pid, "proxy": proxy.pid}
                    )
                if shaped_statuses != statuses:
                    raise RuntimeError(f"findings differ through the proxy: {shaped_statuses} vs {statuses}")
                shaped_result = {"latency_ms": latency_ms, "mbps_per_connection": mbps, **shaped_result}
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    result: dict[str, Any] = {
        "resources": count,
        "workers": DEFAULT_WORKERS,
        **raw,
        "findings": statuses,
        "repeats": repeats,
    }
    if shaped_result is not None:
        result["shaped"] = shaped_result
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drift_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="shaped run: latency per request")
    parser.add_argument("--mbps", type=float, default=0.0, help="shaped run: MB/s per connection (0: none)")
    parser.add_argument("--no-shaped", action="store_true", help="raw moto only")
    parser.add_argument("--tiny", action="store_true", help="10 resources, 1 repeat (a smoke run)")
    args = parser.parse_args(argv)
    resources, repeats = (10, 1) if args.tiny else (args.resources, args.repeats)
    result = run(resources, repeats, latency_ms=args.latency_ms, mbps=args.mbps, shaped=not args.no_shaped)
    print(
        f"drift checks, {result['resources']} resources on moto: sequential {result['sequential_s']:.2f} s, "
        f"concurrent ({result['workers']} workers) {result['concurrent_s']:.2f} s, "
        f"ratio {result['ratio']:.2f} (target <= 0.35); findings {result['findings']}"
    )
    print(
        f"  moto CPU: sequential {result['sequential_moto_cpu_s']:.2f} s, "
        f"concurrent {result['concurrent_moto_cpu_s']:.2f} s; "
        f"client CPU: sequential {result['sequential_client_cpu_s']:.2f} s, "
        f"concurrent {result['concurrent_client_cpu_s']:.2f} s; "
        f"bound: concurrent moto CPU / sequential wall = {result['server_cpu_lower_bound']:.2f}"
    )
    shaped = result.get("shaped")
    if shaped is not None:
        print(
            f"  shaped ({shaped['latency_ms']:g} ms per request through benchmarks/netem.py): sequential "
            f"{shaped['sequential_s']:.2f} s, concurrent {shaped['concurrent_s']:.2f} s, "
            f"ratio {shaped['ratio']:.2f}; "
            f"moto CPU concurrent {shaped['concurrent_moto_cpu_s']:.2f} s"
        )
    return result


if __name__ == "__main__":
    main()
