"""Trino catalogs from depots and from ``catalogs[]``; credentials only as ``${ENV:VAR}``.

Every credential a catalog needs becomes an environment variable bound to a key of one
Kubernetes Secret; the binding names the instance secret and its key, never the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from ..manifests.cluster import Cluster, ClusterDepot
from ..manifests.depot import (
    DataFormat,
    Depot,
    JdbcConnection,
    PostgresConnection,
    RedshiftConnection,
    S3Connection,
    SnowflakeConnection,
)
from ..manifests.instance_secret import InstanceSecret
from ..settings import StackSettings
from .errors import Problem


@dataclass(frozen=True)
class SecretBinding:
    """An environment variable's value: key ``key`` of instance secret ``secret``."""

    secret: str
    key: str


@dataclass
class RenderedCatalog:
    name: str
    connector: str
    properties: dict[str, str]
    source: str
    """``depot:<name>`` or ``catalog``."""
    schemas: dict[str, str]
    """Collection named in the cluster's depot address → Trino schema (Glue database for S3)."""


# Instance secret keys accepted for each credential, compared lower-case without '-', '_', '.'.
_ALIASES = {
    "user": ("username", "user", "connectionuser", "login"),
    "password": ("password", "pass", "connectionpassword"),
    "access_key": ("awsaccesskeyid", "accesskeyid", "awsaccesskey", "accesskey"),
    "secret_key": ("awssecretaccesskey", "secretaccesskey", "awssecretkey", "secretkey"),
}

LEGACY_S3 = re.compile(r"^hive\.s3(\.|select)")
_REPLACEMENTS = {
    "hive.s3.aws-access-key": "s3.aws-access-key",
    "hive.s3.aws-secret-key": "s3.aws-secret-key",
    "hive.s3.endpoint": "s3.endpoint",
    "hive.s3.region": "s3.region",
    "hive.s3.path-style-access": "s3.path-style-access",
    "hive.s3.iam-role": "s3.iam-role",
    "hive.s3.external-id": "s3.external-id",
    "hive.s3.sse.type": "s3.sse.type",
    "hive.s3.sse.kms-key-id": "s3.sse.kms-key-id",
    "hive.s3.max-connections": "s3.max-connections",
    "hive.s3.streaming.part-size": "s3.streaming.part-size",
    "hive.s3.ssl.enabled": "an https:// s3.endpoint",
    "hive.s3.use-instance-credentials": "the default credential chain (leave s3.aws-access-key unset)",
}
_SENSITIVE = re.compile(r"(password|secret|aws-access-key|token|credential|private-key)", re.IGNORECASE)
_ENV_REF = re.compile(r"^\$\{ENV:[A-Za-z_][A-Za-z0-9_]*\}$")
_ENV_USE = re.compile(r"\$\{ENV:([^}]*)\}")

# JDBC subprotocol → Trino connector name (each ships with the trinodb/trino image).
JDBC_CONNECTORS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "redshift": "redshift",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "sqlserver": "sqlserver",
    "oracle": "oracle",
    "singlestore": "singlestore",
    "clickhouse": "clickhouse",
}


def legacy_s3_problem(key: str) -> str | None:
    if not LEGACY_S3.match(key):
        return None
    replacement = _REPLACEMENTS.get(key)
    if replacement is None and key.startswith("hive.s3."):
        replacement = "s3." + key.removeprefix("hive.s3.")
    hint = f"use {replacement}" if replacement else "remove it"
    return f"{key} is legacy S3 support, removed in Trino 481; {hint} together with fs.native-s3.enabled=true"


def check_properties(
    properties: dict[str, str], where: tuple[str | int, ...], problems: list[Problem]
) -> dict[str, str]:
    """Reject legacy S3 keys and literal credentials; return the properties that are fine."""
    out: dict[str, str] = {}
    for key, value in properties.items():
        path = (*where, "properties", key)
        if problem := legacy_s3_problem(key):
            problems.append(Problem(path, problem))
        elif _SENSITIVE.search(key) and not _ENV_REF.match(value):
            problems.append(
                Problem(
                    path,
                    f"{key} looks like a credential; catalog files are stored in a ConfigMap, so give it "
                    "through the depot's instance secret (or as ${ENV:VAR}), never as a literal",
                )
            )
        elif "\n" in value or "\r" in value:
            problems.append(Problem(path, "values must be a single line"))
        else:
            out[key] = value
    return out


class _Credentials:
    """Allocates ``${ENV:...}`` references and records their bindings."""

    def __init__(self) -> None:
        self.bindings: dict[str, SecretBinding] = {}

    def ref(self, catalog: str, role: str, binding: SecretBinding) -> str:
        var = f"TRINO_CATALOG_{catalog.upper()}_{role.upper()}"
        self.bindings[var] = binding
        return "${ENV:" + var + "}"


def _normal(key: str) -> str:
    return re.sub(r"[-_.]", "", key.lower())


def _find_keys(secret: InstanceSecret, roles: tuple[str, ...]) -> dict[str, str] | None:
    keys = {_normal(k): k for k in secret.instance_secret.data}
    found: dict[str, str] = {}
    for role in roles:
        for alias in _ALIASES[role]:
            if alias in keys:
                found[role] = keys[alias]
                break
    return found


def _pick_secret(
    cluster_depot: ClusterDepot,
    depot: Depot,
    secrets: list[InstanceSecret],
    roles: tuple[str, ...],
    where: tuple[str | int, ...],
    problems: list[Problem],
) -> tuple[InstanceSecret, dict[str, str]] | None:
    """The instance secret whose keys the catalog uses: the cluster's refs, else r before rw."""
    candidates = secrets
    if cluster_depot.secrets:
        by_name = {s.name: s for s in secrets}
        candidates = []
        for index, ref in enumerate(cluster_depot.secrets):
            if ref.name not in by_name:
                problems.append(
                    Problem(
                        (*where, "secrets", index, "name"),
                        f"{ref.name!r} is not one of depot {depot.name}'s secrets "
                        f"({', '.join(sorted(by_name)) or 'none'})",
                    )
                )
                return None
            candidates.append(by_name[ref.name])
    best: tuple[InstanceSecret, dict[str, str]] | None = None
    for secret in candidates:
        found = _find_keys(secret, roles) or {}
        if len(found) == len(roles):
            return secret, found
        if best is None or len(found) > len(best[1]):
            best = (secret, found)
    return best


def _s3_catalog(
    name: str,
    cluster_depot: ClusterDepot,
    depot: Depot,
    connection: S3Connection,
    secrets: list[InstanceSecret],
    settings: StackSettings,
    creds: _Credentials,
    where: tuple[str | int, ...],
    problems: list[Problem],
) -> dict[str, str]:
    connector = {
        DataFormat.ICEBERG: "iceberg",
        DataFormat.DELTA: "delta_lake",
    }.get(connection.format, "hive")
    props: dict[str, str] = {"connector.name": connector}
    if connector == "iceberg":
        props["iceberg.catalog.type"] = "glue"
    else:
        props["hive.metastore"] = "glue"
    region = connection.region or settings.region
    if region is None:
        problems.append(
            Problem(where, f"S3 depot {depot.name} has no region: set depot s3.region or the stack's region")
        )
        region = "unknown"
    props["hive.metastore.glue.region"] = region
    bucket = connection.bucket if depot.depot.external else settings.bucket_name(connection.bucket)
    location = f"s3://{bucket}/{connection.prefix}".rstrip("/")
    props["hive.metastore.glue.default-warehouse-dir"] = location
    props["fs.native-s3.enabled"] = "true"
    props["s3.region"] = region
    if connection.endpoint:
        props["s3.endpoint"] = connection.endpoint
        props["s3.path-style-access"] = "true"
    picked = _pick_secret(cluster_depot, depot, secrets, ("access_key", "secret_key"), where, problems)
    if picked is not None:
        secret, keys = picked
        if len(keys) == 2:
            access = creds.ref(name, "aws_access_key", SecretBinding(secret.name, keys["access_key"]))
            secret_key = creds.ref(name, "aws_secret_key", SecretBinding(secret.name, keys["secret_key"]))
            props["s3.aws-access-key"] = access
            props["s3.aws-secret-key"] = secret_key
            props["hive.metastore.glue.aws-access-key"] = access
            props["hive.metastore.glue.aws-secret-key"] = secret_key
        elif keys:
            problems.append(
                Problem(
                    where,
                    f"instance secret {secret.name} has only part of an AWS key pair (needs an access key id "
                    "such as 'awsaccesskeyid' and a secret such as 'awssecretaccesskey')",
                )
            )
    # No keys: Trino uses the default AWS credential chain (for example IRSA on the pod).
    return props


def _jdbc_credentials(
    name: str,
    cluster_depot: ClusterDepot,
    depot: Depot,
    secrets: list[InstanceSecret],
    creds: _Credentials,
    where: tuple[str | int, ...],
    problems: list[Problem],
) -> dict[str, str]:
    picked = _pick_secret(cluster_depot, depot, secrets, ("user", "password"), where, problems)
    if picked is None or "user" not in picked[1]:
        if picked is not None or not cluster_depot.secrets:
            problems.append(
                Problem(
                    where,
                    f"depot {depot.name} needs an instance secret with a 'username' (and usually a "
                    "'password') for its Trino catalog",
                )
            )
        return {}
    secret, keys = picked
    out = {"connection-user": creds.ref(name, "user", SecretBinding(secret.name, keys["user"]))}
    if "password" in keys:
        out["connection-password"] = creds.ref(name, "password", SecretBinding(secret.name, keys["password"]))
    return out


def _param_text(value: str | int | bool) -> str:
    """A JDBC URL parameter as drivers read it: YAML booleans as ``true``/``false`` (not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _jdbc_url(
    subprotocol: str, host: str, port: int, database: str, params: dict[str, str | int | bool]
) -> str:
    texts = {k: _param_text(v) for k, v in sorted(params.items())}
    query = "&".join(f"{quote(str(k))}={quote(v)}" for k, v in texts.items())
    if subprotocol == "sqlserver":
        url = f"jdbc:sqlserver://{host}:{port};databaseName={database}"
        return url + "".join(f";{k}={v}" for k, v in texts.items())
    url = f"jdbc:{subprotocol}://{host}:{port}"
    if subprotocol not in ("mysql", "mariadb", "singlestore"):
        url += f"/{database}"
    return url + (f"?{query}" if query else "")


def _schema_for(depot: Depot, collection: str, settings: StackSettings) -> str:
    """The Trino schema of ``dataos://<depot>:<collection>``: the Glue database for S3 depots."""
    if isinstance(depot.connection, S3Connection):
        return settings.glue_database_name(depot.name, collection)
    return collection


def depot_catalog(
    cluster_depot: ClusterDepot,
    index: int,
    depot: Depot,
    secrets: list[InstanceSecret],
    settings: StackSettings,
    creds: _Credentials,
    problems: list[Problem],
) -> RenderedCatalog | None:
    where: tuple[str | int, ...] = ("cluster", "minerva", "depots", index)
    name = depot.name
    connection = depot.connection
    address = cluster_depot.parsed
    collection = address.collection
    schemas: dict[str, str] = {}
    props: dict[str, str]
    if isinstance(connection, S3Connection):
        props = _s3_catalog(name, cluster_depot, depot, connection, secrets, settings, creds, where, problems)
    elif isinstance(connection, RedshiftConnection):
        props = {
            "connector.name": "redshift",
            "connection-url": _jdbc_url(
                "redshift", connection.host, connection.port, connection.database, {}
            ),
        }
        props.update(_jdbc_credentials(name, cluster_depot, depot, secrets, creds, where, problems))
    elif isinstance(connection, PostgresConnection | JdbcConnection):
        subprotocol = connection.subprotocol.lower()
        connector = JDBC_CONNECTORS.get(subprotocol)
        if connector is None:
            problems.append(
                Problem(
                    where,
                    f"no Trino connector for JDBC subprotocol {subprotocol!r} (supported: "
                    f"{', '.join(sorted(set(JDBC_CONNECTORS)))}); "
                    "add it under cluster.minerva.catalogs instead",
                )
            )
            return None
        url_protocol = "postgresql" if connector == "postgresql" else subprotocol
        props = {
            "connector.name": connector,
            "connection-url": _jdbc_url(
                url_protocol, connection.host, connection.port, connection.database, dict(connection.params)
            ),
        }
        props.update(_jdbc_credentials(name, cluster_depot, depot, secrets, creds, where, problems))
    elif isinstance(connection, SnowflakeConnection):
        host = re.sub(r"^(jdbc:snowflake://|https?://)", "", connection.url).rstrip("/")
        props = {"connector.name": "snowflake", "connection-url": f"jdbc:snowflake://{host}"}
        props.update(_jdbc_credentials(name, cluster_depot, depot, secrets, creds, where, problems))
        if connection.account:
            props["snowflake.account"] = connection.account
        props["snowflake.database"] = connection.database
        props["snowflake.warehouse"] = connection.warehouse
        if connection.role:
            props["snowflake.role"] = connection.role
    else:  # pragma: no cover - the depot model admits only the types above
        problems.append(Problem(where, f"depot {depot.name}: unsupported connection type"))
        return None
    if collection:
        schemas[collection] = _schema_for(depot, collection, settings)
    extra = check_properties(dict(cluster_depot.properties), where, problems)
    props.update(extra)
    return RenderedCatalog(name, props["connector.name"], props, f"depot:{depot.name}", schemas)


def render_catalogs(
    cluster: Cluster,
    depots: dict[str, Depot],
    depot_secrets: dict[str, list[InstanceSecret]],
    settings: StackSettings,
    problems: list[Problem],
) -> tuple[dict[str, RenderedCatalog], dict[str, SecretBinding]]:
    creds = _Credentials()
    catalogs: dict[str, RenderedCatalog] = {}
    seen_depots: dict[str, int] = {}
    for index, cluster_depot in enumerate(cluster.minerva.depots):
        depot_name = cluster_depot.parsed.depot
        where: tuple[str | int, ...] = ("cluster", "minerva", "depots", index, "address")
        if depot_name in seen_depots:
            first = catalogs.get(depot_name)
            collection = cluster_depot.parsed.collection
            if first is not None and collection:
                first.schemas[collection] = _schema_for(depots[depot_name], collection, settings)
            if cluster_depot.properties:
                problems.append(
                    Problem(
                        where, f"depot {depot_name} is listed twice; give its properties on the first entry"
                    )
                )
            continue
        seen_depots[depot_name] = index
        depot = depots.get(depot_name)
        if depot is None:
            problems.append(Problem(where, f"depot {depot_name!r} is not among the manifests"))
            continue
        rendered = depot_catalog(
            cluster_depot, index, depot, depot_secrets.get(depot_name, []), settings, creds, problems
        )
        if rendered is not None:
            catalogs[rendered.name] = rendered
    for index, catalog in enumerate(cluster.minerva.catalogs):
        where = ("cluster", "minerva", "catalogs", index)
        if catalog.name in catalogs:
            problems.append(
                Problem(
                    (*where, "name"),
                    f"catalog {catalog.name!r} clashes with the catalog of depot {catalog.name}; rename it",
                )
            )
            continue
        props = {"connector.name": catalog.type}
        props.update(check_properties(dict(catalog.properties), where, problems))
        if props["connector.name"] != catalog.type:
            problems.append(
                Problem((*where, "properties", "connector.name"), "set the connector with 'type'")
            )
            props["connector.name"] = catalog.type
        catalogs[catalog.name] = RenderedCatalog(catalog.name, catalog.type, props, "catalog", {})
    _check_env_references(cluster, seen_depots, creds.bindings, problems)
    return catalogs, creds.bindings


def _check_env_references(
    cluster: Cluster,
    depot_entries: dict[str, int],
    bindings: dict[str, SecretBinding],
    problems: list[Problem],
) -> None:
    """Every ``${ENV:VAR}`` a catalog property uses must exist in the pods.

    A variable exists when it is bound to a key of an instance secret (the ``TRINO_CATALOG_*``
    variables of the depots this cluster addresses) or, for a property that is not a credential,
    when both coordinatorEnvs and workerEnvs set it as a plain variable. Anything else would reach
    Trino as an unset variable, and the catalog would fail to load.
    """
    minerva = cluster.minerva
    plain = {k for k in minerva.coordinator_envs if not k.startswith(("CONF__", "JVM__"))}
    plain &= set(minerva.worker_envs)
    entries: list[tuple[tuple[str | int, ...], dict[str, str]]] = [
        (("cluster", "minerva", "depots", index), dict(minerva.depots[index].properties))
        for index in depot_entries.values()
    ]
    entries.extend(
        (("cluster", "minerva", "catalogs", index), dict(catalog.properties))
        for index, catalog in enumerate(minerva.catalogs)
    )
    for where, properties in entries:
        for key, value in properties.items():
            for var in _ENV_USE.findall(value):
                if var in bindings:
                    continue
                if var in plain and not _SENSITIVE.search(key):
                    continue
                bound = ", ".join(sorted(bindings)) or "none: no depot of this cluster has credentials"
                plain_hint = (
                    ""
                    if _SENSITIVE.search(key)
                    else "; a value that is not a credential may also be a plain variable set in both "
                    "coordinatorEnvs and workerEnvs"
                )
                problems.append(
                    Problem(
                        (*where, "properties", key),
                        f"${{ENV:{var}}} is not bound to anything in the Trino pods, so the catalog would "
                        "not load. Credentials come from a depot's instance secret: use one of the "
                        f"variables bound to the depots' secrets ({bound}), or address the database as a "
                        f"depot{plain_hint}",
                    )
                )
