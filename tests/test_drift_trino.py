"""Live drift of a Trino cluster through the Trino health check, against a fake Trino on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fake_trino
import pytest

from dataproduct_iac.drift.live import ClusterTarget, check_cluster, desired_state
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino import render

SETTINGS = StackSettings(stack="dev", environment="dev")


@pytest.fixture
def cluster(traffic_example: tuple[Path, object]) -> tuple[ClusterTarget, list[str], int]:
    manifests, values = traffic_example
    desired = desired_state(resolve(load([manifests], values)), SETTINGS)  # type: ignore[arg-type]
    [target] = desired.clusters
    rendered = render.render_cluster(target.cluster, target.depots, target.depot_secrets, SETTINGS)
    return target, rendered.catalog_names, rendered.replicas


@pytest.fixture
def fake() -> Iterator[object]:
    server = fake_trino.FakeTrino().start()
    yield server
    server.stop()


def _seed(fake, workers: int, catalogs: list[str]) -> None:  # type: ignore[no-untyped-def]
    fake_trino.answer_health_check(fake, fake_trino.node_rows(workers), catalogs)


def test_healthy_cluster_is_in_sync(cluster, fake) -> None:  # type: ignore[no-untyped-def]
    target, catalogs, replicas = cluster
    assert replicas == 5 and "icebase" in catalogs
    _seed(fake, replicas, [*catalogs, "system"])
    findings = check_cluster(target, SETTINGS, fake.url)
    assert {f.check for f in findings} == {"coordinator", "workers", "version", "catalogs"}
    assert all(f.status == "in_sync" for f in findings), findings


def test_missing_workers_and_catalog_are_drift(cluster, fake) -> None:  # type: ignore[no-untyped-def]
    target, catalogs, replicas = cluster
    _seed(fake, replicas - 2, [c for c in catalogs if c != "icebase"])
    findings = {f.check: f for f in check_cluster(target, SETTINGS, fake.url)}
    assert findings["workers"].status == "drifted" and findings["workers"].expected == str(replicas)
    assert findings["catalogs"].status == "drifted" and "icebase" in findings["catalogs"].actual
    assert findings["coordinator"].status == "in_sync"


def test_unreachable_cluster_is_unknown(cluster, fake) -> None:  # type: ignore[no-untyped-def]
    target, _, _ = cluster
    url = fake.url
    fake.stop()
    findings = check_cluster(target, SETTINGS, url)
    assert findings and all(f.status == "unknown" for f in findings)
