"""The pinned Trino server for the tests and tools: found, or fetched once per machine, outside the repo.

``python tools/trino_dist.py`` fetches and unpacks it (``.ci/run`` does this before the tests) and
prints where it is. The tarball comes from Maven Central through the ordinary Maven client:
``mvn dependency:copy -Dartifact=io.trino:trino-server:<version>:tar.gz``. The cache directory is
``$DATAPRODUCT_TRINO_CACHE``, else ``$XDG_CACHE_HOME/dataproduct-iac/trino``, else
``~/.cache/dataproduct-iac/trino``. Trino 476 needs Java 24 or newer: ``$DATAPRODUCT_TRINO_JAVA_HOME``,
else the newest JDK >= 24 under ``/usr/lib/jvm``, else ``$JAVA_HOME`` if it is new enough.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

from dataproduct_iac.settings import DEFAULT_TRINO_TAG

VERSION = DEFAULT_TRINO_TAG
MIN_JAVA = 24
GROUP, ARTIFACT = "io.trino", "trino-server"


class TrinoUnavailable(Exception):
    """This machine cannot run the pinned Trino (no Java >= 24, no Maven, or the download failed)."""


def cache_dir() -> Path:
    explicit = os.environ.get("DATAPRODUCT_TRINO_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dataproduct-iac" / "trino"


def _java_major(home: Path) -> int | None:
    release = home / "release"
    if not (home / "bin" / "java").is_file() or not release.is_file():
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(errors="replace"), re.MULTILINE)
    return int(match[1]) if match else None


def java_home() -> Path:
    """A JDK that runs the pinned Trino, or :class:`TrinoUnavailable` naming what was looked at."""
    explicit = os.environ.get("DATAPRODUCT_TRINO_JAVA_HOME")
    if explicit:
        major = _java_major(Path(explicit))
        if major is None or major < MIN_JAVA:
            raise TrinoUnavailable(f"DATAPRODUCT_TRINO_JAVA_HOME={explicit} is not a JDK {MIN_JAVA}+")
        return Path(explicit)
    found: list[tuple[int, Path]] = []
    jvm = Path("/usr/lib/jvm")
    candidates = sorted(jvm.iterdir()) if jvm.is_dir() else []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    for home in candidates:
        major = _java_major(home)
        if major is not None and major >= MIN_JAVA:
            found.append((major, home))
    if not found:
        raise TrinoUnavailable(
            f"Trino {VERSION} needs Java {MIN_JAVA}+; none under /usr/lib/jvm or $JAVA_HOME "
            "(set DATAPRODUCT_TRINO_JAVA_HOME to a JDK 24+, e.g. Temurin 25)"
        )
    return max(found)[1]


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One fetch per machine at a time (parallel test runs and worktrees share the cache)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def tarball_name(version: str = VERSION) -> str:
    return f"{ARTIFACT}-{version}.tar.gz"


def _download(directory: Path, version: str) -> Path:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise TrinoUnavailable(f"Maven (mvn) is not installed: it fetches {GROUP}:{ARTIFACT}:{version}")
    staging = directory / f".download-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        mvn,
        "-B",
        "-q",
        "dependency:copy",
        f"-Dartifact={GROUP}:{ARTIFACT}:{version}:tar.gz",
        f"-DoutputDirectory={staging}",
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        errors = [line for line in result.stdout.splitlines() if "[ERROR]" in line][:3]
        raise TrinoUnavailable(
            f"{' '.join(command[:5])} failed ({result.returncode}): "
            + " ".join(errors or [result.stderr[-300:]])
        )
    target = directory / tarball_name(version)
    (staging / tarball_name(version)).replace(target)
    shutil.rmtree(staging, ignore_errors=True)
    size = target.stat().st_size
    print(
        f"fetched {target.name}: {size:,} bytes in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    return target


def server_home(version: str = VERSION, *, fetch: bool = True) -> Path:
    """The unpacked ``trino-server-<version>`` (fetched and unpacked on first use)."""
    directory = cache_dir()
    home = directory / f"{ARTIFACT}-{version}"
    if (home / ".complete").is_file():
        return home
    if not fetch:
        raise TrinoUnavailable(f"{home} is not there (python tools/trino_dist.py fetches it)")
    with _locked(directory):
        if (home / ".complete").is_file():
            return home
        tarball = directory / tarball_name(version)
        if not tarball.is_file():
            tarball = _download(directory, version)
        staging = directory / f".unpack-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        with tarfile.open(tarball) as archive:
            archive.extractall(staging, filter="tar")
        unpacked = staging / f"{ARTIFACT}-{version}"
        if not (unpacked / "bin" / "launcher").is_file():
            raise TrinoUnavailable(f"{tarball} does not hold {ARTIFACT}-{version}/bin/launcher")
        shutil.rmtree(home, ignore_errors=True)
        unpacked.replace(home)
        shutil.rmtree(staging, ignore_errors=True)
        (home / ".complete").write_text(version + "\n")
    return home


def main() -> int:
    try:
        java = java_home()
        started = time.monotonic()
        home = server_home()
    except TrinoUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"trino {VERSION}: {home} (ready in {time.monotonic() - started:.0f} s); java: {java}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
