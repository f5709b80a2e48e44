"""``selector.users`` / ``selector.sources`` → file-based access control and resource-group selectors.

Trino's file-based system access control matches users (not client sources), so users become
rules in ``rules.json``; sources become resource-group selectors (a query whose source matches
no selector is rejected by the coordinator). The graceful-shutdown user gets the one rule it
needs: writing system information (``PUT /v1/info/state``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..manifests.cluster import Selector

SHUTDOWN_USER = "graceful-shutdown"
RULES_FILE = "rules.json"
RESOURCE_GROUPS_FILE = "resource-groups.json"
REFRESH_PERIOD = "1m"


def pattern_to_regex(pattern: str) -> str:
    """A DataOS selector pattern (``**`` everything, ``*`` any run of characters) → a Java regex."""
    if pattern in ("**", "*"):
        return ".*"
    parts = re.split(r"(\*\*|\*)", pattern)
    return "".join(".*" if part in ("*", "**") else re.escape(part) for part in parts)


def _alternation(patterns: list[str]) -> str:
    regexes = sorted({pattern_to_regex(p) for p in patterns})
    if ".*" in regexes:
        return ".*"
    if len(regexes) == 1:
        return regexes[0]
    return "(" + "|".join(regexes) + ")"


def users_regex(selector: Selector) -> str:
    return _alternation(selector.users)


def sources_regex(selector: Selector) -> str:
    return _alternation(selector.sources)


def access_rules(selector: Selector) -> dict[str, Any]:
    users = users_regex(selector)
    shutdown = SHUTDOWN_USER
    return {
        "catalogs": [{"user": users, "catalog": ".*", "allow": "all"}],
        "queries": [{"user": users, "allow": ["execute", "kill", "view"]}],
        "system_information": [
            {"user": shutdown, "allow": ["read", "write"]},
            {"user": users, "allow": ["read"]},
        ],
    }


def access_control_properties(config_dir: str) -> dict[str, str]:
    return {
        "access-control.name": "file",
        "security.config-file": f"{config_dir}/{RULES_FILE}",
        "security.refresh-period": REFRESH_PERIOD,
    }


def resource_groups(selector: Selector) -> dict[str, Any] | None:
    """Selectors admitting the configured users and sources, or None when both admit everyone."""
    users, sources = users_regex(selector), sources_regex(selector)
    if sources == ".*":
        return None
    selector_entry: dict[str, Any] = {"source": sources, "group": "selected"}
    if users != ".*":
        selector_entry["user"] = users
    return {
        "rootGroups": [
            {
                "name": "selected",
                "softMemoryLimit": "100%",
                "hardConcurrencyLimit": 1000,
                "maxQueued": 5000,
            }
        ],
        "selectors": [selector_entry],
    }


def resource_groups_properties(config_dir: str) -> dict[str, str]:
    return {
        "resource-groups.configuration-manager": "file",
        "resource-groups.config-file": f"{config_dir}/{RESOURCE_GROUPS_FILE}",
    }


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
