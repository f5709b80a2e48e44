"""Kubernetes objects of a Trino cluster: strict schema validation and the operational settings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from test_trino_render import SETTINGS, Seed, load_seed, small_cluster

from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.settings import DEFAULT_KUBECTL_IMAGE, StackSettings
from dataproduct_iac.trino import RenderedCluster, render_cluster
from dataproduct_iac.trino.access import SHUTDOWN_USER
from dataproduct_iac.trino.kubernetes import kubernetes_objects
from dataproduct_iac.trino.units import parse_duration


@pytest.fixture
def seed(traffic_example: tuple[Path, ValueSources]) -> Seed:
    return load_seed(traffic_example)


K8S_VERSIONS = ["1.33.0", kubernetes_validate.latest_version()]


def pods(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every pod template: Deployments and CronJobs."""
    out = []
    for obj in objects:
        if obj["kind"] == "Deployment":
            out.append((obj["metadata"]["name"], obj["spec"]["template"]["spec"]))
        elif obj["kind"] == "CronJob":
            out.append((obj["metadata"]["name"], obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return out


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def seed_objects(seed: Any) -> tuple[RenderedCluster, list[dict[str, Any]]]:
    rendered = render_cluster(*seed, SETTINGS)
    creds = {var: "value" for var in rendered.secret_env}
    return rendered, kubernetes_objects(rendered, create_namespace=True, credentials=creds)


def scaled_small() -> tuple[RenderedCluster, list[dict[str, Any]]]:
    cluster = Cluster.model_validate(
        {
            "name": "small",
            "version": "v1",
            "type": "cluster",
            "cluster": {
                "maintenance": {
                    "timezone": "Europe/Berlin",
                    "scalingCrons": [
                        {"cron": "0 8 * * 1-5", "replicas": 3},
                        {"cron": "0 20 * * *", "replicas": 1},
                    ],
                },
                "minerva": {"replicas": 1, "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}},
            },
        }
    )
    rendered = render_cluster(cluster, {}, {}, StackSettings(namespace="analytics"))
    return rendered, kubernetes_objects(rendered)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_object_validates_strictly(seed: Any, version: str) -> None:
    _, objects = seed_objects(seed)
    _, small = scaled_small()
    assert len(objects) == 14 and len(small) == 13
    for obj in [*objects, *small]:
        kubernetes_validate.validate(obj, version, strict=True)


def test_invalid_object_is_caught() -> None:
    _, objects = scaled_small()
    broken = {**objects[0], "spec": {"bogus": True}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33.0", strict=True)


def test_seed_object_set(seed: Any) -> None:
    _rendered, objects = seed_objects(seed)
    kinds = Counter(o["kind"] for o in objects)
    assert kinds == Counter(
        {
            "Namespace": 1,
            "ServiceAccount": 2,
            "ConfigMap": 3,
            "Secret": 1,
            "Service": 1,
            "Deployment": 2,
            "PodDisruptionBudget": 1,
            "Role": 1,
            "RoleBinding": 1,
            "CronJob": 1,
        }
    )
    assert sorted(o["metadata"]["name"] for o in by_kind(objects, "ConfigMap")) == [
        "advancedminerva-catalog",
        "advancedminerva-coordinator",
        "advancedminerva-worker",
    ]
    coordinator, worker = by_kind(objects, "Deployment")
    assert coordinator["spec"]["replicas"] == 1
    assert coordinator["spec"]["strategy"] == {"type": "Recreate"}
    assert worker["spec"]["replicas"] == 5
    pdb = by_kind(objects, "PodDisruptionBudget")[0]
    assert pdb["spec"]["selector"] == worker["spec"]["selector"]
    service = by_kind(objects, "Service")[0]
    assert service["spec"]["selector"] == coordinator["spec"]["selector"]["matchLabels"]
    assert service["metadata"]["name"] == "advancedminerva"


def test_pods_are_restricted_with_resources(seed: Any) -> None:
    _, objects = seed_objects(seed)
    _, small = scaled_small()
    for name, spec in pods(objects) + pods(small):
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, name
        assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert sc["readOnlyRootFilesystem"] is True, name
            resources = container["resources"]
            assert set(resources) == {"requests", "limits"}, name
            assert set(resources["limits"]) == {"cpu", "memory"}, name
            # every writable path is a volume
            mounts = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
            assert "/tmp" in mounts, name
        assert not any("hostPath" in v for v in spec.get("volumes", []))


def mounts_path(container: dict[str, Any], volume: str) -> str:
    return next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume)


def test_trino_pods(seed: Any) -> None:
    rendered, objects = seed_objects(seed)
    coordinator, worker = by_kind(objects, "Deployment")
    for deployment, node in ((coordinator, rendered.coordinator), (worker, rendered.worker)):
        template = deployment["spec"]["template"]
        spec = template["spec"]
        container = spec["containers"][0]
        assert container["image"] == "trinodb/trino:476"
        assert container["resources"] == {
            "requests": {"cpu": "14000m", "memory": "52Gi"},
            "limits": {"cpu": "14000m", "memory": "52Gi"},
        }
        assert container["livenessProbe"]["httpGet"]["path"] == "/v1/info"
        assert container["startupProbe"]["httpGet"]["path"] == "/v1/info"
        assert container["readinessProbe"]["exec"]["command"] == ["/usr/lib/trino/bin/health-check"]
        assert template["metadata"]["annotations"]["checksum/config"] == rendered.checksum(node)
        # The heap dump lands in the data volume: bounded to one heap (41.6 GiB) plus 1Gi.
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["data"]["emptyDir"] == {"sizeLimit": "43Gi"}
        assert f"-XX:HeapDumpPath={mounts_path(container, 'data')}" in node.jvm_options
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert mounts["/etc/trino"]["readOnly"] and mounts["/etc/trino/catalog"]["readOnly"]
        assert "/data/trino" in mounts
        # Credentials only through secretKeyRef, one per ${ENV:VAR}.
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
        assert set(refs) == set(rendered.secret_env)
        assert {r["name"] for r in refs.values()} == {rendered.names.credentials}
        assert spec["automountServiceAccountToken"] is False
    assert (
        coordinator["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        != (worker["spec"]["template"]["metadata"]["annotations"]["checksum/config"])
    )


def test_graceful_shutdown_is_consistent(seed: Any) -> None:
    rendered, objects = seed_objects(seed)
    worker = by_kind(objects, "Deployment")[1]
    spec = worker["spec"]["template"]["spec"]
    script = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][-1]
    assert "SHUTTING_DOWN" in script and f"X-Trino-User: {SHUTDOWN_USER}" in script
    assert "/v1/info/state" in script
    grace = parse_duration(rendered.worker.properties["config.properties"]["shutdown.grace-period"])
    # Only the coordinator enforces the query time limits, so its values bound the drain.
    config = rendered.coordinator.properties["config.properties"]
    longest = min(
        parse_duration(config["query.max-run-time"]), parse_duration(config["query.max-execution-time"])
    )
    assert spec["terminationGracePeriodSeconds"] >= 2 * grace + longest
    assert spec["terminationGracePeriodSeconds"] == rendered.termination_grace_seconds == 1770
    # The worker's own access rules let the shutdown user write system information.
    import json

    rules = json.loads(rendered.worker_files["rules.json"])
    assert any(r["user"] == SHUTDOWN_USER and "write" in r["allow"] for r in rules["system_information"])
    assert worker["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


def test_restart_cron_and_minimal_rbac(seed: Any) -> None:
    rendered, objects = seed_objects(seed)
    cron = by_kind(objects, "CronJob")[0]
    assert cron["spec"]["schedule"] == "13 1 */2 * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == DEFAULT_KUBECTL_IMAGE
    assert ":" in DEFAULT_KUBECTL_IMAGE and not DEFAULT_KUBECTL_IMAGE.endswith(":latest")
    assert container["args"][:2] == ["rollout", "restart"]
    assert pod["serviceAccountName"] == rendered.names.maintenance
    role = by_kind(objects, "Role")[0]
    assert role["rules"] == [
        {
            "apiGroups": ["apps"],
            "resources": ["deployments"],
            "resourceNames": [rendered.names.coordinator, rendered.names.worker],
            "verbs": ["get", "patch"],
        }
    ]
    binding = by_kind(objects, "RoleBinding")[0]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == rendered.names.maintenance


def test_scaling_crons(seed: Any) -> None:
    _rendered, objects = scaled_small()
    crons = by_kind(objects, "CronJob")
    assert [c["metadata"]["name"] for c in crons] == ["small-scale-0", "small-scale-1"]
    assert crons[0]["spec"]["timeZone"] == "Europe/Berlin"
    args = crons[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["scale", "deployment/small-worker", "--replicas=3", "--namespace=analytics"]
    role = by_kind(objects, "Role")[0]
    assert {"apps"} == {g for rule in role["rules"] for g in rule["apiGroups"]}
    assert all(rule["resourceNames"] == ["small-worker"] for rule in role["rules"])
    assert not any("patch" in r["verbs"] for r in role["rules"] if r["resources"] == ["deployments"])


def test_no_maintenance_objects_without_crons() -> None:
    rendered = render_cluster(small_cluster(), {}, {}, SETTINGS)
    kinds = {o["kind"] for o in kubernetes_objects(rendered)}
    assert kinds == {"ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget"}
