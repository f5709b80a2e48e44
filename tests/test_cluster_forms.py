"""cluster.type, node selectors and tolerations as DataOS documents them (issue 12 item 3)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from pydantic import ValidationError

from dataproduct_iac import ManifestError, ValueSources, load, resolve
from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.program import check_clusters
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino import render_cluster
from dataproduct_iac.trino.kubernetes import kubernetes_objects

K8S_VERSION = kubernetes_validate.latest_version()


def cluster(spec: dict[str, Any]) -> Cluster:
    return Cluster.model_validate({"name": "minervab", "version": "v1", "type": "cluster", "cluster": spec})


MINERVA = {"replicas": 1, "resources": {"requests": {"cpu": "1", "memory": "4Gi"}}}


def test_node_selector_and_toleration_reach_the_trino_pods() -> None:
    manifest = cluster(
        {
            "compute": "query-default",
            "type": "minerva",
            "nodeSelector": {"dataos.io/purpose": "query"},
            "toleration": "query",
            "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
            "runAsApiKey": "api-key",
            "dataosSecrets": [{"name": "cluster-secrets", "workspace": "public", "allKeys": True}],
            "minerva": {**MINERVA, "selector": {"users": ["**"], "match": "any", "priority": "10"}},
        }
    )
    rendered = render_cluster(manifest, {}, {}, StackSettings())
    deployments = [o for o in kubernetes_objects(rendered) if o["kind"] == "Deployment"]
    assert len(deployments) == 2
    for deployment in deployments:
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
        pod = deployment["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == {"dataos.io/purpose": "query"}
        assert pod["tolerations"] == [
            {"key": "dedicated", "operator": "Equal", "value": "query", "effect": "NoSchedule"},
            {"key": "spot", "operator": "Exists", "effect": "NoSchedule"},
        ]


def test_without_them_the_pods_schedule_anywhere() -> None:
    rendered = render_cluster(cluster({"minerva": MINERVA}), {}, {}, StackSettings())
    for obj in kubernetes_objects(rendered):
        if obj["kind"] == "Deployment":
            assert "nodeSelector" not in obj["spec"]["template"]["spec"]
            assert "tolerations" not in obj["spec"]["template"]["spec"]


def test_the_section_must_match_the_type() -> None:
    with pytest.raises(ValidationError, match="the cluster's type is themis, but it has a 'minerva' section"):
        cluster({"type": "themis", "minerva": MINERVA})
    with pytest.raises(ValidationError, match="a themis cluster needs its 'themis' section"):
        cluster({"type": "themis"})


def test_a_themis_cluster_validates_and_is_refused_at_plan(tmp_path: Path) -> None:
    (tmp_path / "themis.yaml").write_text(
        textwrap.dedent(
            """
            name: themiscluster
            version: v1
            type: cluster
            cluster:
              compute: query-default
              type: themis
              themis:
                themisConf:
                  "kyuubi.frontend.thrift.binary.bind.port": "10101"
                spark:
                  driver: {memory: 4096M, cores: 1}
                depots:
                  - address: dataos://lake
            ---
            name: lake
            version: v2alpha
            type: depot
            depot:
              type: S3
              external: true
              s3: {bucket: lake-data}
            """
        ).lstrip()
    )
    graph = resolve(load([tmp_path], ValueSources()))
    assert ("depot", "lake") in graph.dependencies(("cluster", "themiscluster"))
    with pytest.raises(ManifestError) as caught:
        check_clusters(graph, StackSettings())
    (problem,) = caught.value.diagnostics
    assert (problem.line, problem.field) == (6, "cluster.type")
    assert "a themis cluster (Spark SQL through Kyuubi) is not deployed by this tool" in problem.message
