"""Random mutations of valid manifests: the loader and the resolver either accept the result or
reject it with :class:`ManifestError`; nothing else may escape (no KeyError, TypeError, ...)."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataproduct_iac import ManifestError, ValueSources, load, resolve
from dataproduct_iac.diagnostics import Diagnostic
from dataproduct_iac.placeholders import read_values_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "traffic-source-analysis", ROOT / "examples" / "product-affinity-cross-sell"]


def _read_example(base: Path) -> dict[str, list[Any]]:
    files = {}
    for path in sorted((base / "manifests").rglob("*.yaml")):
        files[str(path.relative_to(base / "manifests"))] = list(yaml.safe_load_all(path.read_text()))
    return files


ORIGINALS = [(_read_example(base), read_values_file(base / "values.yaml")) for base in EXAMPLES]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "${{aws-region}}",
            "${{nobody-defines-this}}",
            "${a b/c}",
            "$HOME_NOT_SET_ANYWHERE",
            "${ENV:TRINO_SECRET}",
            "$$",
            "{{s3depot}}",
            "dataos://",
            "dataset:a:b",
            "bundle:v1beta:",
            "../../../../etc/passwd",
            "/etc/hostname",
            "CONF__config__",
            "61 * * * *",
            "52GiB",
            "r",
            "rw",
            "S3",
            "v1beta",
            "-",
            "a" * 60,
            "🙂",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for element in path:
        node = node[element]
    return node


def _mutate(document: Any, data: st.DataObject) -> Any:
    paths = _paths(document)
    path = data.draw(st.sampled_from(paths), label="path")
    operation = data.draw(
        st.sampled_from(["drop", "replace", "unknown-key", "shuffle", "placeholder", "duplicate-list-item"]),
        label="operation",
    )
    if not path:
        return data.draw(VALUES) if operation == "replace" else document
    parent, last = _get(document, path[:-1]), path[-1]
    target = parent[last]
    if operation == "drop":
        del parent[last]
    elif operation == "replace":
        parent[last] = data.draw(VALUES, label="value")
    elif operation == "unknown-key" and isinstance(target, dict):
        target[data.draw(st.text(min_size=1, max_size=12), label="key")] = data.draw(VALUES)
    elif operation == "shuffle" and isinstance(target, list):
        parent[last] = data.draw(st.permutations(target))
    elif operation == "placeholder":
        parent[last] = data.draw(
            st.sampled_from(["${{nobody-defines-this}}", "${{aws-region}}", "$NOPE", "${{secret-key}}"])
        )
    elif operation == "duplicate-list-item" and isinstance(target, list) and target:
        target.append(copy.deepcopy(target[0]))
    return document


def _check(files: dict[str, list[Any]], values: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "manifests"
        for name, documents in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False))
        sources = ValueSources(files=[values], environment={})
        try:
            graph = resolve(load([root], sources))
        except ManifestError as exc:
            assert exc.diagnostics, "a ManifestError must carry at least one diagnostic"
            assert all(isinstance(d, Diagnostic) and d.message for d in exc.diagnostics)
            str(exc)  # rendering the error must not fail either
        else:
            assert len(graph.order) == len(graph.nodes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_structural_mutations_raise_only_manifest_errors(data: st.DataObject) -> None:
    files, values = copy.deepcopy(data.draw(st.sampled_from(ORIGINALS), label="example"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        name = data.draw(st.sampled_from(sorted(files)), label="file")
        index = data.draw(st.integers(min_value=0, max_value=len(files[name]) - 1), label="document")
        files[name][index] = _mutate(files[name][index], data)
    _check(files, values)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_text_mutations_raise_only_manifest_errors(data: st.DataObject) -> None:
    """Byte-level edits of the YAML text: syntax errors, broken indentation, stray characters."""
    base = EXAMPLES[data.draw(st.integers(min_value=0, max_value=len(EXAMPLES) - 1))]
    sources = ValueSources(files=[read_values_file(base / "values.yaml")], environment={})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "manifests"
        root.mkdir()
        names = sorted(p.name for p in (base / "manifests").glob("*.yaml"))
        for name in names:
            (root / name).write_bytes((base / "manifests" / name).read_bytes())
        victim = root / data.draw(st.sampled_from(names))
        text = bytearray(victim.read_bytes())
        for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
            position = data.draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
            action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
            byte = data.draw(st.sampled_from(list(b" \t\n:-{}[]&*!|>'\"#%@`$,?\x00\xffa")))
            if action == "delete" and text:
                del text[position]
            elif action == "insert":
                text.insert(position, byte)
            elif text:
                text[position] = byte
        victim.write_bytes(bytes(text))
        try:
            resolve(load([root], sources))
        except ManifestError as exc:
            assert exc.diagnostics
