"""``Bundle``: the parent of a bundle's resources; its workspaces become Kubernetes namespaces.

The members themselves are created by :func:`dataproduct_iac.components.build` (or by the caller)
with ``parent=bundle`` and ``depends_on`` between members as the bundle's ``dependencies`` say.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..manifests import Bundle as BundleModel
from ..settings import StackSettings
from ..tags import Ownership, kubernetes_labels, ownership

TYPE = "dataproduct:index:Bundle"


@dataclass
class BundleArgs:
    bundle: BundleModel
    settings: StackSettings
    has_workloads: bool = False
    """True when the bundle holds Kubernetes workloads (a cluster or a workflow): then its
    workspaces become namespaces."""
    ownership: Ownership | None = None
    """Owner and data product (namespace labels); default: the manifest's owner, else the stack's."""
    shared_workspaces: Collection[str] = ()
    """Workspaces whose namespace another bundle of the program already creates."""


def namespace_logical_name(workspace: str) -> str:
    """A workspace namespace's logical name: after the workspace, not the bundle, so that renaming the
    bundle (or moving the workspace's first user to another bundle) keeps the namespace's URN."""
    return f"workspace-{workspace}"


class Bundle(pulumi.ComponentResource):
    """A bundle. Attributes: ``namespaces`` (workspace name → ``kubernetes.core.v1.Namespace``) and
    ``namespace_names`` (workspace name → physical namespace name)."""

    def __init__(self, name: str, args: BundleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        model, settings = args.bundle, args.settings
        self.model = model
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        self.namespace_names: dict[str, str] = {}
        owned = args.ownership or ownership(settings, owner=model.owner)
        if args.has_workloads:
            for workspace in model.bundle.workspaces:
                if workspace.name in args.shared_workspaces:
                    continue
                physical = settings.physical_name(workspace.name, max_length=63)
                labels = {
                    **workspace.labels,
                    "app.kubernetes.io/managed-by": "dataproduct-iac",
                    "dataproduct.io/bundle": model.name,
                    "dataproduct.io/workspace": workspace.name,
                    "dataproduct.io/environment": settings.environment,
                    **kubernetes_labels(owned),
                }
                annotations = (
                    {"dataproduct.io/description": workspace.description} if workspace.description else {}
                )
                self.namespace_names[workspace.name] = physical
                self.namespaces[workspace.name] = k8s.core.v1.Namespace(
                    namespace_logical_name(workspace.name),
                    metadata={"name": physical, "labels": labels, "annotations": annotations},
                    # The name this namespace had before it was named after its workspace.
                    opts=pulumi.ResourceOptions(
                        parent=self, aliases=[pulumi.Alias(name=f"{name}-{workspace.name}")]
                    ),
                )
        self.register_outputs({"name": model.name, "namespaces": dict(sorted(self.namespace_names.items()))})

    def namespace_for(self, workspace: str | None) -> k8s.core.v1.Namespace | None:
        return self.namespaces.get(workspace) if workspace else None
