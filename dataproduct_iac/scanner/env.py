"""Scanner settings from environment variables (how the ``ScannerJob`` container is configured).

Every variable is optional here; ``DATAPRODUCT_SCAN_BUCKET`` must come from somewhere (env, flag or
manifests). AWS access uses boto3's standard chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
web identity for IRSA, ``AWS_REGION``, ``AWS_ENDPOINT_URL``...).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..aws_clients import ClientSettingError, ClientSettings
from ..errors import DataproductError

ENV_PREFIX = "DATAPRODUCT_SCAN_"

ENV_VARS: dict[str, str] = {
    "DATAPRODUCT_SCAN_BUCKET": "bucket of the depot",
    "DATAPRODUCT_SCAN_PREFIX": "the depot's relativePath (key prefix)",
    "DATAPRODUCT_SCAN_DEPOT": "depot name (recorded on the Glue tables; scopes markDeletedTables)",
    "DATAPRODUCT_SCAN_FORMAT": "format of files without a telling extension (PARQUET, CSV, JSON)",
    "DATAPRODUCT_SCAN_FORMATS": "comma-separated formats to register (default: all)",
    "DATAPRODUCT_SCAN_SCHEMA_INCLUDES": "JSON list of regular expressions for collections to include",
    "DATAPRODUCT_SCAN_SCHEMA_EXCLUDES": "JSON list of regular expressions for collections to exclude",
    "DATAPRODUCT_SCAN_TABLE_INCLUDES": "JSON list of regular expressions for datasets to include",
    "DATAPRODUCT_SCAN_TABLE_EXCLUDES": "JSON list of regular expressions for datasets to exclude",
    "DATAPRODUCT_SCAN_ONLY": "comma-separated collection or collection/dataset entries to scan",
    "DATAPRODUCT_SCAN_MARK_DELETED": "true: handle tables whose data is gone (markDeletedTables)",
    "DATAPRODUCT_SCAN_DELETED_ACTION": "flag (default: parameter dataproduct.status=deleted) or delete",
    "DATAPRODUCT_SCAN_DRY_RUN": "true: read and compare, write nothing",
    "DATAPRODUCT_SCAN_FULL": "true: read datasets whose objects are unchanged since the last scan too",
    "DATAPRODUCT_SCAN_CONCURRENCY": "worker threads (default 8)",
    "DATAPRODUCT_SCAN_RETRY_MODE": "botocore retry mode: standard (default) or adaptive",
    "DATAPRODUCT_SCAN_MAX_ATTEMPTS": "attempts per AWS request, the first one included (default 5)",
    "DATAPRODUCT_SCAN_CONNECT_TIMEOUT": "seconds to wait for a connection to S3 or Glue (default 5)",
    "DATAPRODUCT_SCAN_READ_TIMEOUT": "seconds to wait for (the next bytes of) a reply (default 30)",
    "DATAPRODUCT_SCAN_RETRY_BUDGET": "seconds one request may take with its retries (default 60)",
    "DATAPRODUCT_SCAN_DATABASE_TEMPLATE": "Glue database name template with {collection}",
    "DATAPRODUCT_SCAN_DATABASE_OVERRIDES": "JSON object collection → Glue database name",
    "DATAPRODUCT_SCAN_OUTPUT": "report format on stdout: text (default) or json",
}


class EnvError(DataproductError):
    """An environment variable with a value that cannot be used (named, value not echoed)."""


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise EnvError(f"{name} must be true or false")


def _json_list(name: str, value: str) -> list[str]:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise EnvError(f"{name} must be a JSON list of strings") from None
    if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
        raise EnvError(f"{name} must be a JSON list of strings")
    return parsed


_NUMBERS: tuple[tuple[str, str, Callable[[str], float], str], ...] = (
    ("CONCURRENCY", "concurrency", int, "an integer"),
    ("MAX_ATTEMPTS", "max_attempts", int, "an integer"),
    ("CONNECT_TIMEOUT", "connect_timeout", float, "a number of seconds"),
    ("READ_TIMEOUT", "read_timeout", float, "a number of seconds"),
    ("RETRY_BUDGET", "retry_budget", float, "a number of seconds"),
)
"""Numeric settings: the variable's suffix, the setting, how its text is read and what it must be."""


_CLIENT_SETTINGS = frozenset(f.name for f in dataclasses.fields(ClientSettings))
"""The settings of the scanner's AWS clients (timeouts, attempts, retry budget and mode)."""


def env_problems(env: Mapping[str, str]) -> dict[str, str]:
    """Why the scanner would refuse each ``DATAPRODUCT_SCAN_*`` variable of ``env`` when its container
    starts (variable → reason; other variables are not looked at), for ``dataproduct validate`` to say
    so before anything runs: each is read by :func:`settings_from_env`, as the container reads it, and
    the AWS client settings (timeouts, attempts, retry budget, retry mode) are checked by
    :class:`ClientSettings`, as the scan checks them. Values are not echoed by the parsing errors."""
    problems: dict[str, str] = {}
    for name, text in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        try:
            values = settings_from_env({name: text})
            ClientSettings(**{k: v for k, v in values.items() if k in _CLIENT_SETTINGS})
        except EnvError as exc:
            problems[name] = str(exc)
        except ClientSettingError as exc:
            problems[name] = f"{name} {exc.reason}"
    return problems


def settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for :class:`ScanSettings` found in ``env`` (only those that are set)."""
    from ..manifests.workflow import FilterPattern

    out: dict[str, Any] = {}
    unknown = sorted(k for k in env if k.startswith(ENV_PREFIX) and k not in ENV_VARS)
    if unknown:
        raise EnvError(f"unknown scanner setting(s) {', '.join(unknown)}; known: {', '.join(ENV_VARS)}")
    simple = {
        "BUCKET": "bucket",
        "PREFIX": "prefix",
        "DEPOT": "depot",
        "RETRY_MODE": "retry_mode",
        "DATABASE_TEMPLATE": "template",
        "OUTPUT": "output",
        "DELETED_ACTION": "deleted_action",
    }
    for suffix, key in simple.items():
        if f"{ENV_PREFIX}{suffix}" in env:
            out[key] = env[f"{ENV_PREFIX}{suffix}"]
    if f"{ENV_PREFIX}FORMAT" in env:
        out["default_format"] = env[f"{ENV_PREFIX}FORMAT"].upper()
    if f"{ENV_PREFIX}FORMATS" in env:
        out["formats"] = tuple(f.strip().upper() for f in env[f"{ENV_PREFIX}FORMATS"].split(",") if f.strip())
    if f"{ENV_PREFIX}ONLY" in env:
        out["only"] = [e.strip() for e in env[f"{ENV_PREFIX}ONLY"].split(",") if e.strip()]
    for suffix, key in (("MARK_DELETED", "mark_deleted"), ("DRY_RUN", "dry_run"), ("FULL", "full")):
        name = f"{ENV_PREFIX}{suffix}"
        if name in env:
            out[key] = _bool(name, env[name])
    for suffix, key, number, what in _NUMBERS:
        name = f"{ENV_PREFIX}{suffix}"
        if name in env:
            try:
                out[key] = number(env[name])
            except ValueError:
                raise EnvError(f"{name} must be {what}") from None
    for kind, key in (("SCHEMA", "schema_filter"), ("TABLE", "table_filter")):
        includes = env.get(f"{ENV_PREFIX}{kind}_INCLUDES")
        excludes = env.get(f"{ENV_PREFIX}{kind}_EXCLUDES")
        if includes is not None or excludes is not None:
            try:
                out[key] = FilterPattern.model_validate(
                    {
                        "includes": _json_list(f"{ENV_PREFIX}{kind}_INCLUDES", includes or "[]"),
                        "excludes": _json_list(f"{ENV_PREFIX}{kind}_EXCLUDES", excludes or "[]"),
                    }
                )
            except ValueError:  # pydantic's ValidationError
                raise EnvError(f"{ENV_PREFIX}{kind}_INCLUDES/EXCLUDES: invalid pattern") from None
    if f"{ENV_PREFIX}DATABASE_OVERRIDES" in env:
        name = f"{ENV_PREFIX}DATABASE_OVERRIDES"
        try:
            overrides = json.loads(env[name])
        except json.JSONDecodeError:
            raise EnvError(f"{name} must be a JSON object") from None
        if not isinstance(overrides, dict) or not all(isinstance(v, str) for v in overrides.values()):
            raise EnvError(f"{name} must be a JSON object of strings")
        out["overrides"] = overrides
    return out
