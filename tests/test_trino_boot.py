"""Every cluster we render boots a real Trino (the pinned release) and serves every catalog we rendered.

Clusters: each cluster of ``examples/`` and each of ``tests/fixtures/trino_clusters/`` (together they
use every documented option). The coordinator and one worker start from the rendered files, scaled
only in memory, hosts and paths (see ``helpers.trino_server``); ``SHOW CATALOGS`` must list exactly
the rendered catalogs plus ``system``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.trino_server import LocalCluster, credential_values

from dataproduct_iac.graph import Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.manifests.connections import (
    NO_TRINO_CONNECTOR,
    TRINO_JDBC_CONNECTORS,
    DataFormat,
    DepotType,
)
from dataproduct_iac.manifests.depot import Depot
from dataproduct_iac.manifests.instance_secret import InstanceSecret
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino import RenderedCluster, render_cluster
from dataproduct_iac.trino.client import TrinoConnection, execute
from dataproduct_iac.trino.health import check_health

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = StackSettings(stack="dev", environment="dev", region="us-east-1")

pytestmark = [pytest.mark.trino, pytest.mark.integration]


@dataclass
class Case:
    rendered: RenderedCluster
    secrets: dict[str, list[InstanceSecret]]


def _graph(manifests: Path, values: Path | None) -> Graph:
    files = [read_values_file(values)] if values else []
    return resolve(load([manifests], ValueSources(files=files, environment={})))


def _cases() -> dict[str, tuple[Path, Path | None, str]]:
    """Case id → (manifests, values file, cluster name)."""
    found: dict[str, tuple[Path, Path | None, str]] = {}
    sources: list[tuple[str, Path, Path | None]] = []
    for example in sorted((ROOT / "examples").iterdir()):
        if (example / "manifests").is_dir():
            values = example / "values.yaml"
            sources.append((example.name, example / "manifests", values if values.exists() else None))
    sources.append(("fixtures", ROOT / "tests" / "fixtures" / "trino_clusters", None))
    for label, manifests, values in sources:
        graph = _graph(manifests, values)
        for key, node in graph.nodes.items():
            if isinstance(node.manifest, Cluster):
                found[f"{label}:{key[1]}"] = (manifests, values, key[1])
    return found


CASES = _cases()


def render(case_id: str) -> Case:
    manifests, values, name = CASES[case_id]
    graph = _graph(manifests, values)
    node = graph.get("cluster", name)
    assert node is not None and isinstance(node.manifest, Cluster)
    depots = {k[1]: n.manifest for k, n in graph.nodes.items() if isinstance(n.manifest, Depot)}
    secrets = {d: graph.depot_secrets(d) for d in depots}
    return Case(render_cluster(node.manifest, depots, secrets, SETTINGS), secrets)


def test_the_boot_cases_cover_the_examples_and_the_option_clusters() -> None:
    assert "traffic-source-analysis:advancedminerva" in CASES
    assert {"fixtures:everycatalog", "fixtures:othercatalogs", "fixtures:operations"} <= set(CASES)


def test_every_catalog_kind_is_in_a_boot_case() -> None:
    """Every depot type, S3 format and JDBC connector the renderer knows is booted by some case: a new
    one needs a depot in tests/fixtures/trino_clusters/catalogs.yaml."""
    rendered = [render(case_id) for case_id in CASES]
    connectors = {c.connector for case in rendered for c in case.rendered.catalogs.values()}
    addressed: list[Depot] = []
    for case_id in CASES:
        manifests, values, name = CASES[case_id]
        graph = _graph(manifests, values)
        cluster = graph.get("cluster", name)
        assert cluster is not None and isinstance(cluster.manifest, Cluster)
        for depot_name in cluster.manifest.depot_names:
            node = graph.get("depot", depot_name)
            assert node is not None and isinstance(node.manifest, Depot)
            addressed.append(node.manifest)
    assert set(DepotType) - set(NO_TRINO_CONNECTOR) - {d.depot_type for d in addressed} == set()
    formats = {getattr(d.connection, "format", None) for d in addressed}
    assert set(DataFormat) - formats == set()
    assert set(TRINO_JDBC_CONNECTORS.values()) - connectors == set()
    # Lakehouse depots with their own metastore: an Iceberg REST catalog and a Hive metastore.
    properties = [c.properties for case in rendered for c in case.rendered.catalogs.values()]
    assert any(p.get("iceberg.catalog.type") == "rest" for p in properties)
    assert any(p.get("hive.metastore") == "thrift" for p in properties)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_rendered_cluster_boots_and_lists_its_catalogs(
    case_id: str, trino_server_home: Path, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    case = render(case_id)
    rendered = case.rendered
    with LocalCluster(rendered, tmp_path, credential_values(rendered, case.secrets)) as cluster:
        for node in cluster.nodes:
            record_property(f"boot_seconds_{node.name}", round(node.boot_seconds or 0, 1))
            print(f"{node.name}: started in {node.boot_seconds:.1f} s")
        connection = TrinoConnection(server=cluster.url, user="analyst-1", timeout=300)
        catalogs = execute(connection, "SHOW CATALOGS")
        assert sorted(row[0] for row in catalogs.rows) == sorted([*rendered.catalog_names, "system"])
        # What `dataproduct drift --live` checks: one active coordinator, the workers, the version.
        report = check_health(
            connection,
            desired_workers=len(cluster.nodes) - 1,
            desired_catalogs=set(rendered.catalog_names),
            image_tag=SETTINGS.trino_tag,
        )
        assert report.healthy and not report.problems, report.as_dict()
