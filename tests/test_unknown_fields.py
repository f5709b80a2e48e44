"""Unknown fields are named with the nearest known field, at every depth, however validation is called.

The hint is computed from the error's location when validation fails (``manifests.base.model_at``),
so every nested model must be reachable from its root model's field types.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dataproduct_iac.manifests import MODELS, DataProduct, Depot, kind_of
from dataproduct_iac.manifests.base import Ref, StrictModel, model_at

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = sorted((ROOT / "examples").glob("*/manifests/*.yaml"))


def _mappings(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [path] if isinstance(node, dict) else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out.extend(_mappings(value, (*path, key)))
    return out


def _messages(model: type[StrictModel], data: Any) -> list[tuple[tuple[str | int, ...], str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(tuple(e["loc"]), e["type"], e["msg"]) for e in caught.value.errors()]


@pytest.mark.parametrize("file", MANIFESTS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_an_unknown_key_in_any_model_mapping_names_the_known_fields(file: Path) -> None:
    checked = 0
    for document in yaml.safe_load_all(file.read_text()):
        model = MODELS[kind_of(document)]
        for path in _mappings(document):
            target = model_at(model, path)
            if target is None:
                continue  # a free-form mapping (labels, properties, secret data, bundle specs)
            data = copy.deepcopy(document)
            node = data
            for element in path:
                node = node[element]
            node["zzUnknownKey"] = 1
            errors = _messages(model, data)
            ours = [e for e in errors if e[0][-1] == "zzUnknownKey"]
            assert ours, errors
            for _, kind, message in ours:
                assert kind == "unknown_field"
                assert message.startswith("unknown field 'zzUnknownKey' (known fields: ")
                assert ", ".join(sorted(target.known_keys())) in message
            checked += 1
    assert checked >= 2


def test_a_union_member_model_gets_the_hint() -> None:
    data = {
        "name": "p",
        "version": "v1alpha",
        "type": "data",
        "collaborators": [{"name": "x", "nmae": 1}],
        "v1alpha": {"data": {"collaborators": ["a", {"nme": "b"}], "inputs": [{"ref": "dataset:a:b:c"}]}},
    }
    messages = {(loc, msg) for loc, kind, msg in _messages(DataProduct, data) if kind == "unknown_field"}
    assert messages == {
        (("collaborators", 0, "Collaborator", "nmae"), "unknown field 'nmae' (did you mean 'name'?)"),
        (
            ("v1alpha", "data", "collaborators", 1, "Collaborator", "nme"),
            "unknown field 'nme' (did you mean 'name'?)",
        ),
    }


def test_the_constructor_and_the_v1_spec_block_get_the_hint() -> None:
    data = {"name": "d", "version": "v1", "type": "depot", "depot": {"type": "S3", "spec": {"bukcet": "b"}}}
    for call in (lambda: Depot(**data), lambda: Depot.model_validate(data)):
        with pytest.raises(ValidationError) as caught:
            call()
        errors = [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors() if e["type"] == "unknown_field"]
        assert errors == [(("depot", "spec", "bukcet"), "unknown field 'bukcet' (did you mean 'bucket'?)")]


def test_model_at_follows_fields_lists_and_optionals() -> None:
    from dataproduct_iac.manifests.workflow import FilterPattern

    loc = (
        "workflow",
        "dag",
        0,
        "spec",
        "ScannerJobSpec",
        "stackSpec",
        "sourceConfig",
        "config",
        "schemaFilterPattern",
    )
    assert model_at(MODELS["workflow"], loc) is FilterPattern
    assert model_at(MODELS["workflow"], ("workflow", "dag", "x")) is None
    assert model_at(MODELS["depot"], ("depot", "spec")) is None  # a free-form mapping


def test_json_and_strings_validation_and_type_adapters_get_the_hint() -> None:
    import json

    from pydantic import TypeAdapter

    from dataproduct_iac.manifests.base import named_unknown_fields
    from dataproduct_iac.manifests.product import Ports

    hint = "unknown field 'purpse' (did you mean 'purpose'?)"
    data = {"rest": [{"ref": "dataset:d:c:t", "purpse": "x"}]}
    with pytest.raises(ValidationError) as caught:
        Ports.model_validate_json(json.dumps(data))
    assert [e["msg"] for e in caught.value.errors()] == [hint]
    with pytest.raises(ValidationError) as caught:
        Ref.model_validate_strings({"href": "https://x", "titel": "t"})
    assert [e["msg"] for e in caught.value.errors()] == ["unknown field 'titel' (did you mean 'title'?)"]
    # Through a TypeAdapter pydantic reports its own message; named_unknown_fields rewrites it.
    try:
        TypeAdapter(list[Ports]).validate_python([data])
    except ValidationError as exc:
        assert [e["type"] for e in exc.errors()] == ["extra_forbidden"]
        rewritten = named_unknown_fields(list[Ports], exc)
    else:
        pytest.fail("an unknown field was accepted")
    assert [e["msg"] for e in rewritten.errors()] == [hint]
