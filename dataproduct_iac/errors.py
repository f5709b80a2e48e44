"""The one base class of what a user can fix, and the errors of how a command was called.

Every error that tells the user about their input or their environment (a manifest, a values file,
a stack setting, a command-line flag, a missing tool, a server that refuses) derives from
:class:`DataproductError`. The command line prints such an error and exits 1; any other exception is
a bug in this project and surfaces as one, with its traceback.
"""

from __future__ import annotations


class DataproductError(Exception):
    """Something the user can fix. ``file``, ``line`` and ``field`` say where, when known."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = [str(p) for p in (self.file, self.line or None) if p]
        parts = [":".join(where)] if where else []
        if self.field:
            parts.append(self.field)
        return ": ".join([*parts, self.message])


class UsageError(DataproductError):
    """How the command was called does not work: a missing or contradictory flag, an unknown name."""


class ComponentArgsError(DataproductError, ValueError):
    """A component's arguments cannot be built (raised before the component registers anything): an
    unknown depot, a read-only output, a scanner workflow that does not fit its depot. Also a
    ``ValueError``, as Python code calling the components expects of bad arguments."""
