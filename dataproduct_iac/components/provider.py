"""The components as a Pulumi component provider: other Pulumi languages use them through
``pulumi package add`` (``provider/PulumiPlugin.yaml``), from the schema the SDK's analyzer infers
from the Args and Output annotations."""

import json
from typing import Any

from pulumi.provider.experimental.component import ComponentProvider

from ..version import __version__
from . import COMPONENTS, PACKAGE


def component_provider() -> ComponentProvider:
    """The provider ``provider/__main__.py`` hosts."""
    return ComponentProvider(list(COMPONENTS), PACKAGE, version=__version__)


def schema() -> dict[str, Any]:
    """The package schema (what ``pulumi package add`` generates other languages' SDKs from)."""
    text = component_provider().schema
    assert text is not None  # ComponentProvider always renders one
    document: dict[str, Any] = json.loads(text)
    return document
