"""Problems found while rendering a cluster: collected, then raised together as a ManifestError."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..diagnostics import Diagnostic, FieldPath, ManifestError, format_field_path


class _Locates(Protocol):
    def diagnostic(self, path: FieldPath, message: str, severity: str = "error") -> Diagnostic: ...


@dataclass(frozen=True)
class Problem:
    """One problem at a field of the cluster manifest (``path`` as written in YAML, camelCase)."""

    path: FieldPath
    message: str


class TrinoConfigError(ManifestError):
    """The cluster cannot run as written (for example its memory settings do not fit the heap).

    It is a :class:`ManifestError`, so the CLI prints it without a traceback and exits 1. Its
    diagnostics name ``cluster <name>`` as the file; :meth:`located` re-points them at the
    manifest's file and line when the caller has the loader's ``Loaded`` record.
    """

    def __init__(self, cluster: str, problems: Sequence[Problem]) -> None:
        self.cluster = cluster
        self.problems = list(problems)
        super().__init__(
            [Diagnostic(f"cluster {cluster}", 0, format_field_path(p.path), p.message) for p in self.problems]
        )

    def located(self, source: _Locates) -> ManifestError:
        return ManifestError([source.diagnostic(p.path, p.message) for p in self.problems])
