"""Group Pulumi engine events by data product and component; count, list properties, flag danger.

Input: the :class:`pulumi.automation.events.EngineEvent` objects an Automation API ``preview``
or ``preview_refresh`` hands to ``on_event``. This module reads them by attribute and never
imports pulumi, so it is cheap to import and easy to test. Property *names* are reported, never
property values (they may be secrets).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Mode = Literal["preview", "drift"]

COMPONENT_PREFIX = "dataproduct:index:"
PRODUCT_TYPE = "dataproduct:index:DataProduct"
DANGEROUS_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:secretsmanager/secret:Secret",
        "aws:glue/catalogDatabase:CatalogDatabase",
        "aws:glue/catalogTable:CatalogTable",
    }
)
"""Replacing or deleting these loses data or credentials."""

OPS = ("create", "update", "replace", "delete")
_REPLACE_OPS = {
    "replace",
    "create-replacement",
    "delete-replaced",
    "discard-replaced",
    "read-replacement",
    "import-replacement",
}
_SIMPLE_OPS = {
    "create": "create",
    "import": "create",
    "update": "update",
    "delete": "delete",
    "discard": "delete",
}
_SHARED = "(shared)"


@dataclass
class ResourceChange:
    urn: str
    type: str
    name: str
    op: str
    """create | update | replace | delete (in drift mode: what refresh would write to the state)."""
    product: str
    """The owning data product, or ``(shared)``."""
    component: str
    """``<ComponentType>/<name>`` of the nearest dataproduct component (itself, for a component)."""
    properties: list[str] = field(default_factory=list)
    replace_properties: list[str] = field(default_factory=list)
    protected: bool = False
    dangerous: bool = False
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChangeSet:
    mode: Mode
    stack: str
    changes: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(change.op for change in self.changes)
        return {op: counter.get(op, 0) for op in OPS}

    @property
    def dangerous(self) -> list[ResourceChange]:
        return [change for change in self.changes if change.dangerous]

    def groups(self) -> dict[str, dict[str, list[ResourceChange]]]:
        """product → component → changes, products and components sorted, ``(shared)`` last."""
        out: dict[str, dict[str, list[ResourceChange]]] = {}
        ordered = sorted(self.changes, key=lambda c: (c.product == _SHARED, c.product, c.component, c.urn))
        for change in ordered:
            out.setdefault(change.product, {}).setdefault(change.component, []).append(change)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "stack": self.stack,
            "counts": self.counts,
            "unchanged": self.unchanged,
            "dangerous": len(self.dangerous),
            "errors": list(self.errors),
            "products": [
                {
                    "product": product,
                    "components": [
                        {"component": component, "changes": [c.as_dict() for c in changes]}
                        for component, changes in components.items()
                    ],
                }
                for product, components in self.groups().items()
            ],
        }


# -- URNs --------------------------------------------------------------------------------------
def urn_type(urn: str) -> str:
    """``urn:pulumi:stack::project::parent$child::name`` → ``child`` (the resource's own type)."""
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else ""


def urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


def _short_type(type_token: str) -> str:
    return type_token[len(COMPONENT_PREFIX) :] if type_token.startswith(COMPONENT_PREFIX) else type_token


# -- events ------------------------------------------------------------------------------------
@dataclass
class _Seen:
    ops: list[str] = field(default_factory=list)
    metadata: list[Any] = field(default_factory=list)


def _step_metadata(event: Any) -> Any | None:
    for attr in ("resource_pre_event", "res_outputs_event"):
        inner = getattr(event, attr, None)
        if inner is not None and getattr(inner, "metadata", None) is not None:
            return inner.metadata
    return None


def _op_value(op: Any) -> str:
    return str(getattr(op, "value", op))


def _refresh_result(metadata: Any) -> tuple[str | None, list[str]]:
    """What a refresh step does to the state: delete (gone), update (drifted) or nothing."""
    if metadata.new is None:
        return ("delete", []) if metadata.old is not None else (None, [])
    props = _diff_properties(metadata)
    if props:
        return "update", props
    old_out = dict(getattr(metadata.old, "outputs", None) or {}) if metadata.old is not None else {}
    new_out = dict(getattr(metadata.new, "outputs", None) or {})
    changed = sorted(k for k in set(old_out) | set(new_out) if old_out.get(k) != new_out.get(k))
    return ("update", changed) if changed else (None, [])


def _diff_properties(metadata: Any) -> list[str]:
    detailed = getattr(metadata, "detailed_diff", None) or {}
    if detailed:
        return sorted(detailed)
    return sorted(getattr(metadata, "diffs", None) or [])


def _replace_properties(metadata: Any) -> list[str]:
    detailed = getattr(metadata, "detailed_diff", None) or {}
    out = {path for path, diff in detailed.items() if _op_value(diff.diff_kind).endswith("-replace")}
    out.update(getattr(metadata, "keys", None) or [])
    return sorted(out)


def _is_protected(metadata: Any) -> bool:
    return any(bool(getattr(state, "protect", False)) for state in (metadata.old, metadata.new) if state)


def group_events(
    events: Iterable[Any],
    *,
    mode: Mode,
    stack: str,
    owners: Mapping[str, str] | None = None,
) -> ChangeSet:
    """Turn engine events into a :class:`ChangeSet`.

    ``owners`` maps a dataproduct component's logical name to the data product it belongs to,
    for resources that are not children of a ``DataProduct`` component (the bundle and its
    members): :func:`dataproduct_iac.ownership.product_names`, the rule the components tag by.
    """
    seen: dict[str, _Seen] = {}
    parents: dict[str, str] = {}
    errors: list[str] = []
    for event in events:
        diagnostic = getattr(event, "diagnostic_event", None)
        if diagnostic is not None and getattr(diagnostic, "severity", "") == "error":
            errors.append(_strip(diagnostic.message))
        failed = getattr(event, "res_op_failed_event", None)
        if failed is not None:
            errors.append(f"{failed.metadata.urn}: {_op_value(failed.metadata.op)} failed")
        metadata = _step_metadata(event)
        if metadata is None:
            continue
        entry = seen.setdefault(metadata.urn, _Seen())
        entry.ops.append(_op_value(metadata.op))
        entry.metadata.append(metadata)
        for state in (metadata.new, metadata.old):
            if state is not None and getattr(state, "parent", None):
                parents.setdefault(metadata.urn, state.parent)

    changes: list[ResourceChange] = []
    unchanged = 0
    for urn, entry in seen.items():
        op, properties = _classify(entry)
        if op is None:
            unchanged += 1
            continue
        last = entry.metadata[-1]
        type_token = getattr(last, "type", "") or urn_type(urn)
        product, component = _owner(urn, type_token, parents, owners or {})
        protected = any(_is_protected(m) for m in entry.metadata)
        replace_properties = sorted({p for m in entry.metadata for p in _replace_properties(m)})
        dangerous, reason = _danger(op, type_token, protected)
        changes.append(
            ResourceChange(
                urn=urn,
                type=type_token,
                name=urn_name(urn),
                op=op,
                product=product,
                component=component,
                properties=properties,
                replace_properties=replace_properties if op == "replace" else [],
                protected=protected,
                dangerous=dangerous,
                reason=reason,
            )
        )
    changes.sort(key=lambda c: c.urn)
    return ChangeSet(mode=mode, stack=stack, changes=changes, unchanged=unchanged, errors=errors)


def _classify(entry: _Seen) -> tuple[str | None, list[str]]:
    properties = sorted({p for m in entry.metadata for p in _diff_properties(m)})
    if any(op in _REPLACE_OPS for op in entry.ops):
        return "replace", properties
    for op in ("delete", "discard", "create", "import", "update"):
        if op in entry.ops:
            return _SIMPLE_OPS[op], properties
    if "refresh" in entry.ops:
        # the last refresh step carries the read state (ResOutputsEvent after ResourcePreEvent)
        refresh = [m for m in entry.metadata if _op_value(m.op) == "refresh"]
        return _refresh_result(refresh[-1])
    return None, []  # same / read / remove-pending-replace: nothing changes


def _owner(
    urn: str, type_token: str, parents: Mapping[str, str], owners: Mapping[str, str]
) -> tuple[str, str]:
    chain: list[str] = [urn]
    current = parents.get(urn)
    while current and current not in chain:
        chain.append(current)
        current = parents.get(current)
    product: str | None = None
    component: str | None = None
    for index, ancestor in enumerate(chain):
        token = type_token if index == 0 else urn_type(ancestor)
        if not token.startswith(COMPONENT_PREFIX):
            continue
        name = urn_name(ancestor)
        if component is None:
            component = f"{_short_type(token)}/{name}"
        if product is None and token == PRODUCT_TYPE:
            product = name
        if product is None and name in owners:
            product = owners[name]
    if component is None:
        component = f"{type_token}/{urn_name(urn)}" if type_token.startswith("pulumi:") else "(stack)"
    return product or _SHARED, component


def _danger(op: str, type_token: str, protected: bool) -> tuple[bool, str | None]:
    if op not in ("replace", "delete"):
        return False, None
    verb = "replaces" if op == "replace" else "deletes"
    if type_token in DANGEROUS_TYPES:
        kind = type_token.rsplit(":", 1)[-1]
        what = "data" if "s3" in type_token or "glue" in type_token else "credentials"
        return True, f"{verb} a {kind}: {what} may be lost"
    if protected:
        return True, f"{verb} a protected resource"
    return False, None


def _strip(message: str) -> str:
    """Drop ANSI colour codes, Pulumi colour tags and surrounding whitespace from a diagnostic."""
    return re.sub(r"\x1b\[[0-9;]*m|<\{%[^%]*%\}>", "", message).strip()
