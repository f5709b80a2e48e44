"""A depot's reference that lists ``keys`` (or one ``key``) of an instance secret: only those keys
feed its Trino catalog and its scanner; a listed key the secret does not define is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.engine import run_component

from dataproduct_iac.diagnostics import ManifestError
from dataproduct_iac.graph import Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests import Acl, Depot, InstanceSecret, Workflow
from dataproduct_iac.manifests.depot import SecretRef
from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.scanner.credentials import depot_credential_keys
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino import render_cluster

SETTINGS = StackSettings(stack="dev", environment="dev", region="us-east-1", name_prefix="acme-")

MANIFESTS = """\
name: lake-r
version: v1
type: instance-secret
instance-secret:
  type: key-value-properties
  acl: r
  data:
    username: reader
    password: reader-password
    awsaccesskeyid: AKIAEXAMPLEEXAMPLE00
    awssecretaccesskey: example-secret-access-key
---
name: lake
version: v2alpha
type: depot
depot:
  type: S3
  external: true
  secrets:
    - name: lake-r
{ref}
  s3:
    bucket: lake-bucket
    relativePath: raw
    region: us-east-1
---
name: mini
version: v1
type: cluster
cluster:
  compute: query-default
  minerva:
    replicas: 1
    depots:
      - address: dataos://lake:default
{cluster_ref}
---
name: scan-lake
version: v1
type: workflow
workflow:
  dag:
    - name: scan
      spec:
        stack: scanner:2.0
        stackSpec:
          depot: dataos://lake
"""

ALL_KEYS = "      allkeys: true"
USER_PASSWORD = "      keys:\n        - username\n        - password"


def _graph(tmp_path: Path, ref: str, cluster_ref: str = "") -> Graph:
    path = tmp_path / "lake.yaml"
    path.write_text(MANIFESTS.format(ref=ref, cluster_ref=cluster_ref), encoding="utf-8")
    return resolve(load([path], ValueSources(environment={})))


def _catalog_keys(graph: Graph) -> dict[str, str]:
    """The properties of the depot's catalog that hold credentials → the secret key bound to each."""
    cluster = graph.get("cluster", "mini")
    assert cluster is not None
    depots, depot_secrets = graph.cluster_inputs(cluster.manifest)
    rendered = render_cluster(cluster.manifest, depots, depot_secrets, SETTINGS)
    (catalog,) = rendered.catalogs.values()
    out = {}
    for prop, value in catalog.properties.items():
        if value.startswith("${ENV:"):
            binding = rendered.secret_env[value[len("${ENV:") : -1]]
            out[prop] = f"{binding.secret}/{binding.key}"
    return out


def _depot_and_read_secret(graph: Graph) -> tuple[Depot, InstanceSecret]:
    node = graph.get("depot", "lake")
    assert node is not None and isinstance(node.manifest, Depot)
    read = next(s for s in graph.depot_secrets("lake") if s.acl == Acl.READ)
    return node.manifest, read


def test_a_reference_listing_username_and_password_binds_no_aws_keys_into_the_catalog(tmp_path: Path) -> None:
    assert _catalog_keys(_graph(tmp_path, USER_PASSWORD)) == {}


def test_a_reference_with_allkeys_still_binds_the_aws_keys_into_the_catalog(tmp_path: Path) -> None:
    assert _catalog_keys(_graph(tmp_path, ALL_KEYS)) == {
        "s3.aws-access-key": "lake-r/awsaccesskeyid",
        "s3.aws-secret-key": "lake-r/awssecretaccesskey",
        "hive.metastore.glue.aws-access-key": "lake-r/awsaccesskeyid",
        "hive.metastore.glue.aws-secret-key": "lake-r/awssecretaccesskey",
    }


def test_a_cluster_reference_listing_keys_narrows_the_catalog_too(tmp_path: Path) -> None:
    cluster_ref = "        secrets:\n          - name: lake-r\n            key: username"
    assert _catalog_keys(_graph(tmp_path, ALL_KEYS, cluster_ref)) == {}


def test_a_reference_listing_username_and_password_gives_the_scanner_no_aws_keys(tmp_path: Path) -> None:
    depot, read = _depot_and_read_secret(_graph(tmp_path, USER_PASSWORD))
    assert depot_credential_keys(depot, read) == {}
    depot, read = _depot_and_read_secret(_graph(tmp_path, ALL_KEYS))
    assert depot_credential_keys(depot, read) == {
        "AWS_ACCESS_KEY_ID": "awsaccesskeyid",
        "AWS_SECRET_ACCESS_KEY": "awssecretaccesskey",
    }


@pytest.mark.parametrize(("ref", "credentials"), [(USER_PASSWORD, False), (ALL_KEYS, True)])
def test_the_scanner_job_gets_a_credentials_secret_only_when_the_reference_allows_the_aws_keys(
    tmp_path: Path, ref: str, credentials: bool
) -> None:
    from dataproduct_iac.components.scanner import ScannerJob, ScannerJobArgs

    graph = _graph(tmp_path, ref)
    depot, read = _depot_and_read_secret(graph)
    workflow = graph.get("workflow", "scan-lake")
    assert workflow is not None and isinstance(workflow.manifest, Workflow)
    manifest = workflow.manifest

    def build() -> Any:
        return ScannerJob(
            "scan-lake", ScannerJobArgs.from_manifest(manifest, depot, SETTINGS, read_secret=read)
        )

    run = run_component(build, preview=False)
    secrets = [r for r in run.resources if r.typ == "kubernetes:core/v1:Secret"]
    assert bool(secrets) is credentials


def test_the_secret_name_listed_as_its_key_stands_for_all_keys_as_dataos_examples_write_it() -> None:
    ref = SecretRef.model_validate({"name": "pg-r", "keys": ["pg-r"]})
    assert ref.usable_keys(["username", "password"]) == ["username", "password"]
    assert ref.unknown_keys(["username", "password"]) == []
    listed = SecretRef.model_validate({"name": "pg-r", "keys": ["password"], "key": "nope"})
    assert listed.usable_keys(["username", "password"]) == ["password"]
    assert listed.unknown_keys(["username", "password"]) == [(("key",), "nope")]


@pytest.mark.parametrize(
    ("ref", "field", "line"),
    [
        ("      keys:\n        - username\n        - token", "depot.secrets[0].keys[1]", 23),
        ("      key: token", "depot.secrets[0].key", 21),
    ],
)
def test_a_listed_key_the_secret_does_not_define_is_refused_at_its_line(
    tmp_path: Path, ref: str, field: str, line: int
) -> None:
    with pytest.raises(ManifestError) as caught:
        _graph(tmp_path, ref)
    message = str(caught.value)
    assert f"lake.yaml:{line}: {field}: instance secret 'lake-r' has no key 'token'" in message
    assert "reader-password" not in message


def test_a_cluster_reference_listing_an_unknown_key_is_refused_at_its_field(tmp_path: Path) -> None:
    cluster_ref = "        secrets:\n          - name: lake-r\n            keys: [user_name]"
    with pytest.raises(
        ManifestError, match=r"cluster\.minerva\.depots\[0\]\.secrets\[0\]\.keys\[0\]: .*'user_name'"
    ):
        _graph(tmp_path, ALL_KEYS, cluster_ref)
