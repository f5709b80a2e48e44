"""The scan's result: one outcome per dataset, request accounting, exit code, text and JSON forms."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from ..text_tables import table
from .s3io import RequestStats

# Outcome actions. In a dry run they say what would happen.
CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
DELETED = "deleted"
FLAGGED = "flagged-deleted"
FAILED = "failed"

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_PARTIAL = 2


@dataclass
class DatasetOutcome:
    collection: str
    dataset: str
    database: str
    table: str
    action: str
    format: str | None = None
    files: int = 0
    bytes: int = 0
    columns: int = 0
    partitions: int = 0
    partitions_added: int = 0
    partitions_removed: int = 0
    changes: list[str] = field(default_factory=list)
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.action == FAILED


@dataclass
class ScanReport:
    bucket: str
    prefix: str
    depot: str
    dry_run: bool = False
    outcomes: list[DatasetOutcome] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    """Datasets found but excluded by the include/exclude patterns."""
    stats: RequestStats = field(default_factory=RequestStats)
    seconds: float = 0.0
    objects_listed: int = 0
    bytes_stored: int = 0
    input_error: str | None = None
    """Bad input (missing bucket, bad settings): exit code 1."""
    listing_error: str | None = None
    """The listing failed: nothing was scanned and nothing deleted (exit code 2)."""
    mark_deleted_error: str | None = None

    @property
    def failed(self) -> list[DatasetOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def exit_code(self) -> int:
        if self.input_error:
            return EXIT_BAD_INPUT
        if self.listing_error or self.mark_deleted_error or self.failed:
            return EXIT_PARTIAL
        return EXIT_OK

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for outcome in self.outcomes:
            out[outcome.action] = out.get(outcome.action, 0) + 1
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "prefix": self.prefix,
            "depot": self.depot,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "input_error": self.input_error,
            "listing_error": self.listing_error,
            "mark_deleted_error": self.mark_deleted_error,
            "counts": self.counts(),
            "datasets": [asdict(o) for o in self.outcomes],
            "excluded": self.excluded,
            "objects_listed": self.objects_listed,
            "bytes_stored": self.bytes_stored,
            "requests": self.stats.as_dict(),
            "seconds": round(self.seconds, 3),
        }

    def render_text(self, out: TextIO) -> None:
        if self.input_error:
            out.write(f"error: {self.input_error}\n")
            return
        if self.listing_error:
            out.write(f"error: listing s3://{self.bucket}/{self.prefix} failed: {self.listing_error}\n")
            out.write("nothing was scanned or deleted\n")
            return
        headers = ("DATASET", "TABLE", "FORMAT", "FILES", "BYTES", "COLS", "PARTS", "ACTION")
        rows = [
            (
                f"{o.collection}/{o.dataset}",
                f"{o.database}.{o.table}",
                o.format or "-",
                str(o.files),
                _size(o.bytes),
                str(o.columns),
                str(o.partitions),
                o.action + (f" ({', '.join(o.changes)})" if o.changes else ""),
            )
            for o in self.outcomes
        ]
        for line in table([headers, *rows]):
            out.write(line + "\n")
        for o in self.failed:
            out.write(f"FAILED {o.collection}/{o.dataset}: {o.message}\n")
        if self.mark_deleted_error:
            out.write(f"FAILED marking deleted tables: {self.mark_deleted_error}\n")
        summary = ", ".join(f"{n} {a}" for a, n in self.counts().items()) or "no datasets"
        prefix = "dry run: " if self.dry_run else ""
        calls = sum(self.stats.calls.values())
        out.write(
            f"{prefix}{summary}; {len(self.excluded)} excluded by patterns; {self.objects_listed} objects "
            f"({_size(self.bytes_stored)}) listed, {_size(self.stats.bytes_read)} read in {calls} requests "
            f"({self.stats.retries} retries), {self.seconds:.1f}s\n"
        )


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


class Progress:
    """A one-line progress bar on a terminal (stderr); silent when stderr is not a TTY."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()

    def __call__(self, done: int, total: int, outcome: DatasetOutcome) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(total, 1)
        label = f"{outcome.collection}/{outcome.dataset}"[:40]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<40}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
