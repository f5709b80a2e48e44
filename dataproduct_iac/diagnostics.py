"""Errors and warnings that point at a file, a line and a field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DataproductError

PathElement = str | int
FieldPath = tuple[PathElement, ...]


def format_field_path(path: Sequence[PathElement]) -> str:
    """``('dag', 0, 'spec', 'stack')`` → ``dag[0].spec.stack``."""
    out = ""
    for element in path:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += f".{element}" if out else str(element)
    return out or "<document>"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding about one place in one file."""

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


class ManifestError(DataproductError):
    """Bad input: one or more diagnostics, all collected before anything is built."""

    def __init__(self, diagnostics: Iterable[Diagnostic] = ()) -> None:
        self.diagnostics = list(diagnostics)
        only = self.diagnostics[0] if len(self.diagnostics) == 1 else None
        super().__init__(
            self.summary(),
            file=only.file if only else None,
            line=only.line if only else None,
            field=only.field if only else None,
        )

    def summary(self) -> str:
        count = len(self.diagnostics)
        lines = [str(d) for d in self.diagnostics]
        head = f"{count} error{'s' if count != 1 else ''} in the manifests"
        return "\n".join([head, *lines])

    def __str__(self) -> str:
        return self.summary()


def display_path(path: Path | str) -> str:
    """A path as users typed it: relative to the working directory when it lies below it."""
    candidate = Path(path)
    try:
        return str(candidate.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(candidate)


def sorted_unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics), key=lambda d: (d.file, d.line, d.field, d.message))


def os_reason(exc: BaseException) -> str:
    """Why a file could not be read, for a message: the system's words, else the error's kind."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
