"""Manifests given to a component as plain mappings (how other Pulumi languages pass them), validated
by the same models and resolved by the same graph as manifests read from YAML files."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pydantic

from ..errors import ComponentArgsError
from ..graph import Graph, resolve
from ..loader import Loaded, LoadResult
from ..manifests import Manifest
from ..manifests.base import ResourceMeta
from ..yaml_source import Document

M = TypeVar("M", bound=ResourceMeta)


def as_model(model: type[M], value: Mapping[str, Any] | M, where: str) -> M:
    """``value`` as a ``model``: a model instance as it is, a mapping validated. Problems name the
    field paths, never the values (a mapping may hold secrets)."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '<root>'}: {error['msg']}" for error in exc.errors()
        )
        raise ComponentArgsError(f"{where}: not a valid {model.KIND} manifest: {problems}") from None


def graph_of(manifests: Sequence[tuple[str, Manifest]]) -> Graph:
    """Resolve manifests given as args (``(where, model)`` pairs): references checked, secrets of
    depots (inline ones included) found as for YAML manifests. Raises ``ManifestError`` at ``where``."""
    loaded = [
        Loaded(manifest=model, document=Document(file=where, index=0, data=None))
        for where, model in manifests
    ]
    return resolve(LoadResult(manifests=loaded))
