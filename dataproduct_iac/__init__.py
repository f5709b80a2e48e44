"""dataproduct-iac: DataOS-style data product manifests turned into infrastructure with Pulumi.

The YAML side (``load``, ``resolve``, the manifest models) never imports pulumi. The Pulumi
components are imported on first use, so ``import dataproduct_iac`` stays light.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .diagnostics import Diagnostic, ManifestError
from .graph import Graph, resolve
from .loader import LoadResult, load
from .placeholders import ValueSources

__all__ = [
    "Diagnostic",
    "Graph",
    "LoadResult",
    "ManifestError",
    "ValueSources",
    "__version__",
    "load",
    "resolve",
]
