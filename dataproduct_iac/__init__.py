"""dataproduct-iac: DataOS-style data product manifests turned into infrastructure with Pulumi.

The YAML side (``load``, ``resolve``, the manifest models) never imports pulumi. The Pulumi
components are imported on first use, so ``import dataproduct_iac`` stays light.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, ManifestError
from .errors import DataproductError
from .graph import Graph, resolve
from .loader import LoadResult, load
from .placeholders import ValueSources
from .version import __version__

# The Pulumi side, imported on first attribute access (``dataproduct_iac.build``, ``dataproduct_iac.Depot``).
_COMPONENTS = (
    "BuildResult",
    "Bundle",
    "BundleArgs",
    "DataProduct",
    "DataProductArgs",
    "Depot",
    "DepotArgs",
    "InstanceSecret",
    "InstanceSecretArgs",
    "ScannerJob",
    "ScannerJobArgs",
    "TrinoCluster",
    "TrinoClusterArgs",
    "build",
)


def __getattr__(name: str) -> object:
    if name in _COMPONENTS:
        from . import components

        return getattr(components, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DataproductError",
    "Diagnostic",
    "Graph",
    "LoadResult",
    "ManifestError",
    "ValueSources",
    "__version__",
    "load",
    "resolve",
    # TrinoCluster and ScannerJob stay out of star-imports: they load their own modules on access.
    *(name for name in _COMPONENTS if not name.startswith(("Trino", "Scanner"))),
]
