"""Error messages speak of manifest fields, never of the Python classes that model them.

Every model reachable from a kind's root model gets, in each of its fields, values of the wrong
YAML type; no message (nor the field path the loader shows) may name one of our classes
(``CronSpec``, ``BundleSpec``, ...).
"""

from __future__ import annotations

import enum
import inspect
import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from dataproduct_iac import ManifestError, ValueSources, load
from dataproduct_iac import manifests as manifest_package
from dataproduct_iac.manifests import MODELS
from dataproduct_iac.manifests.base import StrictModel

WRONG_VALUES: tuple[Any, ...] = (12345, [1, 2], "text", {"zzUnknown": 1}, None, True)


def _models_in(annotation: Any, found: dict[str, type[StrictModel]]) -> None:
    origin = get_origin(annotation)
    if origin is Annotated:
        _models_in(get_args(annotation)[0], found)
    elif origin in (Union, types.UnionType, list, dict, tuple, set):
        for arg in get_args(annotation):
            _models_in(arg, found)
    elif (
        isinstance(annotation, type)
        and issubclass(annotation, StrictModel)
        and annotation.__name__ not in found
    ):
        found[annotation.__name__] = annotation
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)


def _reachable_models() -> dict[str, type[StrictModel]]:
    found: dict[str, type[StrictModel]] = {}
    for model in MODELS.values():
        _models_in(model, found)
    return found


def _our_class_names() -> set[str]:
    names: set[str] = set()
    for module_name in manifest_package.__all__ + [m for m in dir(manifest_package) if not m.startswith("_")]:
        module = getattr(manifest_package, module_name, None)
        if inspect.ismodule(module) and module.__name__.startswith("dataproduct_iac.manifests"):
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseModel | enum.Enum)
                    and value.__module__ == module.__name__
                ):
                    names.add(name)
    names.update(_reachable_models())
    return names


MODELS_BY_NAME = _reachable_models()
CLASS_NAMES = _our_class_names()
_NAMED = re.compile(r"\b(" + "|".join(sorted(map(re.escape, CLASS_NAMES), key=len, reverse=True)) + r")\b")


def test_the_walk_reaches_the_nested_models() -> None:
    assert {"CronSpec", "BundleSpec", "Schedule", "FilterPattern", "Minerva", "V1BetaData"} <= set(
        MODELS_BY_NAME
    )
    assert len(MODELS_BY_NAME) >= 40


@pytest.mark.parametrize("model", list(MODELS_BY_NAME.values()), ids=list(MODELS_BY_NAME))
def test_no_message_names_a_python_class(model: type[StrictModel]) -> None:
    checked = 0
    for name, field in model.model_fields.items():
        key = field.alias or name
        for wrong in WRONG_VALUES:
            try:
                model.model_validate({key: wrong})
            except ValidationError as exc:
                for err in exc.errors():
                    assert not _NAMED.search(err["msg"]), f"{model.__name__}.{key}={wrong!r}: {err['msg']}"
                    checked += 1
    assert checked


def test_a_list_where_a_mapping_belongs_names_the_field_and_the_yaml_type(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text(
        "name: b\nversion: v1beta\ntype: bundle\nbundle:\n  resources:\n    - id: x\n      file: x.yaml\n"
        "  schedule:\n    delete:\n      - 12\n"
        "---\nname: p\nversion: v1alpha\ntype: data\nentity: product\ncollaborators: [7]\n"
        "v1alpha:\n  data:\n    inputs:\n      - ref: dataset:d:c:t\n"
    )
    (tmp_path / "x.yaml").write_text(
        "name: s\nversion: v1\ntype: instance-secret\ninstance-secret:\n  type: key-value\n  acl: r\n"
        "  data:\n    k: v\n"
    )
    with pytest.raises(ManifestError) as caught:
        load([tmp_path], ValueSources())
    shown = [str(d) for d in caught.value.diagnostics]
    for line in shown:
        assert not _NAMED.search(line), line
    assert any("bundle.schedule.delete[0]" in line and "got a number" in line for line in shown), shown
    assert any("collaborators[0]" in line and "got a number" in line for line in shown), shown
