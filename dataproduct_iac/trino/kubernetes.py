"""Kubernetes objects for a rendered Trino cluster, as plain dicts in the API's own (camelCase) form.

Pure: the ``TrinoCluster`` component registers these with pulumi-kubernetes; tests validate them
against the official schemas. The credentials Secret is built by :func:`credentials_secret` from
values the caller supplies (the component passes ``pulumi.Output.secret`` values).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .access import SHUTDOWN_USER
from .config import CONFIG_DIR, DATA_DIR, HTTP_PORT, TMP_DIR, NodeConfig
from .render import RenderedCluster
from .units import GIB

Obj = dict[str, Any]

TRINO_UID = 1000
"""The ``trino`` user of the trinodb/trino image."""
KUBECTL_UID = 65532
COORDINATOR_TERMINATION_SECONDS = 60
HEALTH_CHECK = "/usr/lib/trino/bin/health-check"


def labels(rendered: RenderedCluster, component: str | None = None) -> dict[str, str]:
    out = {
        "app.kubernetes.io/name": "trino",
        "app.kubernetes.io/instance": rendered.name,
        "app.kubernetes.io/managed-by": "dataproduct-iac",
    }
    if component:
        out["app.kubernetes.io/component"] = component
    return out


def selector_labels(rendered: RenderedCluster, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "trino",
        "app.kubernetes.io/instance": rendered.name,
        "app.kubernetes.io/component": component,
    }


def _meta(rendered: RenderedCluster, name: str, component: str | None = None) -> Obj:
    return {"name": name, "namespace": rendered.namespace, "labels": labels(rendered, component)}


def _restricted_container() -> Obj:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _restricted_pod(uid: int) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def namespace(rendered: RenderedCluster) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": rendered.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "dataproduct-iac",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }


def service_account(rendered: RenderedCluster) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(rendered, rendered.names.service_account),
        "automountServiceAccountToken": False,
    }


def config_maps(rendered: RenderedCluster) -> list[Obj]:
    component = {
        rendered.names.coordinator: "coordinator",
        rendered.names.worker: "worker",
        rendered.names.catalog: "catalog",
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(rendered, name, component[name]),
            "data": data,
        }
        for name, data in rendered.config_maps.items()
    ]


def credentials_secret(rendered: RenderedCluster, values: Mapping[str, Any]) -> Obj:
    """The Secret behind every ``${ENV:VAR}``: one key per variable. ``values`` maps VAR → value."""
    missing = sorted(set(rendered.secret_env) - set(values))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(rendered, rendered.names.credentials, "catalog"),
        "type": "Opaque",
        "stringData": {var: values[var] for var in sorted(rendered.secret_env)},
    }


def service(rendered: RenderedCluster) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(rendered, rendered.names.service, "coordinator"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(rendered, "coordinator"),
            "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _env(rendered: RenderedCluster, node: NodeConfig) -> list[Obj]:
    env: list[Obj] = [{"name": k, "value": v} for k, v in sorted(node.env.items())]
    env.extend(
        {"name": var, "valueFrom": {"secretKeyRef": {"name": rendered.names.credentials, "key": var}}}
        for var in sorted(rendered.secret_env)
    )
    return env


def _pre_stop_script() -> str:
    # Ask the worker to shut down gracefully, then block until the JVM (PID 1) has exited, so the
    # kubelet's SIGTERM only arrives once running tasks are done. If the request fails (the server
    # is not up), return at once and let the normal termination proceed.
    return (
        "curl -sS --fail -X PUT -H 'Content-Type: application/json' "
        f"-H 'X-Trino-User: {SHUTDOWN_USER}' -d '\"SHUTTING_DOWN\"' "
        f"http://localhost:{HTTP_PORT}/v1/info/state || exit 0\n"
        "while kill -0 1 2>/dev/null; do sleep 2; done\n"
    )


def data_size_limit(node: NodeConfig) -> str:
    """The data volume holds the heap dump written on an OutOfMemoryError (``-XX:HeapDumpPath``): room
    for one dump of the whole heap plus 1Gi for the node's own files, so a dump cannot fill the node's
    disk (an emptyDir without a limit can)."""
    return f"{math.ceil(node.memory.heap_bytes / GIB) + 1}Gi"


def _pod_template(rendered: RenderedCluster, node: NodeConfig) -> Obj:
    role = node.role
    config_map = rendered.names.coordinator if role == "coordinator" else rendered.names.worker
    container: Obj = {
        "name": "trino",
        "image": rendered.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"}],
        "env": _env(rendered, node),
        "resources": rendered.resources.as_kubernetes(),
        "securityContext": _restricted_container(),
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
            {"name": "catalog", "mountPath": f"{CONFIG_DIR}/catalog", "readOnly": True},
            {"name": "data", "mountPath": DATA_DIR},
            {"name": "tmp", "mountPath": TMP_DIR},
        ],
        # Started once /v1/info answers; ready only once it reports starting=false (health-check).
        "startupProbe": {
            "httpGet": {"path": "/v1/info", "port": "http"},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 60,
        },
        "livenessProbe": {
            "httpGet": {"path": "/v1/info", "port": "http"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 6,
        },
        "readinessProbe": {
            "exec": {"command": [HEALTH_CHECK]},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
    }
    if role == "worker":
        container["lifecycle"] = {"preStop": {"exec": {"command": ["/bin/sh", "-c", _pre_stop_script()]}}}
    spec: Obj = {
        "serviceAccountName": rendered.names.service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": _restricted_pod(TRINO_UID),
        "terminationGracePeriodSeconds": (
            rendered.termination_grace_seconds if role == "worker" else COORDINATOR_TERMINATION_SECONDS
        ),
        "containers": [container],
        "volumes": [
            {"name": "config", "configMap": {"name": config_map}},
            {"name": "catalog", "configMap": {"name": rendered.names.catalog}},
            {"name": "data", "emptyDir": {"sizeLimit": data_size_limit(node)}},
            {"name": "tmp", "emptyDir": {}},
        ],
    }
    if rendered.node_selector:
        spec["nodeSelector"] = dict(rendered.node_selector)
    if rendered.tolerations:
        spec["tolerations"] = [dict(t) for t in rendered.tolerations]
    if role == "worker":
        spec["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": selector_labels(rendered, "worker")},
                        },
                    }
                ]
            }
        }
    return {
        "metadata": {
            "labels": labels(rendered, role),
            "annotations": {
                "checksum/config": rendered.checksum(node),
                "kubectl.kubernetes.io/default-container": "trino",
            },
        },
        "spec": spec,
    }


def _deployment(
    rendered: RenderedCluster, role: str, name: str, node: NodeConfig, *, replicas: int, strategy: Obj
) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(rendered, name, role),
        "spec": {
            "replicas": replicas,
            "strategy": strategy,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector_labels(rendered, role)},
            "template": _pod_template(rendered, node),
        },
    }


def coordinator_deployment(rendered: RenderedCluster) -> Obj:
    return _deployment(
        rendered,
        "coordinator",
        rendered.names.coordinator,
        rendered.coordinator,
        replicas=1,
        # Never two coordinators at once: workers would announce to both.
        strategy={"type": "Recreate"},
    )


def worker_deployment(rendered: RenderedCluster) -> Obj:
    return _deployment(
        rendered,
        "worker",
        rendered.names.worker,
        rendered.worker,
        replicas=rendered.replicas,
        # One worker at a time, each draining gracefully; no surge (Trino pods are large).
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
    )


def worker_pdb(rendered: RenderedCluster) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(rendered, rendered.names.worker, "worker"),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(rendered, "worker")}},
    }


def has_maintenance(rendered: RenderedCluster) -> bool:
    return rendered.restart_cron is not None or bool(rendered.scaling_crons)


def maintenance_rbac(rendered: RenderedCluster) -> list[Obj]:
    """A ServiceAccount allowed to restart these two Deployments and scale the workers, nothing else."""
    names = rendered.names

    def apps_rule(resource: str, resource_names: list[str], verbs: list[str]) -> Obj:
        return {
            "apiGroups": ["apps"],
            "resources": [resource],
            "resourceNames": resource_names,
            "verbs": verbs,
        }

    rules: list[Obj] = []
    if rendered.restart_cron is not None:
        rules.append(apps_rule("deployments", [names.coordinator, names.worker], ["get", "patch"]))
    if rendered.scaling_crons:
        if rendered.restart_cron is None:
            rules.append(apps_rule("deployments", [names.worker], ["get"]))
        rules.append(apps_rule("deployments/scale", [names.worker], ["get", "patch", "update"]))
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(rendered, names.maintenance, "maintenance"),
            "automountServiceAccountToken": True,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(rendered, names.maintenance, "maintenance"),
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(rendered, names.maintenance, "maintenance"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": names.maintenance},
            "subjects": [
                {"kind": "ServiceAccount", "name": names.maintenance, "namespace": rendered.namespace}
            ],
        },
    ]


def _kubectl_cron(rendered: RenderedCluster, name: str, schedule: str, args: list[str]) -> Obj:
    spec: Obj = {
        "schedule": schedule,
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 600,
        "successfulJobsHistoryLimit": 1,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "metadata": {"labels": labels(rendered, "maintenance")},
            "spec": {
                "backoffLimit": 2,
                "activeDeadlineSeconds": 600,
                "ttlSecondsAfterFinished": 86400,
                "template": {
                    "metadata": {"labels": labels(rendered, "maintenance")},
                    "spec": {
                        "serviceAccountName": rendered.names.maintenance,
                        "restartPolicy": "Never",
                        "securityContext": _restricted_pod(KUBECTL_UID),
                        "containers": [
                            {
                                "name": "kubectl",
                                "image": rendered.kubectl_image,
                                "imagePullPolicy": "IfNotPresent",
                                "args": [*args, f"--namespace={rendered.namespace}"],
                                "env": [{"name": "HOME", "value": TMP_DIR}],
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"cpu": "200m", "memory": "128Mi"},
                                },
                                "securityContext": _restricted_container(),
                                "volumeMounts": [{"name": "tmp", "mountPath": TMP_DIR}],
                            }
                        ],
                        "volumes": [{"name": "tmp", "emptyDir": {}}],
                    },
                },
            },
        },
    }
    if rendered.timezone:
        spec["timeZone"] = rendered.timezone
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(rendered, name, "maintenance"),
        "spec": spec,
    }


def maintenance_cronjobs(rendered: RenderedCluster) -> list[Obj]:
    names = rendered.names
    out: list[Obj] = []
    if rendered.restart_cron is not None:
        out.append(
            _kubectl_cron(
                rendered,
                names.restart,
                rendered.restart_cron,
                ["rollout", "restart", f"deployment/{names.coordinator}", f"deployment/{names.worker}"],
            )
        )
    for index, scaling in enumerate(rendered.scaling_crons):
        out.append(
            _kubectl_cron(
                rendered,
                names.scale(index),
                scaling.cron,
                ["scale", f"deployment/{names.worker}", f"--replicas={scaling.replicas}"],
            )
        )
    return out


def kubernetes_objects(
    rendered: RenderedCluster,
    *,
    create_namespace: bool = False,
    credentials: Mapping[str, Any] | None = None,
) -> list[Obj]:
    """Every object of the cluster, in apply order. The Secret is included when ``credentials`` is given."""
    out: list[Obj] = [namespace(rendered)] if create_namespace else []
    out.append(service_account(rendered))
    out.extend(config_maps(rendered))
    if credentials is not None and rendered.secret_env:
        out.append(credentials_secret(rendered, credentials))
    out.append(service(rendered))
    out.append(coordinator_deployment(rendered))
    out.append(worker_deployment(rendered))
    out.append(worker_pdb(rendered))
    if has_maintenance(rendered):
        out.extend(maintenance_rbac(rendered))
        out.extend(maintenance_cronjobs(rendered))
    return out
