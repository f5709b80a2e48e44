"""Pulumi components for data products, importable from any Pulumi Python program.

Type tokens are ``dataproduct:index:<Kind>``. Each component takes an ``...Args`` whose fields accept
plain values and ``pulumi.Output`` values; ``...Args.from_manifest`` fills them from a manifest and
the stack's settings. ``build(graph, settings)`` instantiates them for a resolved manifest graph.
"""

from .build import BuildResult, build, collections_by_depot
from .bundle import Bundle, BundleArgs, WorkspaceArgs
from .depot import Depot, DepotArgs, DepotConnection
from .product import DataProduct, DataProductArgs, DatasetRef, DepotRef
from .scanner import ScannerJob, ScannerJobArgs
from .secret import InstanceSecret, InstanceSecretArgs
from .trino import TrinoCluster, TrinoClusterArgs
from .workflow_job import WorkflowJob, WorkflowJobArgs

PACKAGE = "dataproduct"
"""The Pulumi package of the components: their type tokens are ``dataproduct:index:<Kind>``."""
COMPONENTS = (InstanceSecret, Depot, Bundle, DataProduct, TrinoCluster, ScannerJob, WorkflowJob)
"""Every component of the package: what the component provider hosts (``provider/``)."""

__all__ = [
    "COMPONENTS",
    "PACKAGE",
    "BuildResult",
    "Bundle",
    "BundleArgs",
    "DataProduct",
    "DataProductArgs",
    "DatasetRef",
    "Depot",
    "DepotArgs",
    "DepotConnection",
    "DepotRef",
    "InstanceSecret",
    "InstanceSecretArgs",
    "ScannerJob",
    "ScannerJobArgs",
    "TrinoCluster",
    "TrinoClusterArgs",
    "WorkflowJob",
    "WorkflowJobArgs",
    "WorkspaceArgs",
    "build",
    "collections_by_depot",
]
