"""dataproduct-iac: DataOS-style data product manifests turned into infrastructure with Pulumi.

The YAML side (``load``, ``resolve``, the manifest models) never imports pulumi. The Pulumi
components are exported here too (``from dataproduct_iac import Depot``): type checkers see them
through the explicit imports below; at run time they are imported on first access, so that
``import dataproduct_iac`` (and the ``dataproduct`` CLI) stays free of the Pulumi SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, ManifestError
from .errors import DataproductError
from .graph import Graph, resolve
from .loader import LoadResult, load
from .placeholders import ValueSources
from .version import __version__

if TYPE_CHECKING:  # explicit for type checkers; at run time ``__getattr__`` imports them on first use
    from .components import (
        BuildResult,
        Bundle,
        BundleArgs,
        DataProduct,
        DataProductArgs,
        DatasetRef,
        Depot,
        DepotArgs,
        DepotRef,
        InstanceSecret,
        InstanceSecretArgs,
        ScannerJob,
        ScannerJobArgs,
        TrinoCluster,
        TrinoClusterArgs,
        WorkflowJob,
        WorkflowJobArgs,
        WorkspaceArgs,
        build,
    )


def __getattr__(name: str) -> object:
    # Only the component names of ``__all__`` get here: everything else above is already defined.
    if name in __all__:
        from . import components

        return getattr(components, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "BuildResult",
    "Bundle",
    "BundleArgs",
    "DataProduct",
    "DataProductArgs",
    "DataproductError",
    "DatasetRef",
    "Depot",
    "DepotArgs",
    "DepotRef",
    "Diagnostic",
    "Graph",
    "InstanceSecret",
    "InstanceSecretArgs",
    "LoadResult",
    "ManifestError",
    "ScannerJob",
    "ScannerJobArgs",
    "TrinoCluster",
    "TrinoClusterArgs",
    "ValueSources",
    "WorkflowJob",
    "WorkflowJobArgs",
    "WorkspaceArgs",
    "__version__",
    "build",
    "load",
    "resolve",
]
