"""Typed DataOS manifests (pydantic v2). Nothing here imports pulumi."""

from __future__ import annotations

from typing import Any

from .base import ResourceMeta, StrictModel
from .bundle import Bundle, BundleResource
from .cluster import Cluster
from .depot import Depot, DepotType
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


class UnknownKind(ValueError):
    """The document is not a manifest of a supported kind."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


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


def json_schemas(kind: str | None = None) -> dict[str, Any]:
    """JSON Schema for one kind, or a schema accepting any kind (for editor validation)."""
    if kind is not None:
        if kind not in MODELS:
            raise KeyError(kind)
        return MODELS[kind].model_json_schema(by_alias=True)
    schemas = {
        name: model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        for name, model in MODELS.items()
    }
    defs: dict[str, Any] = {}
    one_of = []
    for name, schema in schemas.items():
        defs.update(schema.pop("$defs", {}))
        title = schema.get("title", name)
        defs[title] = schema
        one_of.append({"$ref": f"#/$defs/{title}"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "DataOS manifest (dataproduct-iac)",
        "oneOf": one_of,
        "$defs": defs,
    }


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
