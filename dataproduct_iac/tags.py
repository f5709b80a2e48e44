"""Tags of AWS resources and ownership labels of Kubernetes objects: computed here, and only here.

The components tag what they create with these functions, and the live drift checks expect the same
tags from the same functions. No pulumi import.

Owner (``dataproduct:owner``): the manifest's ``owner``, else the owner of the data product the
resource belongs to (through the product's bundle), else the stack-wide ``tags.owner`` setting, else
:data:`DEFAULT_OWNER` (and the component warns). ``dataproduct:product`` names that data product.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .manifests import DataProduct, Depot, InstanceSecret
from .settings import StackSettings

OWNER_TAG = "dataproduct:owner"
PRODUCT_TAG = "dataproduct:product"
ENVIRONMENT_TAG = "dataproduct:environment"
OWNER_SETTING = "owner"
"""The key of ``settings.tags`` that names the stack-wide owner."""
DEFAULT_OWNER = "unowned"
OWNER_LABEL = "dataproduct.io/owner"
PRODUCT_LABEL = "dataproduct.io/product"

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Ownership:
    """Who owns a resource, and the data product it belongs to (if any)."""

    owner: str
    product: str | None = None
    defaulted: bool = False
    """No owner anywhere: :data:`DEFAULT_OWNER` stands in (worth a warning)."""

    def warning(self, what: str) -> str | None:
        """The warning for a defaulted owner (``what``: e.g. ``depot 'lake'``), else ``None``."""
        if not self.defaulted:
            return None
        return (
            f"{what} has no owner (no 'owner' in its manifest, no owning data product, no stack tag "
            f"'{OWNER_SETTING}'); tagged {OWNER_TAG}={DEFAULT_OWNER}"
        )


def ownership(
    settings: StackSettings,
    *,
    owner: str | None = None,
    product: str | None = None,
    product_owner: str | None = None,
) -> Ownership:
    """The owner by precedence: ``owner``, ``product_owner``, ``settings.tags['owner']``, the default."""
    for candidate in (owner, product_owner, settings.tags.get(OWNER_SETTING)):
        if candidate:
            return Ownership(candidate, product)
    return Ownership(DEFAULT_OWNER, product, defaulted=True)


def resource_tags(
    settings: StackSettings,
    owned: Ownership,
    specific: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Stack tags, then the resource's own ``dataproduct:*`` tags, environment, owner, product, ``extra``."""
    tags = {**settings.tags, **specific, ENVIRONMENT_TAG: settings.environment, OWNER_TAG: owned.owner}
    if owned.product:
        tags[PRODUCT_TAG] = owned.product
    tags.update(extra or {})
    return tags


def secret_tags(
    secret: InstanceSecret,
    settings: StackSettings,
    owned: Ownership,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Tags of an instance secret's Secrets Manager secret."""
    specific = {"dataproduct:name": secret.name, "dataproduct:acl": secret.acl.value}
    if secret.layer:
        specific["dataproduct:layer"] = secret.layer
    return resource_tags(settings, owned, specific, extra)


def depot_tags(depot: Depot, settings: StackSettings, owned: Ownership) -> dict[str, str]:
    """Tags of a depot's bucket, Glue databases and IAM policies."""
    return resource_tags(settings, owned, {"dataproduct:depot": depot.name})


def product_ownership(product: DataProduct, settings: StackSettings) -> Ownership:
    """A data product owns itself: its owner, else the stack's."""
    return ownership(settings, owner=product.owner, product=product.name)


def label_value(value: str) -> str | None:
    """``value`` as a Kubernetes label value (``[A-Za-z0-9_.-]``, ≤ 63, alphanumeric ends), or None."""
    cleaned = _LABEL_UNSAFE.sub("-", value)[:63].strip("-_.")
    return cleaned or None


def kubernetes_labels(owned: Ownership) -> dict[str, str]:
    """The ownership labels matching the owner and product tags."""
    labels: dict[str, str] = {}
    for key, value in ((OWNER_LABEL, owned.owner), (PRODUCT_LABEL, owned.product)):
        shown = label_value(value) if value else None
        if shown:
            labels[key] = shown
    return labels
