"""Live drift of a Trino cluster through the Trino health check, against a fake Trino on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import fake_trino
import pytest
from helpers.aws import fake_aws_env
from helpers.cli import run_dataproduct

from dataproduct_iac.drift.live import ClusterTarget, check_cluster, desired_state, run_checks, trino_urls
from dataproduct_iac.errors import UsageError
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino import render

SETTINGS = StackSettings(stack="dev", environment="dev")
EXAMPLE_VALUES = (
    Path(__file__).resolve().parent.parent / "examples" / "traffic-source-analysis" / "values.yaml"
)


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


# -- which coordinator each cluster is checked at (--trino-url) ---------------------------------------
TWO = ["advancedminerva", "otherminerva"]


@pytest.mark.parametrize(
    ("given", "clusters", "urls"),
    [
        (["advancedminerva=http://a:8080"], TWO, {"advancedminerva": "http://a:8080"}),
        (
            ["otherminerva=http://b:8080", "advancedminerva=http://a:8080"],
            TWO,
            {"advancedminerva": "http://a:8080", "otherminerva": "http://b:8080"},
        ),
        (["http://a:8080"], ["advancedminerva"], {"advancedminerva": "http://a:8080"}),
        (["http://a:8080/?x=1"], ["advancedminerva"], {"advancedminerva": "http://a:8080/?x=1"}),
        ([], TWO, {}),
    ],
)
def test_trino_urls_name_the_cluster_each_url_is_for(
    given: list[str], clusters: list[str], urls: dict[str, str]
) -> None:
    assert trino_urls(given, clusters) == urls


@pytest.mark.parametrize(
    ("given", "clusters", "message"),
    [
        (
            ["http://a:8080"],
            TWO,
            "--trino-url http://a:8080 does not say which cluster it is: a URL without a name is for an "
            "estate of exactly one cluster, and the manifests define 2 (advancedminerva, otherminerva); "
            "give --trino-url NAME=URL for each cluster to check",
        ),
        (["http://a:8080"], [], "the manifests define 0 (none)"),
        (["http://a:8080", "advancedminerva=http://b"], ["advancedminerva"], "does not say which cluster"),
        (
            ["advancedminerv=http://a"],
            TWO,
            "the manifests define no cluster 'advancedminerv' (clusters: advancedminerva, otherminerva); "
            "did you mean 'advancedminerva'?",
        ),
        (["otherminerva=http://a", "otherminerva=http://b"], TWO, "gives cluster 'otherminerva' twice"),
        (["otherminerva="], TWO, "--trino-url otherminerva=: no URL"),
    ],
)
def test_trino_urls_that_do_not_say_which_cluster_are_refused(
    given: list[str], clusters: list[str], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        trino_urls(given, clusters)
    assert message in str(caught.value)


@pytest.fixture
def two_clusters(traffic_example: tuple[Path, object], tmp_path: Path) -> Path:
    """The traffic example with a second cluster (a copy of the first, named otherminerva)."""
    manifests, _ = traffic_example
    copy = tmp_path / "manifests"
    shutil.copytree(manifests, copy)
    text = (manifests / "cluster.yaml").read_text(encoding="utf-8")
    (copy / "cluster-other.yaml").write_text(
        text.replace("name: advancedminerva", "name: otherminerva"), encoding="utf-8"
    )
    return copy


def test_each_cluster_is_checked_at_its_own_coordinator(
    two_clusters: Path, traffic_example: tuple[Path, object]
) -> None:
    _, values = traffic_example
    desired = desired_state(resolve(load([two_clusters], values)), SETTINGS)  # type: ignore[arg-type]
    desired.secrets, desired.buckets, desired.external_buckets = [], [], []
    desired.tables, desired.databases = [], []
    assert sorted(t.name for t in desired.clusters) == TWO
    target = desired.clusters[0]
    rendered = render.render_cluster(target.cluster, target.depots, target.depot_secrets, SETTINGS)
    healthy, short = fake_trino.FakeTrino().start(), fake_trino.FakeTrino().start()
    try:
        _seed(healthy, rendered.replicas, [*rendered.catalog_names, "system"])
        _seed(short, rendered.replicas - 1, [*rendered.catalog_names, "system"])
        urls = {"advancedminerva": healthy.url, "otherminerva": short.url}
        findings = run_checks(desired, None, settings=SETTINGS, trino_urls=urls)  # type: ignore[arg-type]
    finally:
        healthy.stop()
        short.stop()
    drifted = {(f.resource, f.check) for f in findings if f.status != "in_sync"}
    assert drifted == {(f"trino cluster otherminerva ({short.url})", "workers")}
    assert f"trino cluster advancedminerva ({healthy.url})" in {f.resource for f in findings}


def test_cli_refuses_a_bare_trino_url_for_two_clusters(two_clusters: Path) -> None:
    values = EXAMPLE_VALUES
    done = run_dataproduct(
        "drift",
        "--live",
        str(two_clusters),
        "--values",
        str(values),
        "--trino-url",
        "http://127.0.0.1:9",
        env=fake_aws_env("http://127.0.0.1:9"),
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert "the manifests define 2 (advancedminerva, otherminerva)" in done.stderr
    assert "give --trino-url NAME=URL for each cluster to check" in done.stderr


def test_cli_checks_only_the_clusters_given_a_url(two_clusters: Path) -> None:
    fake = fake_trino.FakeTrino().start()
    try:
        done = run_dataproduct(
            "drift",
            "--live",
            str(two_clusters),
            "--values",
            str(EXAMPLE_VALUES),
            "--trino-url",
            f"otherminerva={fake.url}",
            "--max-attempts",
            "1",
            "--format",
            "json",
            env=fake_aws_env("http://127.0.0.1:9"),
        )
    finally:
        fake.stop()
    assert done.returncode == 1, done.stderr  # AWS unreachable: unknown
    clusters = {
        f["resource"] for f in json.loads(done.stdout)["findings"] if f["resource"].startswith("trino")
    }
    assert clusters == {f"trino cluster otherminerva ({fake.url})"}
    assert "note: Trino clusters not checked: advancedminerva (give --trino-url NAME=URL)" in done.stderr
