"""Typed DataOS manifests (pydantic v2). Nothing here imports pulumi."""

from __future__ import annotations

from typing import Any

from ..errors import DataproductError
from ..placeholders import SCHEMA_PATTERN
from .base import ResourceMeta, StrictModel
from .bundle import Bundle, BundleResource
from .cluster import Cluster
from .connections import DepotType
from .depot import Depot
from .instance_secret import Acl, InstanceSecret
from .product import DataProduct, DeprecatedFieldWarning
from .refs import DatasetAddress, ResourceRef, parse_address, parse_ref
from .workflow import Workflow

Manifest = InstanceSecret | Depot | Workflow | Cluster | Bundle | DataProduct

MODELS: dict[str, type[ResourceMeta]] = {
    "instance-secret": InstanceSecret,
    "depot": Depot,
    "workflow": Workflow,
    "cluster": Cluster,
    "bundle": Bundle,
    "product": DataProduct,
}
"""Kind → model. The kind of a data product is ``product`` (its ``type`` is ``data``)."""


class UnknownKind(DataproductError):
    """The document is not a manifest of a supported kind; ``field`` names the field that says so."""

    field: str

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


def kind_of(document: Any) -> str:
    """Which kind a raw document is, from ``type`` (and ``entity`` for data products)."""
    if not isinstance(document, dict):
        raise UnknownKind(
            f"a manifest must be a mapping of fields, got {type(document).__name__}", "<document>"
        )
    if document.get("entity") == "product" or (
        document.get("type") == "data" and ("v1beta" in document or "v1alpha" in document)
    ):
        return "product"
    kind = document.get("type")
    if kind is None:
        raise UnknownKind(
            f"missing 'type' (one of: {', '.join(k for k in MODELS if k != 'product')}; "
            "data products have 'entity: product' and 'type: data')",
            "type",
        )
    if not isinstance(kind, str):
        raise UnknownKind(f"'type' must be text naming the kind, got {type(kind).__name__}", "type")
    if kind not in MODELS or kind == "product":
        raise UnknownKind(
            f"unsupported type {kind!r}; supported: {', '.join(k for k in MODELS if k != 'product')}, "
            "and data products ('entity: product', 'type: data')",
            "type",
        )
    return str(kind)


def secret_paths(kind: str) -> tuple[tuple[str, ...], ...]:
    """Path prefixes (with ``*`` for any list index or key) whose values are secret."""
    if kind == "instance-secret":
        return (("instance-secret", "data"),)
    if kind == "depot":
        return (("depot", "connectionSecret", "*", "data"),)
    return ()


_PLACEHOLDER_SCHEMA = {
    "type": "string",
    "pattern": SCHEMA_PATTERN,
    "description": "a placeholder, filled from --set, --values or the environment",
}
_DISCRIMINATORS = ("type", "entity")
_ANNOTATIONS = ("title", "description", "default", "examples", "deprecated")


def _constrains_scalar(node: dict[str, Any]) -> bool:
    if "enum" in node or "const" in node or "pattern" in node or "format" in node:
        return True
    kind = node.get("type")
    return kind in ("integer", "number", "boolean") or (
        isinstance(kind, list) and any(k in ("integer", "number", "boolean") for k in kind)
    )


def _allow_placeholders(node: Any, *, property_name: str | None = None) -> Any:
    """Let every constrained scalar also be a placeholder string, as manifests are written."""
    if isinstance(node, list):
        return [_allow_placeholders(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "patternProperties"):
            out[key] = {name: _allow_placeholders(sub, property_name=name) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not", "prefixItems"):
            out[key] = _allow_placeholders(value)
        else:
            out[key] = value
    if _constrains_scalar(out) and property_name not in _DISCRIMINATORS:
        annotations = {k: out.pop(k) for k in _ANNOTATIONS if k in out}
        return {**annotations, "anyOf": [out, _PLACEHOLDER_SCHEMA]}
    return out


def json_schemas(kind: str | None = None, *, placeholders: bool = True) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for one kind, or for any manifest (for editor validation).

    With ``placeholders`` (the default), a field with a constrained value (a number, an enum, a
    pattern) also accepts a string holding a placeholder, as raw manifests are written; without
    it, the schema describes manifests after their placeholders are filled. The any-kind schema
    picks the kind's schema from ``type`` (and ``entity: product`` for data products).
    """
    if kind is not None:
        if kind not in MODELS:
            raise KeyError(kind)
        schema = MODELS[kind].model_json_schema(by_alias=True)
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
        return _allow_placeholders(schema) if placeholders else schema
    defs: dict[str, Any] = {}
    branches: list[dict[str, Any]] = []
    for name, model in MODELS.items():
        schema = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        title = schema.get("title", model.__name__)
        defs[title] = schema
        if name == "product":
            condition: dict[str, Any] = {
                "anyOf": [
                    {"required": ["entity"], "properties": {"entity": {"const": "product"}}},
                    {"required": ["type"], "properties": {"type": {"const": "data"}}},
                ]
            }
        else:
            condition = {"required": ["type"], "properties": {"type": {"const": name}}}
        branches.append({"if": condition, "then": {"$ref": f"#/$defs/{title}"}})
    kinds = [k for k in MODELS if k != "product"]
    combined = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dataproduct-iac.invalid/schema/manifest.json",
        "title": "DataOS manifest (dataproduct-iac)",
        "description": (
            "Any manifest dataproduct-iac reads: " + ", ".join(kinds) + ", and data products "
            "(entity: product, type: data). Generated by `dataproduct schema`."
        ),
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": [*kinds, "data"]}},
        "allOf": branches,
        "$defs": defs,
    }
    return _allow_placeholders(combined) if placeholders else combined


__all__ = [
    "MODELS",
    "Acl",
    "Bundle",
    "BundleResource",
    "Cluster",
    "DataProduct",
    "DatasetAddress",
    "Depot",
    "DepotType",
    "DeprecatedFieldWarning",
    "InstanceSecret",
    "Manifest",
    "ResourceMeta",
    "ResourceRef",
    "StrictModel",
    "UnknownKind",
    "Workflow",
    "json_schemas",
    "kind_of",
    "parse_address",
    "parse_ref",
    "secret_paths",
]
