"""Typed references between manifests.

Two spellings address data: ``dataos://depot:collection/dataset`` (optionally ``?acl=r`` or
``?acl=rw``, the depot secret to use) and ``dataset:depot:collection:dataset``; both parse to a
:class:`DatasetAddress`. Resources are
referenced as ``kind:version:name[:workspace]`` (``bundle:v1beta:x``, ``lens:v1alpha:x:public``),
which parse to a :class:`ResourceRef`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
_DATAOS_URI = re.compile(
    rf"^dataos://(?P<depot>{_SEGMENT})(?::(?P<collection>{_SEGMENT})(?:/(?P<dataset>{_SEGMENT}))?)?/?"
    r"(?:\?acl=(?P<acl>rw|r))?$"
)
_DATASET_REF = re.compile(
    rf"^dataset:(?P<depot>{_SEGMENT}):(?P<collection>{_SEGMENT}):(?P<dataset>{_SEGMENT})$"
)
_RESOURCE_REF = re.compile(
    rf"^(?P<kind>[a-z][a-z-]*):(?P<version>v[0-9][a-z0-9]*):(?P<name>{_SEGMENT})(?::(?P<workspace>{_SEGMENT}))?$"
)
_BARE_NAME = re.compile(rf"^{_SEGMENT}$")


@dataclass(frozen=True, order=True)
class DatasetAddress:
    """A depot, optionally narrowed to a collection (schema/Glue database) and a dataset (table)."""

    depot: str
    collection: str | None = None
    dataset: str | None = None
    acl: str | None = None
    """The depot secret's acl the address asks for (``?acl=r`` or ``?acl=rw``), if any."""

    @property
    def uri(self) -> str:
        out = f"dataos://{self.depot}"
        if self.collection:
            out += f":{self.collection}"
            if self.dataset:
                out += f"/{self.dataset}"
        return out + (f"?acl={self.acl}" if self.acl else "")

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True, order=True)
class ResourceRef:
    """A reference to a DataOS resource by kind, version, name and optional workspace."""

    kind: str
    version: str
    name: str
    workspace: str | None = None

    def __str__(self) -> str:
        tail = f":{self.workspace}" if self.workspace else ""
        return f"{self.kind}:{self.version}:{self.name}{tail}"


def parse_address(text: str, *, allow_bare_name: bool = False) -> DatasetAddress:
    """Parse a ``dataos://`` URI or a ``dataset:`` reference (and, when allowed, a bare depot name)."""
    value = text.strip()
    match = _DATAOS_URI.match(value)
    if match:
        return DatasetAddress(match["depot"], match["collection"], match["dataset"], match["acl"])
    match = _DATASET_REF.match(value)
    if match:
        return DatasetAddress(match["depot"], match["collection"], match["dataset"])
    if allow_bare_name and _BARE_NAME.match(value):
        return DatasetAddress(value)
    expected = "'dataos://depot[:collection[/dataset]][?acl=r|rw]' or 'dataset:depot:collection:dataset'"
    if allow_bare_name:
        expected = "a depot name, " + expected
    raise ValueError(f"{text!r} is not a valid address; expected {expected}")


def parse_ref(text: str) -> DatasetAddress | ResourceRef:
    """Parse any reference found in a data product: a dataset address or a resource reference."""
    value = text.strip()
    if value.startswith(("dataos://", "dataset:")):
        return parse_address(value)
    match = _RESOURCE_REF.match(value)
    if match:
        return ResourceRef(match["kind"], match["version"], match["name"], match["workspace"])
    raise ValueError(
        f"{text!r} is not a valid reference; expected 'kind:version:name[:workspace]' "
        "(e.g. 'bundle:v1beta:my-bundle'), 'dataset:depot:collection:dataset' or "
        "'dataos://depot:collection/dataset'"
    )
