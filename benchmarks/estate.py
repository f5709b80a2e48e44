"""A generator of synthetic estates: N data products written as manifest files.

Each product has r and rw instance secrets, an S3 depot, a scanner workflow, a bundle that holds
them, and the product itself; one shared Trino cluster is added per 50 products, addressing the
depots of its group.
"""

from __future__ import annotations

import argparse
from pathlib import Path

CLUSTER_GROUP = 50

_SECRET = """name: dp{i}-{acl}
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value-properties
  acl: {acl}
  data:
    awsaccesskeyid: AKIA{i:016d}
    awssecretaccesskey: synthetic-secret-{i}-{acl}
"""

_DEPOT = """name: dp{i}depot
version: v2alpha
type: depot
layer: user
depot:
  type: S3
  description: Storage of synthetic product {i}
  external: false
  secrets:
    - name: dp{i}-r
      allkeys: true
    - name: dp{i}-rw
      allkeys: true
  s3:
    bucket: synthetic-dp{i}
    relativePath: data
    format: PARQUET
    region: us-east-1
"""

_WORKFLOW = """name: dp{i}-scan
version: v1
type: workflow
workflow:
  schedule:
    cron: '{minute} */6 * * *'
  dag:
    - name: scan
      spec:
        stack: scanner:2.0
        resources:
          requests: {{cpu: 100m, memory: 256Mi}}
          limits: {{cpu: 500m, memory: 512Mi}}
        stackSpec:
          depot: dataos://dp{i}depot
"""

_BUNDLE = """name: dp{i}-bundle
version: v1beta
type: bundle
bundle:
  resources:
    - id: secrets
      file: secrets.yaml
    - id: depot
      file: depot.yaml
      dependencies: [secrets]
    - id: scanner
      file: scanner.yaml
      dependencies: [depot]
"""

_PRODUCT = """name: dp{i}
version: v1beta
entity: product
type: data
owner: team-{group}
tags: [DPDomain.Synthetic]
v1beta:
  data:
    meta:
      title: Synthetic product {i}
    resource:
      refType: dataos
      ref: bundle:v1beta:dp{i}-bundle
    inputs:
      - refType: dataos
        ref: dataset:dp{i}depot:raw:events
    outputs:
      - refType: dataos
        ref: dataset:dp{i}depot:curated:summary
"""

_CLUSTER_HEAD = """name: shared{group}
version: v1
type: cluster
cluster:
  minerva:
    replicas: 2
    resources:
      requests: {{cpu: "2", memory: 8Gi}}
    depots:
"""


def write_estate(root: Path, products: int) -> int:
    """Write ``products`` synthetic data products under ``root``; return the number of manifests."""
    count = 0
    for i in range(products):
        folder = root / f"dp{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "secrets.yaml").write_text(
            _SECRET.format(i=i, acl="r") + "---\n" + _SECRET.format(i=i, acl="rw")
        )
        (folder / "depot.yaml").write_text(_DEPOT.format(i=i))
        (folder / "scanner.yaml").write_text(_WORKFLOW.format(i=i, minute=i % 60))
        (folder / "bundle.yaml").write_text(_BUNDLE.format(i=i))
        (folder / "product.yaml").write_text(_PRODUCT.format(i=i, group=i // CLUSTER_GROUP))
        count += 6
    for group in range((products + CLUSTER_GROUP - 1) // CLUSTER_GROUP):
        members = range(group * CLUSTER_GROUP, min(products, (group + 1) * CLUSTER_GROUP))
        lines = [_CLUSTER_HEAD.format(group=group)]
        lines.extend(f"      - address: dataos://dp{i}depot:raw\n" for i in members)
        (root / f"cluster-{group:03d}.yaml").write_text("".join(lines))
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--products", type=int, default=50)
    args = parser.parse_args()
    written = write_estate(args.directory, args.products)
    print(f"wrote {written} manifests for {args.products} data products under {args.directory}")


if __name__ == "__main__":
    main()
