"""The property names the pinned Trino defines, and the check that refuses the others at plan.

``properties-<version>.json`` beside this module is generated from the real server's jars by
``tools/trino_property_catalogue.py`` (and re-checked against the server by a test): for the server
(``config.properties`` and ``node.properties``) and for each plugin, every ``@Config`` name with the
setter's Java type, the ``@LegacyConfig`` names (accepted with a warning) and the ``@DefunctConfig``
names (refused by Trino), plus the connectors, exchange managers, event listeners, ... each plugin
provides. Trino refuses to start on a property no module uses ("Configuration property 'x' was not
used"), so an unknown key is refused here, with the nearest known names.

The hive, iceberg, delta-lake and hudi plugins carry the legacy Hadoop file system in their ``hdfs/``
directory; Trino's file system manager loads it, and binds its properties (``hive.config.resources``,
``hive.hdfs.*``, ``hive.s3.*``, ...), only for a catalog that sets ``fs.hadoop.enabled=true``, and its
S3, Azure and GCS modules only while that storage's native file system is off. The catalogue lists
those names apart (``hadoop``), so a catalog may hold them exactly when Trino would read them.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from ..manifests.cluster import Minerva
from .catalogs import HADOOP_ENABLED, RenderedCatalog, is_true
from .config import NodeConfig
from .errors import Problem
from .units import parse_data_size, parse_duration

# airlift binds its HTTP client configuration under a prefix of the module's choice
# ("exchange.http-client.max-connections"): a key ending in a known http-client name is accepted.
_PREFIXED = "http-client."
# The keys that select a plugin's factory are read by the server, not by the plugin.
_SELECTORS = {
    "exchange-manager.properties": ("exchange-manager", "exchange-manager.name"),
    "event-listener.properties": ("event-listener", "event-listener.name"),
    "session-property-config.properties": (
        "session-property-config",
        "session-property-config.configuration-manager",
    ),
}
_LAUNCHER_KEYS = frozenset({"node.data-dir"})
"""node.properties names that ``bin/launcher`` reads itself (the data directory)."""


@dataclass(frozen=True)
class Scope:
    """The names one configuration file may hold: the server's, or those of the plugin(s) it selects."""

    label: str
    version: str
    properties: Mapping[str, str]
    legacy: Mapping[str, str]
    defunct: frozenset[str]
    extra: frozenset[str] = frozenset()
    """Names read by something other than a ``@Config`` setter (the launcher)."""
    suggested: frozenset[str] = frozenset()
    """Names offered as did-you-mean besides the scope's own (the legacy Hadoop file system's)."""
    ignores_unknown: bool = False
    """node.properties reaches the server as JVM system properties, which airlift does not check for
    use: an unknown name there is silently ignored rather than refused (seen on the real server)."""

    def defines(self, key: str) -> bool:
        """Whether ``key`` is a name of this scope (current, deprecated or defunct)."""
        return key in self.properties or key in self.legacy or key in self.defunct

    def problem(self, key: str, value: str) -> str | None:
        """Why Trino would refuse ``key=value`` here, or None."""
        if key in self.properties:
            return self._value_problem(key, value)
        if key in self.legacy or key in self.extra:
            return None
        if key in self.defunct:
            return (
                f"{key} is no longer supported by Trino {self.version} ({self.label} refuses it); remove it"
            )
        if _PREFIXED in key and key[key.index(_PREFIXED) :] in self.properties:
            return None
        known = [*self.properties, *self.legacy, *self.suggested]
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.75)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        outcome = (
            "Trino would silently ignore it"
            if self.ignores_unknown
            else f"Trino would refuse to start (\"Configuration property '{key}' was not used\")"
        )
        return f"{key} is not a property {self.label} of Trino {self.version} defines: {outcome}{hint}"

    def legacy_warning(self, key: str) -> str | None:
        if key in self.properties or key not in self.legacy:
            return None
        replacement = self.legacy[key]
        instead = f"; use {replacement}" if replacement else ""
        return f"{key} is a deprecated name in Trino {self.version}{instead}"

    def _value_problem(self, key: str, value: str) -> str | None:
        if "${" in value:
            return None
        kind = self.properties[key]
        try:
            if kind == "DataSize":
                parse_data_size(value)
            elif kind == "Duration":
                parse_duration(value)
        except ValueError as exc:
            return f"{key}: {exc}"
        return None


@dataclass(frozen=True)
class LegacyHadoop:
    """The names a plugin's legacy Hadoop file system reads beyond the plugin's own."""

    scope: Scope
    native_off: Mapping[str, str]
    """Name → the native file system switch (``fs.native-s3.enabled``, ...) under which it is not read."""

    def problem(self, key: str, value: str, catalog: Mapping[str, str]) -> str | None:
        """Why Trino would refuse ``key=value`` in a catalog holding ``catalog``, or None."""
        version = self.scope.version
        if not is_true(catalog.get(HADOOP_ENABLED)):
            return (
                f"{key} is read only by the legacy Hadoop file system, which Trino {version} loads for a "
                f"catalog that sets {HADOOP_ENABLED}=true (this one does not): Trino would refuse to start "
                f"(\"Configuration property '{key}' was not used\"); set {HADOOP_ENABLED}=true or remove it"
            )
        native = self.native_off.get(key)
        if native and is_true(catalog.get(native)):
            return (
                f"{key} is read by the legacy Hadoop file system only while {native} is off, and this "
                f'catalog sets {native}=true: Trino {version} would refuse to start ("Configuration '
                f"property '{key}' was not used\"); remove one of them"
            )
        return self.scope.problem(key, value)


@dataclass(frozen=True)
class Catalogue:
    version: str
    server: Scope
    plugins: Mapping[str, Scope]
    providers: Mapping[tuple[str, str], tuple[str, ...]]
    """(kind, factory name) → the plugins that provide it (kind: connector, exchange-manager, ...)."""
    hadoop: Mapping[str, LegacyHadoop]
    """Plugin → what its legacy Hadoop file system reads (plugins with an ``hdfs/`` directory)."""

    def provider(self, kind: str, name: str) -> Scope | None:
        """The names a file selecting factory ``name`` of ``kind`` may hold (None: no such factory)."""
        plugins = self.providers.get((kind, name))
        if not plugins:
            return None
        scopes = [self.plugins[p] for p in plugins]
        return Scope(
            f"{kind} {name!r}",
            self.version,
            {k: v for s in scopes for k, v in s.properties.items()},
            {k: v for s in scopes for k, v in s.legacy.items()},
            frozenset().union(*(s.defunct for s in scopes)),
        )

    def legacy_hadoop(self, connector: str) -> LegacyHadoop | None:
        """What the legacy Hadoop file system of the plugin providing ``connector`` reads, if it has one."""
        found = [self.hadoop[p] for p in self.providers.get(("connector", connector), ()) if p in self.hadoop]
        if not found:
            return None
        scope = replace(
            found[0].scope,
            properties={k: v for h in found for k, v in h.scope.properties.items()},
            legacy={k: v for h in found for k, v in h.scope.legacy.items()},
            defunct=frozenset().union(*(h.scope.defunct for h in found)),
        )
        return LegacyHadoop(scope, {k: v for h in found for k, v in h.native_off.items()})

    def unknown_factory(self, kind: str, name: str) -> str:
        known = sorted(n for k, n in self.providers if k == kind)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        return f"Trino {self.version} has no {kind} {name!r}; {hint}(it has: {', '.join(known)})"


def _scope(label: str, version: str, data: dict[str, Any]) -> Scope:
    return Scope(label, version, data["properties"], data["legacy"], frozenset(data["defunct"]))


@functools.cache
def load_catalogue(version: str) -> Catalogue | None:
    """The catalogue of Trino ``version``, or None when none is shipped for that release."""
    resource = resources.files(__package__).joinpath(f"properties-{version}.json")
    if not resource.is_file():
        return None
    data = json.loads(resource.read_text(encoding="utf-8"))
    plugins = {name: _scope(f"plugin {name}", version, entry) for name, entry in data["plugins"].items()}
    providers: dict[tuple[str, str], tuple[str, ...]] = {}
    for plugin, entry in data["plugins"].items():
        for kind, names in entry["provides"].items():
            for name in names:
                providers[(kind, name)] = (*providers.get((kind, name), ()), plugin)
    hadoop = {
        name: LegacyHadoop(
            _scope(f"the legacy Hadoop file system of plugin {name}", version, entry["hadoop"]),
            entry["hadoop"]["native_off"],
        )
        for name, entry in data["plugins"].items()
        if "hadoop" in entry
    }
    return Catalogue(version, _scope("the server", version, data["server"]), plugins, providers, hadoop)


def _env_field(role: str, file: str, key: str) -> tuple[str, ...]:
    envs = "coordinatorEnvs" if role == "coordinator" else "workerEnvs"
    return ("cluster", "minerva", envs, f"CONF__{file.removesuffix('.properties')}__{key}")


def _file_scope(
    catalogue: Catalogue, node: NodeConfig, file: str, values: Mapping[str, str], problems: list[Problem]
) -> tuple[Scope, set[str]] | None:
    """The names ``file`` may hold and the keys the server itself reads there; None: nothing to check
    (log.properties names loggers) or the file selects no plugin (a problem is recorded)."""
    if file == "config.properties":
        return catalogue.server, set()
    if file == "node.properties":
        return replace(catalogue.server, extra=_LAUNCHER_KEYS, ignores_unknown=True), set()
    if file not in _SELECTORS:
        return None
    kind, selector = _SELECTORS[file]
    if selector not in values:
        problems.append(Problem(_env_field(node.role, file, selector), f"{file} needs {selector}"))
        return None
    scope = catalogue.provider(kind, values[selector])
    if scope is None:
        message = catalogue.unknown_factory(kind, values[selector])
        problems.append(Problem(_env_field(node.role, file, selector), message))
        return None
    return scope, {selector}


def check_nodes(
    catalogue: Catalogue, nodes: tuple[NodeConfig, ...], problems: list[Problem], warnings: list[str]
) -> None:
    """Every key of every properties file of each role against the names Trino defines for that file."""
    for node in nodes:
        for file, values in node.properties.items():
            selected = _file_scope(catalogue, node, file, values, problems)
            if selected is None:
                continue
            scope, skip = selected
            for key, value in values.items():
                if key in skip:
                    continue
                if problem := scope.problem(key, value):
                    problems.append(Problem(_env_field(node.role, file, key), problem))
                elif warning := scope.legacy_warning(key):
                    warnings.append(f"{node.role} {file}: {warning}")


def check_catalogs(
    catalogue: Catalogue,
    minerva: Minerva,
    catalogs: Mapping[str, RenderedCatalog],
    problems: list[Problem],
    warnings: list[str],
) -> None:
    """Each catalog's connector must exist, and each of its properties must be one that connector defines."""
    where: dict[str, tuple[str | int, ...]] = {}
    for index, entry in enumerate(minerva.depots):
        where.setdefault(entry.parsed.depot, ("cluster", "minerva", "depots", index))
    for index, entry_catalog in enumerate(minerva.catalogs):
        where[entry_catalog.name] = ("cluster", "minerva", "catalogs", index)
    for name, catalog in catalogs.items():
        at = where.get(name, ("cluster", "minerva"))
        scope = catalogue.provider("connector", catalog.connector)
        if scope is None:
            field = (*at, "type") if catalog.source == "catalog" else at
            problems.append(Problem(field, catalogue.unknown_factory("connector", catalog.connector)))
            continue
        hadoop = catalogue.legacy_hadoop(catalog.connector)
        if hadoop:
            scope = replace(scope, suggested=frozenset(hadoop.scope.properties))
        for key, value in catalog.properties.items():
            if key == "connector.name":
                continue
            if hadoop and not scope.defines(key) and hadoop.scope.defines(key):
                reader, problem = hadoop.scope, hadoop.problem(key, value, catalog.properties)
            else:
                reader, problem = scope, scope.problem(key, value)
            if problem:
                problems.append(Problem((*at, "properties", key), problem))
            elif warning := reader.legacy_warning(key):
                warnings.append(f"catalog {name}: {warning}")
