"""``Bundle``: the parent of a bundle's resources; its workspaces become Kubernetes namespaces.

The members themselves are created by :func:`dataproduct_iac.components.build` (or by the caller)
with ``parent=bundle`` and ``depends_on`` between members as the bundle's ``dependencies`` say.
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..manifests import Bundle as BundleModel
from ..settings import StackSettings
from ..tags import Ownership, kubernetes_labels
from ..tags import ownership as owner_of
from .options import coerce_args, decided_protect

TYPE = "dataproduct:index:Bundle"


@dataclass
class WorkspaceArgs:
    """A workspace of a bundle: a Kubernetes namespace for the bundle's workloads."""

    name: str
    namespace: str
    """The namespace's physical name."""
    description: str | None = None
    labels: Mapping[str, str] | None = None


@dataclass
class BundleArgs:
    """What a :class:`Bundle` is made from."""

    workspaces: Sequence[WorkspaceArgs] | None = None
    """The namespaces to create (none when the bundle holds no Kubernetes workloads)."""
    bundle_name: str | None = None
    """The bundle's DataOS name (labels); default: the component's name."""
    _manifest: BundleModel | None = None

    @classmethod
    def from_manifest(
        cls,
        bundle: BundleModel,
        settings: StackSettings,
        *,
        has_workloads: bool = False,
        ownership: Ownership | None = None,
        shared_workspaces: Collection[str] = (),
    ) -> "BundleArgs":
        """Args for a bundle manifest: when it holds Kubernetes workloads (``has_workloads``), each of its
        workspaces but ``shared_workspaces`` (created by another bundle) becomes a namespace named
        ``settings.physical_name(workspace)``, labelled with the bundle, environment and owner."""
        owned = ownership or owner_of(settings, owner=bundle.owner)
        workspaces = []
        for workspace in bundle.bundle.workspaces if has_workloads else []:
            if workspace.name in shared_workspaces:
                continue
            labels = {
                **workspace.labels,
                "app.kubernetes.io/managed-by": "dataproduct-iac",
                "dataproduct.io/bundle": bundle.name,
                "dataproduct.io/workspace": workspace.name,
                "dataproduct.io/environment": settings.environment,
                **kubernetes_labels(owned),
            }
            workspaces.append(
                WorkspaceArgs(
                    name=workspace.name,
                    namespace=settings.physical_name(workspace.name, max_length=63),
                    description=workspace.description,
                    labels=labels,
                )
            )
        return cls(workspaces=workspaces, bundle_name=bundle.name, _manifest=bundle)


def namespace_logical_name(workspace: str) -> str:
    """A workspace namespace's logical name: after the workspace, not the bundle, so that renaming the
    bundle (or moving the workspace's first user to another bundle) keeps the namespace's URN."""
    return f"workspace-{workspace}"


class Bundle(pulumi.ComponentResource):
    """A bundle: the parent of its members, and a Kubernetes namespace per workspace."""

    namespace_names: pulumi.Output[dict[str, str]]
    """Workspace → the physical name of its namespace."""

    def __init__(self, name: str, args: BundleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(BundleArgs, args)  # a mapping when another Pulumi language constructs it
        super().__init__(TYPE, name, None, opts)
        decided_protect(self, opts)  # its members take it
        self.model = args._manifest
        self.bundle_name = args.bundle_name or name
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        """Workspace → its ``kubernetes.core.v1.Namespace``."""
        names: dict[str, str] = {}
        for workspace in args.workspaces or ():
            annotations = (
                {"dataproduct.io/description": workspace.description} if workspace.description else {}
            )
            names[workspace.name] = workspace.namespace
            self.namespaces[workspace.name] = k8s.core.v1.Namespace(
                namespace_logical_name(workspace.name),
                metadata={
                    "name": workspace.namespace,
                    "labels": dict(workspace.labels or {}),
                    "annotations": annotations,
                },
                # The name this namespace had before it was named after its workspace.
                opts=pulumi.ResourceOptions(
                    parent=self, aliases=[pulumi.Alias(name=f"{name}-{workspace.name}")]
                ),
            )
        self.namespace_names = pulumi.Output.from_input(dict(sorted(names.items())))
        self.register_outputs({"bundleName": self.bundle_name, "namespaceNames": self.namespace_names})
