"""``TrinoCluster``: a Trino ("Minerva") cluster on Kubernetes, rendered from a cluster manifest.

All Trino files and Kubernetes objects come from :mod:`dataproduct_iac.trino` (pure); this
component registers them with pulumi-kubernetes and adds the one thing the pure side cannot
hold: the catalog credentials, as ``pulumi.Output.secret`` values in a Kubernetes Secret.

``TrinoClusterArgs`` takes the DataOS cluster, depot and instance-secret manifests as mappings (how
other Pulumi languages pass them) and the credentials as Inputs (``config.require_secret`` works);
``TrinoClusterArgs.from_manifest`` takes manifest models or :class:`~dataproduct_iac.components.Depot`
components, whose resources the cluster then waits for.
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..errors import ComponentArgsError
from ..manifests import Cluster, Depot, InstanceSecret, Manifest
from ..settings import StackSettings, default_environment
from ..tags import Ownership, kubernetes_labels
from ..tags import ownership as owner_of
from ..trino import RenderedCluster, render_cluster
from ..trino import kubernetes as objects
from .depot import Depot as DepotComponent
from .manifest_args import as_model, graph_of
from .options import coerce_args

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


Credentials = Mapping[str, pulumi.Input[Mapping[str, pulumi.Input[str]]]]
"""Instance secret name → key → value."""


@dataclass
class TrinoClusterArgs:
    """What a :class:`TrinoCluster` is made from. ``cluster`` is required (or the manifest models,
    through :meth:`from_manifest`)."""

    cluster: Mapping[str, Any] | None = None
    """The cluster manifest (``type: cluster``, a ``minerva`` block), as a mapping."""
    depots: Sequence[Mapping[str, Any]] | None = None
    """The depot manifests the cluster's catalogs read, as mappings."""
    secrets: Sequence[Mapping[str, Any]] | None = None
    """Those depots' instance-secret manifests, as mappings (their values may be placeholders that
    ``credentials`` replaces)."""
    credentials: pulumi.Input[Credentials] | None = None
    """Instance secret name → key → value, as Pulumi secrets; wins over the manifests' values."""
    settings: StackSettings | None = None
    """Naming, environment, images and region; default: ``StackSettings`` of this stack."""
    namespace: str | None = None
    """Kubernetes namespace; default ``settings.namespace``."""
    create_namespace: bool | None = None
    """Create the namespace (labelled for the ``restricted`` Pod Security Standard)."""
    labels: Mapping[str, str] | None = None
    """Labels of every object (the owner and product labels, from :meth:`from_manifest`)."""
    _cluster: Cluster | None = None
    _depots: Mapping[str, Depot] | None = None
    _depot_secrets: Mapping[str, Sequence[InstanceSecret]] | None = None
    _after: tuple[pulumi.Resource, ...] = ()
    """Resources every object waits for (the Depot components given to :meth:`from_manifest`)."""

    @classmethod
    def from_manifest(
        cls,
        cluster: Cluster,
        settings: StackSettings,
        *,
        depots: Mapping[str, Depot | DepotComponent] | Sequence[DepotComponent] = (),
        depot_secrets: Mapping[str, Sequence[InstanceSecret]] | None = None,
        credentials: pulumi.Input[Credentials] | None = None,
        namespace: str | None = None,
        create_namespace: bool = False,
        ownership: Ownership | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> "TrinoClusterArgs":
        """Args for a cluster manifest. ``depots``: by name, manifest models or Depot components (a
        component is waited for: the cluster's objects depend on it); a sequence of Depot components
        is taken by their depot names. ``depot_secrets``: each depot's instance secrets, r first."""
        by_name: dict[str, Depot | DepotComponent] = (
            {d.depot_name: d for d in depots} if isinstance(depots, Sequence) else dict(depots)
        )
        models: dict[str, Depot] = {}
        after: list[pulumi.Resource] = []
        for name, depot in by_name.items():
            if isinstance(depot, DepotComponent):
                if depot.model is None:
                    raise ComponentArgsError(
                        f"cluster {cluster.name!r}: depot {name!r} was not made from a manifest; a Trino "
                        "catalog needs its connection (DepotArgs.from_manifest)"
                    )
                models[name] = depot.model
                after.append(depot)
            else:
                models[name] = depot
        owned = ownership or owner_of(settings, owner=cluster.owner)
        return cls(
            settings=settings,
            credentials=credentials,
            namespace=namespace,
            create_namespace=create_namespace,
            labels={**kubernetes_labels(owned), **(labels or {})},
            _cluster=cluster,
            _depots=models,
            _depot_secrets={k: list(v) for k, v in (depot_secrets or {}).items()},
            _after=tuple(after),
        )

    def resolved(self) -> tuple[Cluster, dict[str, Depot], dict[str, list[InstanceSecret]]]:
        """The cluster, its depots and their secrets as models (mappings validated and resolved)."""
        if self._cluster is not None:
            given = {k: list(v) for k, v in (self._depot_secrets or {}).items()}
            return self._cluster, dict(self._depots or {}), given
        if self.cluster is None:
            raise ComponentArgsError("TrinoClusterArgs: give the cluster manifest (cluster)")
        where = "TrinoClusterArgs"
        cluster = as_model(Cluster, self.cluster, f"{where}.cluster")
        manifests: list[tuple[str, Manifest]] = [(f"{where}.cluster", cluster)]
        for i, depot in enumerate(self.depots or ()):
            manifests.append((f"{where}.depots[{i}]", as_model(Depot, depot, f"{where}.depots[{i}]")))
        for i, secret in enumerate(self.secrets or ()):
            manifests.append(
                (f"{where}.secrets[{i}]", as_model(InstanceSecret, secret, f"{where}.secrets[{i}]"))
            )
        return (cluster, *graph_of(manifests).cluster_inputs(cluster))


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
    rendered: RenderedCluster,
    depot_secrets: dict[str, list[InstanceSecret]],
    credentials: pulumi.Input[Credentials] | None = None,
) -> dict[str, pulumi.Output[str]]:
    """``${ENV:VAR}`` → the instance secret value it is bound to, as a Pulumi secret: from
    ``credentials`` when it holds the secret's key, else from the instance secret manifest."""
    by_name = {s.name: s for secrets in depot_secrets.values() for s in secrets}
    values: dict[str, pulumi.Output[str]] = {}
    for var, binding in rendered.secret_env.items():
        if credentials is None:
            values[var] = pulumi.Output.secret(binding.value_of(by_name[binding.secret]))
            continue

        def pick(given: Any, binding: Any = binding) -> str:
            value = ((given or {}).get(binding.secret) or {}).get(binding.key)
            if value is None:
                return str(binding.value_of(by_name[binding.secret]))
            return str(binding.encode(value))

        values[var] = pulumi.Output.secret(pulumi.Output.from_input(credentials).apply(pick))
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
        args = coerce_args(TrinoClusterArgs, args)  # a mapping when another Pulumi language constructs it
        # Render first: a refused configuration fails before anything is registered.
        cluster, depots, depot_secrets = args.resolved()
        settings = args.settings or StackSettings(
            project=pulumi.get_project(),
            stack=pulumi.get_stack(),
            environment=default_environment(pulumi.get_stack()),
        )
        rendered = render_cluster(cluster, depots, depot_secrets, settings, namespace=args.namespace)
        credentials = credential_values(rendered, depot_secrets, args.credentials)
        super().__init__(TYPE, name, None, opts)
        self.rendered = rendered
        for warning in rendered.warnings:
            pulumi.log.warn(f"cluster {rendered.name}: {warning}", resource=self)

        manifests = objects.kubernetes_objects(
            rendered, create_namespace=bool(args.create_namespace), credentials=credentials
        )
        labels = dict(args.labels) if args.labels is not None else kubernetes_labels(owner_of(settings))
        for obj in manifests:
            obj["metadata"].setdefault("labels", {}).update(labels)

        created: dict[tuple[str, str], pulumi.CustomResource] = {}
        base: list[pulumi.Resource] = list(args._after)
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
