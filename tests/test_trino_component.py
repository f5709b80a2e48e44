"""The TrinoCluster component on Pulumi's mock monitor (preview and update)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pytest
from pulumi.runtime import mocks
from test_trino_render import SETTINGS, Seed, load_seed, secret_values, small_cluster

from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.trino import TrinoConfigError

SECRET_SIG = "4dabf18193072939515e22adb298388d"


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[mocks.MockResourceArgs] = []

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        return (f"{args.name}-id" if args.custom else None), dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(mocks.MockMonitor):
    """Keeps each registration request (parent, dependencies, options) next to the mock's view."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.requests: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.requests.append(request)
        return response


def run(program: Any, *, preview: bool) -> tuple[Recorder, RecordingMonitor, dict[str, Any]]:
    recorder = Recorder()
    monitor = RecordingMonitor(recorder)
    pulumi.runtime.set_mocks(recorder, project="dataproduct", stack="dev", preview=preview, monitor=monitor)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def body() -> Any:
        component = program()
        keys = ["namespace", "service_name", "coordinator_url", "catalogs", "worker_deployment"]

        def keep(values: list[Any]) -> None:
            outputs.update(zip(keys, values, strict=True))

        return pulumi.Output.all(*[getattr(component, k) for k in keys]).apply(keep)

    body()
    return recorder, monitor, outputs


def plain(value: Any) -> Any:
    """Mock inputs → Kubernetes JSON: unwrap secrets, turn whole floats back into ints."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) is not None and "value" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


@pytest.fixture
def seed(traffic_example: tuple[Path, ValueSources]) -> Seed:
    return load_seed(traffic_example)


def seed_component(seed: Seed, **extra: Any) -> Any:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs

    cluster, depots, secrets = seed
    return lambda: TrinoCluster(
        "advancedminerva",
        TrinoClusterArgs(cluster=cluster, depots=depots, depot_secrets=secrets, settings=SETTINGS, **extra),
    )


@pytest.mark.parametrize("preview", [True, False])
def test_seed_component_objects_validate(seed: Seed, preview: bool) -> None:
    recorder, monitor, outputs = run(seed_component(seed, create_namespace=True), preview=preview)
    custom = [r for r in recorder.resources if r.custom]
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
    component = [r for r in recorder.resources if not r.custom]
    assert [(r.typ, r.name) for r in component] == [("dataproduct:index:TrinoCluster", "advancedminerva")]
    # Every child is parented to the component and named after it; URNs are unique.
    urns = [r.parent for r in monitor.requests if r.custom]
    assert len(urns) == len(custom)
    assert len({r.name for r in custom}) == len(custom)
    assert all(r.name.startswith("advancedminerva-") for r in custom)
    assert all(p.endswith("dataproduct:index:TrinoCluster::advancedminerva") for p in urns)
    assert outputs["namespace"] == "dataproduct"
    assert outputs["service_name"] == "advancedminerva"
    assert outputs["coordinator_url"] == "http://advancedminerva.dataproduct.svc:8080"
    assert outputs["catalogs"] == ["cache", "gateway", "icebase", "lensdb", "metisdb", "redshift"]


@pytest.mark.parametrize("preview", [True, False])
def test_secret_values_only_in_the_secret_and_marked_secret(seed: Seed, preview: bool) -> None:
    recorder, _, _ = run(seed_component(seed), preview=preview)
    values = secret_values(seed[2])
    secrets = [r for r in recorder.resources if r.typ == "kubernetes:core/v1:Secret"]
    assert len(secrets) == 1
    string_data = secrets[0].inputs["stringData"]
    assert is_secret(string_data)
    unwrapped = plain(string_data)
    assert unwrapped["TRINO_CATALOG_REDSHIFT_PASSWORD"] == "example-redshift-password"
    assert set(unwrapped.values()) <= values
    for resource in recorder.resources:
        if resource.typ == "kubernetes:core/v1:Secret":
            continue
        text = repr(plain(resource.inputs))
        for value in values:
            assert value not in text, resource.name


def test_dependencies_and_options(seed: Seed) -> None:
    _, monitor, _ = run(seed_component(seed, create_namespace=True), preview=False)
    by_name = {r.name: r for r in monitor.requests}
    namespace_urn = next(r for r in monitor.requests if r.type == "kubernetes:core/v1:Namespace")
    worker = by_name["advancedminerva-worker"]
    assert worker.type == "kubernetes:apps/v1:Deployment"
    deps = set(worker.dependencies)
    config_urns = {
        monitor.make_urn(r.parent, r.type, r.name)
        for r in monitor.requests
        if r.type in ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret")
    }
    assert config_urns <= deps
    assert monitor.make_urn(namespace_urn.parent, namespace_urn.type, namespace_urn.name) in deps
    assert worker.deleteBeforeReplace is True
    cron = by_name["advancedminerva-restart"]
    assert any(d.endswith("RoleBinding::advancedminerva-maintenance-rolebinding") for d in cron.dependencies)


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
    _, monitor, _ = run(
        lambda: TrinoCluster(
            "small", TrinoClusterArgs(cluster=cluster, depots={}, depot_secrets={}, settings=SETTINGS)
        ),
        preview=True,
    )
    worker = next(r for r in monitor.requests if r.name == "small-worker")
    assert list(worker.ignoreChanges) == ["spec.replicas"]
    coordinator = next(r for r in monitor.requests if r.name == "small-coordinator")
    assert list(coordinator.ignoreChanges) == []


def test_refused_configuration_registers_nothing(seed: Seed) -> None:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs

    cluster, depots, secrets = seed
    bad = cluster.model_copy(deep=True)
    bad.minerva.worker_envs["CONF__config__query.max-memory-per-node"] = "38GB"
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, preview=True)
    with pytest.raises(TrinoConfigError, match=r"at most 29\.1GB"):
        TrinoCluster("advancedminerva", TrinoClusterArgs(bad, depots, secrets, SETTINGS))
    assert recorder.resources == []


def test_small_cluster_component() -> None:
    from dataproduct_iac.components.trino import TrinoCluster, TrinoClusterArgs

    recorder, _, outputs = run(
        lambda: TrinoCluster(
            "tiny", TrinoClusterArgs(small_cluster(), {}, {}, SETTINGS, namespace="sandbox")
        ),
        preview=False,
    )
    custom = {r.name: plain(r.inputs) for r in recorder.resources if r.custom}
    assert "tiny-catalog-credentials" not in custom  # no credentials, no Secret
    worker = custom["tiny-worker"]
    assert worker["metadata"]["namespace"] == "sandbox"
    assert worker["spec"]["replicas"] == 1
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert outputs["coordinator_url"] == "http://small.sandbox.svc:8080"
