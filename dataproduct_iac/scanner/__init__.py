"""The metadata scanner: S3 depot datasets → Glue Data Catalog tables (no pulumi import).

``scan_depot(ScanSettings(bucket=..., prefix=...)) -> ScanReport`` is the library entry point;
``dataproduct scan`` and the scanner container wrap it. See docs/scanner.md.
"""

from __future__ import annotations

from .core import DatabaseNaming, ScanSettings, scan_depot, table_name
from .env import settings_from_env
from .report import DatasetOutcome, ScanReport

__all__ = [
    "DatabaseNaming",
    "DatasetOutcome",
    "ScanReport",
    "ScanSettings",
    "scan_depot",
    "settings_from_env",
    "table_name",
]
