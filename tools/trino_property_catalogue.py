"""Generate ``dataproduct_iac/trino/properties-<version>.json`` from the pinned Trino server's own jars.

    .venv/bin/python tools/trino_property_catalogue.py          # write it
    .venv/bin/python tools/trino_property_catalogue.py --check  # exit 1 when the committed file differs

Runs ``tools/TrinoProperties.java`` (JDK 24+) over the server that ``tools/trino_dist.py`` fetches,
and keeps, for the server (``config.properties``, ``node.properties``) and for each plugin, the
property names airlift's ``@Config`` defines (with the Java type of the setter), the ``@LegacyConfig``
names (and their replacement) and the ``@DefunctConfig`` names, plus what each plugin provides
(connectors, exchange managers, event listeners, ...). A plugin with an ``hdfs/`` directory (hive, iceberg,
delta-lake, hudi) also gets ``hadoop``: the names its legacy Hadoop file system defines beyond the plugin's
own, which Trino reads only for a catalog with ``fs.hadoop.enabled=true`` (``native_off``: the names read
only while that storage's native file system is off). ``dataproduct_iac.trino.catalogue`` reads it
to refuse pass-through keys the pinned Trino does not know. ``tests/test_trino_catalogue.py``
regenerates it from the real server and compares.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from trino_dist import VERSION, java_home, server_home

ROOT = Path(__file__).resolve().parent.parent
EXTRACTOR = Path(__file__).with_name("TrinoProperties.java")


def output_path(version: str = VERSION) -> Path:
    return ROOT / "dataproduct_iac" / "trino" / f"properties-{version}.json"


def _short_type(java_type: str) -> str:
    """``io.airlift.units.DataSize`` → ``DataSize``; primitives and ``java.lang`` types by their name."""
    return java_type.rsplit(".", 1)[-1].replace("$", ".")


def extract(home: Path) -> list[list[str]]:
    java = java_home() / "bin" / "java"
    result = subprocess.run(
        [str(java), str(EXTRACTOR), str(home)], capture_output=True, text=True, check=False, timeout=1800
    )
    if result.returncode != 0 or "could not be loaded: 0" not in result.stderr:
        raise SystemExit(f"TrinoProperties.java failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return [line.split("\t") for line in result.stdout.splitlines() if line]


# The legacy Hadoop file system (a plugin's hdfs/ jars, loaded for a catalog with fs.hadoop.enabled=true)
# installs its S3, Azure and GCS modules only when the native file system for that storage is off
# (Trino's HdfsFileSystemManager): a property of those packages is read only then.
_HADOOP_NATIVE = {
    "io.trino.hdfs.s3.": "fs.native-s3.enabled",
    "io.trino.hdfs.azure.": "fs.native-azure.enabled",
    "io.trino.hdfs.gcs.": "fs.native-gcs.enabled",
}


def _scope_entry() -> dict[str, Any]:
    return {"provides": {}, "properties": {}, "legacy": {}, "defunct": []}


def _sorted(entry: dict[str, Any]) -> None:
    entry["provides"] = {k: sorted(set(v)) for k, v in sorted(entry["provides"].items())}
    entry["properties"] = dict(sorted(entry["properties"].items()))
    entry["legacy"] = dict(sorted(entry["legacy"].items()))
    entry["defunct"] = sorted(set(entry["defunct"]))


def _file_property(entry: dict[str, Any], kind: str, name: str, detail: str) -> None:
    """File one ``config``, ``legacy`` or ``defunct`` row of the generator under its scope's entry."""
    if kind == "config":
        entry["properties"][name] = _short_type(detail)
    elif kind == "legacy":
        entry["legacy"][name] = "" if detail == "-" else detail
    elif kind == "defunct":
        entry["defunct"].append(name)


def _hadoop(plugin: dict[str, Any], rows: list[list[str]]) -> dict[str, Any]:
    """What a plugin's legacy Hadoop file system reads beyond the plugin itself (its hdfs/ jars share
    airlift, the file system API, ... with the plugin), and, for each name its S3, Azure or GCS module
    reads, the native file system switch under which it is not read."""
    own = {*plugin["properties"], *plugin["legacy"], *plugin["defunct"]}
    entry = _scope_entry()
    native_off: dict[str, str] = {}
    for _scope, kind, name, detail, owner in rows:
        if name in own:
            continue
        _file_property(entry, kind, name, detail)
        flag = next((f for package, f in _HADOOP_NATIVE.items() if owner.startswith(package)), None)
        if flag:
            native_off[name] = flag
    _sorted(entry)
    del entry["provides"]
    entry["native_off"] = dict(sorted(native_off.items()))
    return entry


def catalogue(rows: list[list[str]], version: str = VERSION) -> dict[str, Any]:
    scopes: dict[str, dict[str, Any]] = {}
    hadoop_rows: dict[str, list[list[str]]] = {}
    for row in rows:
        scope, kind, name, detail, _owner = row
        if scope.startswith("hadoop:"):
            hadoop_rows.setdefault(scope.removeprefix("hadoop:"), []).append(row)
            continue
        entry = scopes.setdefault(scope, _scope_entry())
        if kind == "provides":
            entry["provides"].setdefault(name, []).append(detail)
        else:
            _file_property(entry, kind, name, detail)
    for entry in scopes.values():
        _sorted(entry)
    server = scopes.pop("server")
    del server["provides"]
    plugins = {scope.removeprefix("plugin:"): entry for scope, entry in sorted(scopes.items())}
    for name, hadoop in hadoop_rows.items():
        plugins[name]["hadoop"] = _hadoop(plugins[name], hadoop)
    return {"trino": version, "server": server, "plugins": plugins}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead")
    args = parser.parse_args(argv)
    text = render(catalogue(extract(server_home())))
    target = output_path()
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(
                f"{target.relative_to(ROOT)} is stale: run tools/trino_property_catalogue.py", file=sys.stderr
            )
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
