"""``TrinoCluster``: a Trino ("Minerva") cluster on Kubernetes, rendered from a cluster manifest.

All Trino files and Kubernetes objects come from :mod:`dataproduct_iac.trino` (pure); this
component registers them with pulumi-kubernetes and adds the one thing the pure side cannot
hold: the catalog credentials, as ``pulumi.Output.secret`` values in a Kubernetes Secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..manifests import Cluster, Depot, InstanceSecret
from ..settings import StackSettings
from ..tags import Ownership, kubernetes_labels, ownership
from ..trino import RenderedCluster, render_cluster
from ..trino import kubernetes as objects

TYPE = "dataproduct:index:TrinoCluster"

_SUFFIX = {
    "Namespace": "namespace",
    "ServiceAccount": "sa",
    "ConfigMap": "config",
    "Secret": "",
    "Service": "service",
    "Deployment": "",
    "PodDisruptionBudget": "pdb",
    "Role": "role",
    "RoleBinding": "rolebinding",
    "CronJob": "",
}


@dataclass
class TrinoClusterArgs:
    """What a :class:`TrinoCluster` is made from."""

    cluster: Cluster
    depots: dict[str, Depot]
    """The depots the cluster addresses, by name."""
    depot_secrets: dict[str, list[InstanceSecret]]
    """Each depot's instance secrets (read before read-write), by depot name."""
    settings: StackSettings
    namespace: str | None = None
    """Kubernetes namespace; default ``settings.namespace``."""
    create_namespace: bool = False
    """Create the namespace (labelled for the ``restricted`` Pod Security Standard)."""
    extra_labels: dict[str, str] = field(default_factory=dict)
    ownership: Ownership | None = None
    """Owner and data product (labels on every object); default: the manifest's owner, else the stack's."""


def _logical_name(name: str, obj: dict[str, Any], rendered: RenderedCluster) -> str:
    """Child names derive from the component name: ``<name>-coordinator``, ``<name>-coordinator-config``."""
    kind = obj["kind"]
    physical: str = obj["metadata"]["name"]
    if kind == "Namespace":
        return f"{name}-namespace"
    tail = physical.removeprefix(rendered.name).lstrip("-")
    parts = [name, tail, _SUFFIX[kind]]
    return "-".join(p for p in parts if p)


def _register(logical: str, obj: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    kind = obj["kind"]
    meta = obj["metadata"]
    if kind == "Namespace":
        return k8s.core.v1.Namespace(logical, metadata=meta, opts=opts)
    if kind == "ServiceAccount":
        return k8s.core.v1.ServiceAccount(
            logical,
            metadata=meta,
            automount_service_account_token=obj["automountServiceAccountToken"],
            opts=opts,
        )
    if kind == "ConfigMap":
        return k8s.core.v1.ConfigMap(logical, metadata=meta, data=obj["data"], opts=opts)
    if kind == "Secret":
        return k8s.core.v1.Secret(
            logical,
            metadata=meta,
            type=obj["type"],
            string_data=obj["stringData"],
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["data", "stringData"])
            ),
        )
    if kind == "Service":
        return k8s.core.v1.Service(logical, metadata=meta, spec=obj["spec"], opts=opts)
    if kind == "Deployment":
        return k8s.apps.v1.Deployment(logical, metadata=meta, spec=obj["spec"], opts=opts)
    if kind == "PodDisruptionBudget":
        return k8s.policy.v1.PodDisruptionBudget(logical, metadata=meta, spec=obj["spec"], opts=opts)
    if kind == "Role":
        return k8s.rbac.v1.Role(logical, metadata=meta, rules=obj["rules"], opts=opts)
    if kind == "RoleBinding":
        return k8s.rbac.v1.RoleBinding(
            logical, metadata=meta, role_ref=obj["roleRef"], subjects=obj["subjects"], opts=opts
        )
    if kind == "CronJob":
        return k8s.batch.v1.CronJob(logical, metadata=meta, spec=obj["spec"], opts=opts)
    raise ValueError(f"no resource type for Kubernetes kind {kind!r}")  # pragma: no cover


def credential_values(
    rendered: RenderedCluster, depot_secrets: dict[str, list[InstanceSecret]]
) -> dict[str, pulumi.Output[str]]:
    """``${ENV:VAR}`` → the instance secret value it is bound to, as a Pulumi secret."""
    by_name = {s.name: s for secrets in depot_secrets.values() for s in secrets}
    values: dict[str, pulumi.Output[str]] = {}
    for var, binding in rendered.secret_env.items():
        values[var] = pulumi.Output.secret(binding.value_of(by_name[binding.secret]))
    return values


class TrinoCluster(pulumi.ComponentResource):
    """A Trino cluster: coordinator + workers, catalogs from depots, graceful shutdown, maintenance.

    Children: (Namespace), ServiceAccount, ConfigMaps (coordinator, worker, catalog), Secret
    (catalog credentials), Service, coordinator and worker Deployments, worker
    PodDisruptionBudget, and for ``maintenance`` a ServiceAccount/Role/RoleBinding plus CronJobs.
    A configuration Trino would refuse (e.g. memory that does not fit the heap) raises
    :class:`~dataproduct_iac.trino.TrinoConfigError` before any resource is registered.

    Outputs: ``namespace``, ``service_name``, ``coordinator_url``, ``catalogs`` (names),
    ``coordinator_deployment``, ``worker_deployment``, ``image``.
    """

    namespace: pulumi.Output[str]
    service_name: pulumi.Output[str]
    coordinator_url: pulumi.Output[str]
    catalogs: pulumi.Output[list[str]]
    coordinator_deployment: pulumi.Output[str]
    worker_deployment: pulumi.Output[str]
    image: pulumi.Output[str]

    def __init__(self, name: str, args: TrinoClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Render first: a refused configuration fails before anything is registered.
        rendered = render_cluster(
            args.cluster, args.depots, args.depot_secrets, args.settings, namespace=args.namespace
        )
        credentials = credential_values(rendered, args.depot_secrets)
        super().__init__(TYPE, name, None, opts)
        self.rendered = rendered
        for warning in rendered.warnings:
            pulumi.log.warn(f"cluster {rendered.name}: {warning}", resource=self)

        manifests = objects.kubernetes_objects(
            rendered, create_namespace=args.create_namespace, credentials=credentials
        )
        owned = args.ownership or ownership(args.settings, owner=args.cluster.owner)
        labels = {**kubernetes_labels(owned), **args.extra_labels}
        for obj in manifests:
            obj["metadata"].setdefault("labels", {}).update(labels)

        created: dict[tuple[str, str], pulumi.CustomResource] = {}
        base: list[pulumi.Resource] = []
        for obj in manifests:
            kind, physical = obj["kind"], obj["metadata"]["name"]
            depends: list[pulumi.Resource] = list(base)
            ignore: list[str] = []
            if kind == "Deployment":
                depends.extend(
                    r for (k, _), r in created.items() if k in ("ConfigMap", "Secret", "ServiceAccount")
                )
                if physical == rendered.names.worker and rendered.scaling_crons:
                    ignore.append("spec.replicas")  # the scaling CronJobs own the worker count
            elif kind == "RoleBinding":
                depends.extend(r for (k, _), r in created.items() if k in ("Role", "ServiceAccount"))
            elif kind == "CronJob":
                depends.extend(r for (k, _), r in created.items() if k in ("RoleBinding", "Deployment"))
            resource = _register(
                _logical_name(name, obj, rendered),
                obj,
                pulumi.ResourceOptions(
                    parent=self,
                    depends_on=depends,
                    ignore_changes=ignore or None,
                    # Names are fixed, so a replacement must delete the old object first.
                    delete_before_replace=True,
                ),
            )
            created[(kind, physical)] = resource
            if kind == "Namespace":
                base.append(resource)

        names = rendered.names
        self.namespace = pulumi.Output.from_input(rendered.namespace)
        self.service_name = pulumi.Output.from_input(names.service)
        self.coordinator_url = pulumi.Output.from_input(rendered.coordinator_url)
        self.catalogs = pulumi.Output.from_input(rendered.catalog_names)
        self.coordinator_deployment = pulumi.Output.from_input(names.coordinator)
        self.worker_deployment = pulumi.Output.from_input(names.worker)
        self.image = pulumi.Output.from_input(rendered.image)
        self.resources = created
        self.register_outputs(
            {
                "namespace": self.namespace,
                "serviceName": self.service_name,
                "coordinatorUrl": self.coordinator_url,
                "catalogs": self.catalogs,
                "coordinatorDeployment": self.coordinator_deployment,
                "workerDeployment": self.worker_deployment,
                "image": self.image,
            }
        )
