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
from dataproduct_iac.loader import load, read_values_file
from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.manifests.depot import Depot
from dataproduct_iac.manifests.instance_secret import InstanceSecret
from dataproduct_iac.placeholders import ValueSources
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
    assert {"fixtures:everycatalog", "fixtures:operations"} <= set(CASES)


def test_every_catalog_kind_is_in_a_boot_case() -> None:
    """A connector the renderer can write must be booted by at least one case."""
    connectors = {c.connector for case_id in CASES for c in render(case_id).rendered.catalogs.values()}
    assert {
        "hive",
        "iceberg",
        "delta_lake",
        "redshift",
        "postgresql",
        "mysql",
        "mariadb",
        "sqlserver",
        "oracle",
        "singlestore",
        "clickhouse",
        "snowflake",
        "memory",
    } <= connectors


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
