"""Pulumi components for data products, importable from any Pulumi Python program.

Type tokens are ``dataproduct:index:<Kind>``. ``build(graph, settings)`` instantiates them for a
resolved manifest graph. The Trino and scanner components are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .build import BuildResult, build, collections_by_depot
from .bundle import Bundle, BundleArgs
from .depot import Depot, DepotArgs, DepotConnection
from .product import DataProduct, DataProductArgs
from .secret import InstanceSecret, InstanceSecretArgs

_LAZY = {
    "TrinoCluster": "trino",
    "TrinoClusterArgs": "trino",
    "ScannerJob": "scanner",
    "ScannerJobArgs": "scanner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "BuildResult",
    "Bundle",
    "BundleArgs",
    "DataProduct",
    "DataProductArgs",
    "Depot",
    "DepotArgs",
    "DepotConnection",
    "InstanceSecret",
    "InstanceSecretArgs",
    "ScannerJob",
    "ScannerJobArgs",
    "TrinoCluster",
    "TrinoClusterArgs",
    "build",
    "collections_by_depot",
]
