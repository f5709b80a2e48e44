"""Which files a command line's PATH arguments name: files as given, directories searched
recursively for ``*.yaml``/``*.yml``, globs expanded (a ``**`` enters each real directory once), each
file once, values files left out. :class:`RealPaths` resolves and displays the many paths of one run
cheaply."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .diagnostics import Diagnostic

MANIFEST_SUFFIXES = (".yaml", ".yml")


def is_below(path: str, directory: str) -> bool:
    """``Path(path).is_relative_to(directory)`` for two resolved (absolute, normalised) paths."""
    prefix = directory if directory.endswith(os.sep) else directory + os.sep
    return path == directory or path.startswith(prefix)


class RealPaths:
    """``Path.resolve()`` and :func:`display_path` for the many files of one run, on plain strings.

    Each directory is resolved once; a file below it costs one ``lstat`` (is it a symlink?) instead of
    one per path component. Paths with ``..`` take the plain ``os.path.realpath`` route. Strings,
    not ``Path`` objects: at thousands of files pathlib's parsing was a fifth of the load time.
    """

    def __init__(self) -> None:
        self._dirs: dict[str, str] = {}
        self._real: dict[str, str] = {}
        self._shown: dict[str, str] = {}
        self._cwd = os.path.realpath(os.getcwd())

    def real(self, path: str | Path) -> str:
        """The resolved path (``str(Path(path).resolve())``)."""
        text = os.fspath(path)
        out = self._real.get(text)
        if out is None:
            out = self._real[text] = self._realpath(text)
        return out

    def _realpath(self, text: str) -> str:
        if os.pardir in text.split(os.sep):
            return os.path.realpath(text)
        parent, name = os.path.split(os.path.abspath(text))
        real_parent = self._dirs.get(parent)
        if real_parent is None:
            real_parent = self._dirs[parent] = os.path.realpath(parent)
        full = os.path.join(real_parent, name) if name else real_parent
        return os.path.realpath(full) if name and os.path.islink(full) else full

    def shown(self, path: str | Path) -> str:
        """:func:`display_path`, cached per spelling of the path."""
        text = os.fspath(path)
        out = self._shown.get(text)
        if out is None:
            real = self.real(text)
            cwd = self._cwd
            if real == cwd:
                out = "."
            elif is_below(real, cwd):
                out = real[len(cwd) :].lstrip(os.sep)
            else:
                out = str(Path(text))
            self._shown[text] = out
        return out


def _path_order(path: str) -> list[str]:
    """The order of ``sorted(Path(p) for p in paths)`` for POSIX paths (part by part), on strings."""
    return path.split(os.sep)


def _manifest_files(directory: str) -> list[str]:
    """``*.yaml``/``*.yml`` files below ``directory``, recursively, in path order; hidden files and
    directories (a part starting with '.') are skipped, symlinked directories are not entered
    (what ``Path.rglob`` does)."""
    found: list[str] = []
    for parent, dirs, names in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith(MANIFEST_SUFFIXES) and not name.startswith("."):
                full = os.path.join(parent, name)
                if os.path.isfile(full):
                    found.append(full)
    found.sort(key=_path_order)
    return found


def glob_files(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)``, except that ``**`` enters each real directory once:
    Python's ``**`` follows symbolic links to directories, so a directory holding links to itself
    makes it walk paths of every length (two such links: 2^40 of them)."""
    parts = pattern.split(os.sep)
    if "**" not in parts:
        return glob.glob(pattern)  # no recursion: nothing to loop over
    first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = os.sep.join(parts[:first])
    root = base or (os.sep if pattern.startswith(os.sep) else os.curdir)
    matcher = re.compile(_glob_regex(parts[first:]))
    found: list[str] = []
    seen: set[str] = set()
    for directory, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:  # met before, through another link: not again
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # ``**`` skips hidden directories
        rel = os.path.relpath(directory, root)
        for name in [*dirs, *names]:
            relative = name if rel == os.curdir else os.path.join(rel, name)
            if matcher.fullmatch(relative):
                found.append(os.path.join(base, relative) if base else relative)
    return found


def _glob_regex(parts: list[str]) -> str:
    """A regular expression for the relative paths that the glob segments ``parts`` match."""
    out = ""
    for index, part in enumerate(parts):
        if index == len(parts) - 1:
            out += r"(?!\.)[^/]+(?:/(?!\.)[^/]+)*" if part == "**" else _segment_regex(part)
        elif part == "**":
            out += r"(?:(?!\.)[^/]+/)*"  # zero or more directories, none hidden
        else:
            out += _segment_regex(part) + "/"
    return out


def _segment_regex(part: str) -> str:
    """One segment of a glob: ``*`` and ``?`` stay within it and, as with ``glob``, a wildcard does
    not match a leading '.'."""
    out = "" if part.startswith(".") else r"(?!\.)"
    index = 0
    while index < len(part):
        char = part[index]
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[" and "]" in part[index + 2 :]:
            end = part.index("]", index + 2)
            inner = part[index + 1 : end].replace("\\", "\\\\")
            out += "[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]"
            index = end
        else:
            out += re.escape(char)
        index += 1
    return out


def expand_path_strings(
    paths: Sequence[str | Path], exclude: Iterable[str | Path], real_paths: RealPaths
) -> tuple[list[str], list[Diagnostic]]:
    """Files to load, as strings (spelled as ``str(Path(...))`` would): files as given, directories
    recursively (``*.yaml``/``*.yml``), globs expanded; a problem for each path that names nothing."""
    excluded = {real_paths.real(p) for p in exclude}
    found: list[str] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        text = str(raw)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob_files(text))
            if not matches:
                problems.append(Diagnostic(text, 0, "<path>", "pattern matched no files"))
            candidates = [Path(m) for m in matches]
        else:
            candidates = [Path(text)]
        for candidate in candidates:
            if candidate.is_dir():
                found.extend(_manifest_files(str(candidate)))
            elif candidate.is_file():
                found.append(str(candidate))
            elif candidate.exists():
                problems.append(Diagnostic(str(candidate), 0, "<path>", "not a regular file or directory"))
            else:
                problems.append(Diagnostic(str(candidate), 0, "<path>", "no such file or directory"))
    unique: list[str] = []
    seen: set[str] = set()
    for path in found:
        resolved = real_paths.real(path)
        if resolved in seen or resolved in excluded:
            continue
        seen.add(resolved)
        unique.append(path)
    return unique, problems
