"""``render_cluster``: a cluster manifest (+ its depots, secrets and the stack settings) → Trino files.

Pure: no pulumi import, no I/O, no secret values (credentials are ``${ENV:VAR}`` references
whose bindings name an instance secret and key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..manifests.cluster import Cluster, ScalingCron
from ..manifests.depot import Depot
from ..manifests.instance_secret import InstanceSecret
from ..settings import DEFAULT_TRINO_TAG, StackSettings
from . import access
from .catalogs import RenderedCatalog, SecretBinding, render_catalogs
from .catalogue import check_catalogs, check_nodes, load_catalogue
from .config import (
    CONFIG_DIR,
    HTTP_PORT,
    NodeConfig,
    PodResources,
    connector_jvm_options,
    node_config,
    pod_resources,
    query_memory_warnings,
    termination_grace_seconds,
)
from .errors import Problem, TrinoConfigError
from .properties import write_properties

_HEADER = "Rendered by dataproduct-iac from cluster {name}; edit the manifest, not this file."


@dataclass(frozen=True)
class Names:
    """Kubernetes object names of one cluster (all inside its namespace)."""

    base: str

    @property
    def service(self) -> str:
        return self.base

    @property
    def coordinator(self) -> str:
        return f"{self.base}-coordinator"

    @property
    def worker(self) -> str:
        return f"{self.base}-worker"

    @property
    def catalog(self) -> str:
        return f"{self.base}-catalog"

    @property
    def credentials(self) -> str:
        return f"{self.base}-catalog-credentials"

    @property
    def service_account(self) -> str:
        return self.base

    @property
    def maintenance(self) -> str:
        return f"{self.base}-maintenance"

    @property
    def restart(self) -> str:
        return f"{self.base}-restart"

    def scale(self, index: int) -> str:
        return f"{self.base}-scale-{index}"


@dataclass
class RenderedCluster:
    name: str
    namespace: str
    environment: str
    image: str
    kubectl_image: str
    replicas: int
    resources: PodResources
    coordinator: NodeConfig
    worker: NodeConfig
    catalogs: dict[str, RenderedCatalog]
    secret_env: dict[str, SecretBinding]
    """Environment variable → (instance secret, key); the Kubernetes Secret holds one key per variable."""
    termination_grace_seconds: int
    node_selector: dict[str, str]
    """``cluster.nodeSelector``: the nodes the coordinator and workers run on."""
    tolerations: list[dict[str, Any]]
    """``cluster.toleration`` / ``tolerations`` as Kubernetes tolerations."""
    restart_cron: str | None
    timezone: str | None
    scaling_crons: list[ScalingCron]
    shared_files: dict[str, str]
    """access-control.properties and rules.json, on coordinator and workers alike."""
    coordinator_only_files: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    @property
    def names(self) -> Names:
        return Names(self.name)

    @property
    def coordinator_url(self) -> str:
        return f"http://{self.names.service}.{self.namespace}.svc:{HTTP_PORT}"

    @property
    def catalog_names(self) -> list[str]:
        return sorted(self.catalogs)

    def node_files(self, node: NodeConfig) -> dict[str, str]:
        header = _HEADER.format(name=self.name)
        files = {name: write_properties(values, header=header) for name, values in node.properties.items()}
        files["jvm.config"] = "\n".join(node.jvm_options) + "\n"
        files.update(self.shared_files)
        if node.role == "coordinator":
            files.update(self.coordinator_only_files)
        return dict(sorted(files.items()))

    @property
    def coordinator_files(self) -> dict[str, str]:
        return self.node_files(self.coordinator)

    @property
    def worker_files(self) -> dict[str, str]:
        return self.node_files(self.worker)

    @property
    def catalog_files(self) -> dict[str, str]:
        header = _HEADER.format(name=self.name)
        return {
            f"{name}.properties": write_properties(catalog.properties, header=header)
            for name, catalog in sorted(self.catalogs.items())
        }

    @property
    def config_maps(self) -> dict[str, dict[str, str]]:
        """ConfigMap name → data."""
        return {
            self.names.coordinator: self.coordinator_files,
            self.names.worker: self.worker_files,
            self.names.catalog: self.catalog_files,
        }

    def checksum(self, node: NodeConfig) -> str:
        """Changes whenever the pod's files or credential wiring change (rolls the pods)."""
        payload = {
            "files": self.node_files(node),
            "catalogs": self.catalog_files,
            "credentials": {k: [v.secret, v.key] for k, v in sorted(self.secret_env.items())},
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def render_cluster(
    cluster: Cluster,
    depots: dict[str, Depot],
    depot_secrets: dict[str, list[InstanceSecret]],
    settings: StackSettings,
    *,
    namespace: str | None = None,
) -> RenderedCluster:
    """Render every Trino file of ``cluster``; raise :class:`TrinoConfigError` listing all problems."""
    problems: list[Problem] = []
    warnings: list[str] = []
    minerva = cluster.minerva
    ns = namespace or settings.namespace
    names = Names(cluster.name)
    resources = pod_resources(minerva, problems, warnings)
    discovery = f"http://{names.service}.{ns}.svc:{HTTP_PORT}"
    coordinator = node_config(
        "coordinator",
        minerva,
        environment=settings.environment,
        discovery_uri=f"http://localhost:{HTTP_PORT}",
        resources=resources,
        problems=problems,
        warnings=warnings,
    )
    worker = node_config(
        "worker",
        minerva,
        environment=settings.environment,
        discovery_uri=discovery,
        resources=resources,
        problems=problems,
        warnings=warnings,
    )
    catalogs, bindings = render_catalogs(cluster, depots, depot_secrets, settings, problems)
    for node in (coordinator, worker):
        node.jvm_options.extend(connector_jvm_options({c.connector for c in catalogs.values()}))

    catalogue = load_catalogue(settings.trino_tag.split("-", 1)[0])
    if catalogue is None:
        warnings.append(
            f"Trino property names are not checked: trinoTag {settings.trino_tag} has no property catalogue "
            f"(this version knows {DEFAULT_TRINO_TAG}, the release it is tested with)"
        )
    else:
        check_nodes(catalogue, (coordinator, worker), problems, warnings)
        check_catalogs(catalogue, minerva, catalogs, problems, warnings)

    for index, scaling in enumerate(cluster.cluster.maintenance.scaling_crons):
        if scaling.resources is not None:
            problems.append(
                Problem(
                    ("cluster", "maintenance", "scalingCrons", index, "resources"),
                    "changing resources on a schedule is not supported: the JVM heap and memory limits are "
                    "rendered from cluster.minerva.resources; scale with 'replicas' only",
                )
            )
    if problems:
        raise TrinoConfigError(cluster.name, problems)

    warnings.extend(query_memory_warnings(coordinator, worker, minerva.replicas))
    if minerva.debug.trino_log_level == "DEBUG":
        warnings.append(
            "debug.trinoLogLevel is DEBUG: io.trino logs at DEBUG level, expect a large log volume"
        )
    grace = termination_grace_seconds(coordinator, worker, warnings)

    shared = {
        "access-control.properties": write_properties(
            access.access_control_properties(CONFIG_DIR), header=_HEADER.format(name=cluster.name)
        ),
        access.RULES_FILE: access.to_json(access.access_rules(minerva.selector)),
    }
    coordinator_only: dict[str, str] = {}
    groups = access.resource_groups(minerva.selector)
    if groups is not None:
        coordinator_only["resource-groups.properties"] = write_properties(
            access.resource_groups_properties(CONFIG_DIR), header=_HEADER.format(name=cluster.name)
        )
        coordinator_only[access.RESOURCE_GROUPS_FILE] = access.to_json(groups)

    return RenderedCluster(
        name=cluster.name,
        namespace=ns,
        environment=settings.environment,
        image=f"{settings.trino_image}:{settings.trino_tag}",
        kubectl_image=settings.kubectl_image,
        replicas=minerva.replicas,
        resources=resources,
        coordinator=coordinator,
        worker=worker,
        catalogs=catalogs,
        secret_env=bindings,
        termination_grace_seconds=grace,
        node_selector=dict(cluster.cluster.node_selector),
        tolerations=cluster.cluster.kubernetes_tolerations,
        restart_cron=cluster.cluster.maintenance.restart_cron,
        timezone=cluster.cluster.maintenance.timezone,
        scaling_crons=list(cluster.cluster.maintenance.scaling_crons),
        shared_files=shared,
        coordinator_only_files=coordinator_only,
        warnings=warnings,
    )
