"""The TrinoCluster component on Pulumi's mock monitor (preview and update)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from helpers.engine import RawMocks, is_secret, plain, run_component
from test_trino_render import SETTINGS, Seed, load_seed, secret_values, small_cluster

from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.plan import run_program
from dataproduct_iac.trino import TrinoConfigError

OUTPUTS = ["namespace", "service_name", "coordinator_url", "catalogs", "worker_deployment"]


@pytest.fixture
def seed(traffic_example: tuple[Path, ValueSources]) -> Seed:
    return load_seed(traffic_example)


def seed_component(seed: Seed, **extra: Any) -> Any:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs

    cluster, depots, secrets = seed
    return lambda: TrinoCluster(
        "advancedminerva",
        TrinoClusterArgs.from_manifest(cluster, SETTINGS, depots=depots, depot_secrets=secrets, **extra),
    )


@pytest.mark.parametrize("preview", [True, False])
def test_seed_component_objects_validate(seed: Seed, preview: bool) -> None:
    run = run_component(seed_component(seed, create_namespace=True), preview=preview, outputs=OUTPUTS)
    custom = [r for r in run.resources if r.custom]
    kinds = sorted(r.typ for r in custom)
    assert kinds == sorted(
        [
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Service",
            "kubernetes:apps/v1:Deployment",
            "kubernetes:apps/v1:Deployment",
            "kubernetes:policy/v1:PodDisruptionBudget",
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "kubernetes:batch/v1:CronJob",
        ]
    )
    for resource in custom:
        obj = plain(resource.inputs)
        kubernetes_validate.validate(obj, "1.33.0", strict=True)
    component = [r for r in run.resources if not r.custom]
    assert [(r.typ, r.name) for r in component] == [("dataproduct:index:TrinoCluster", "advancedminerva")]
    # Every child is parented to the component and named after it; URNs are unique.
    urns = [r.parent for r in run.registrations if r.custom]
    assert len(urns) == len(custom)
    assert len({r.name for r in custom}) == len(custom)
    assert all(r.name.startswith("advancedminerva-") for r in custom)
    assert all(p.endswith("dataproduct:index:TrinoCluster::advancedminerva") for p in urns)
    assert run.outputs["namespace"] == "dataproduct"
    assert run.outputs["service_name"] == "advancedminerva"
    assert run.outputs["coordinator_url"] == "http://advancedminerva.dataproduct.svc:8080"
    assert run.outputs["catalogs"] == ["cache", "gateway", "icebase", "lensdb", "metisdb", "redshift"]


@pytest.mark.parametrize("preview", [True, False])
def test_secret_values_only_in_the_secret_and_marked_secret(seed: Seed, preview: bool) -> None:
    run = run_component(seed_component(seed), preview=preview)
    values = secret_values(seed[2])
    secrets = [r for r in run.resources if r.typ == "kubernetes:core/v1:Secret"]
    assert len(secrets) == 1
    string_data = secrets[0].inputs["stringData"]
    assert is_secret(string_data)
    unwrapped = plain(string_data)
    assert unwrapped["TRINO_CATALOG_REDSHIFT_PASSWORD"] == "example-redshift-password"
    assert set(unwrapped.values()) <= values
    [request] = [r for r in run.requests if r.type == "kubernetes:core/v1:Secret"]
    assert set(request.additionalSecretOutputs) == {"data", "stringData"}
    for resource in run.resources:
        if resource.typ == "kubernetes:core/v1:Secret":
            continue
        text = repr(plain(resource.inputs))
        for value in values:
            assert value not in text, resource.name


def test_dependencies_and_options(seed: Seed) -> None:
    run = run_component(seed_component(seed, create_namespace=True), preview=False)
    by_name = {r.name: r for r in run.registrations}
    namespace = next(r for r in run.registrations if r.type == "kubernetes:core/v1:Namespace")
    worker = by_name["advancedminerva-worker"]
    assert worker.type == "kubernetes:apps/v1:Deployment"
    deps = set(worker.depends_on)
    config_urns = {
        r.urn
        for r in run.registrations
        if r.type in ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret")
    }
    assert config_urns <= deps
    assert namespace.urn in deps
    worker_request = next(r for r in run.requests if r.name == "advancedminerva-worker")
    assert worker_request.deleteBeforeReplace is True
    cron = by_name["advancedminerva-restart"]
    assert any(d.endswith("RoleBinding::advancedminerva-maintenance-rolebinding") for d in cron.depends_on)


def test_scaling_crons_leave_worker_replicas_to_the_cronjobs() -> None:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs
    from dataproduct_iac.manifests.cluster import Cluster

    cluster = Cluster.model_validate(
        {
            "name": "small",
            "version": "v1",
            "type": "cluster",
            "cluster": {
                "maintenance": {"scalingCrons": [{"cron": "0 8 * * *", "replicas": 3}]},
                "minerva": {"replicas": 1, "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}},
            },
        }
    )
    run = run_component(
        lambda: TrinoCluster("small", TrinoClusterArgs.from_manifest(cluster, SETTINGS)),
        preview=True,
    )
    worker = next(r for r in run.requests if r.name == "small-worker")
    assert list(worker.ignoreChanges) == ["spec.replicas"]
    coordinator = next(r for r in run.requests if r.name == "small-coordinator")
    assert list(coordinator.ignoreChanges) == []


def test_refused_configuration_registers_nothing(seed: Seed) -> None:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs

    cluster, depots, secrets = seed
    bad = cluster.model_copy(deep=True)
    bad.minerva.worker_envs["CONF__config__query.max-memory-per-node"] = "38GB"
    mocks = RawMocks(preview=True)
    with pytest.raises(TrinoConfigError, match=r"at most 29\.1GB"):
        run_program(
            lambda: TrinoCluster(
                "advancedminerva",
                TrinoClusterArgs.from_manifest(bad, SETTINGS, depots=depots, depot_secrets=secrets),
            ),
            project="dataproduct",
            stack="dev",
            mocks=mocks,
        )
    assert mocks.resources == []


def test_small_cluster_component() -> None:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs

    run = run_component(
        lambda: TrinoCluster(
            "tiny", TrinoClusterArgs.from_manifest(small_cluster(), SETTINGS, namespace="sandbox")
        ),
        preview=False,
        outputs=OUTPUTS,
    )
    custom = {r.name: plain(r.inputs) for r in run.resources if r.custom}
    assert "tiny-catalog-credentials" not in custom  # no credentials, no Secret
    worker = custom["tiny-worker"]
    assert worker["metadata"]["namespace"] == "sandbox"
    assert worker["spec"]["replicas"] == 1
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert run.outputs["coordinator_url"] == "http://small.sandbox.svc:8080"
