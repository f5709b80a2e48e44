"""YAML 1.1 merge keys (``<<``) as the manifests use them: keys written in the mapping override the
merged ones (that is not a duplicate key; a key written twice is), of a list of merged mappings the
earlier one wins, and every key keeps the line it is written on, so errors point at it.

The property tests check values and lines against a small model of which written key wins, and the
values against PyYAML's ``SafeLoader`` where PyYAML gets merges right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproduct_iac.diagnostics import ManifestError
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.yaml_source import parse_documents


def parsed(text: str) -> tuple[dict[object, object], dict[tuple[object, ...], int], list[str]]:
    documents, problems = parse_documents(text, "f.yaml")
    assert len(documents) == 1
    return documents[0].data, documents[0].lines, [f"{p.line}: {p.field}: {p.message}" for p in problems]


def test_a_key_written_beside_a_merge_overrides_the_merged_one() -> None:
    data, lines, problems = parsed(
        "base: &base\n"  # 1
        "  acl: r\n"  # 2
        "  type: key-value\n"  # 3
        "secret:\n"  # 4
        "  <<: *base\n"  # 5
        "  acl: rw\n"  # 6
    )
    assert problems == []
    assert data["secret"] == {"acl": "rw", "type": "key-value"}
    assert lines[("secret", "acl")] == 6
    assert lines[("secret", "type")] == 3


def test_the_override_may_come_before_the_merge_key() -> None:
    data, lines, problems = parsed("base: &base {acl: r, type: t}\nsecret:\n  acl: rw\n  <<: *base\n")
    assert problems == []
    assert data["secret"] == {"acl": "rw", "type": "t"}
    assert lines[("secret", "acl")] == 3


def test_a_key_written_twice_beside_a_merge_is_still_a_duplicate() -> None:
    _, _, problems = parsed("base: &base {acl: r}\nsecret:\n  <<: *base\n  acl: rw\n  acl: r\n")
    assert problems == ["5: secret.acl: duplicate key 'acl' (first on line 4)"]


def test_of_a_list_of_merged_mappings_the_earlier_wins() -> None:
    data, lines, problems = parsed(
        "a: &a {acl: r, x: 1}\n"  # 1
        "b: &b {acl: rw, y: 2, x: 3}\n"  # 2
        "m:\n"  # 3
        "  <<: [*a, *b]\n"  # 4
        "  y: 5\n"  # 5
    )
    assert problems == []
    assert data["m"] == {"acl": "r", "x": 1, "y": 5}
    assert (lines[("m", "acl")], lines[("m", "x")], lines[("m", "y")]) == (1, 1, 5)


def test_a_merged_mapping_that_merges_and_overrides_itself_merges_as_its_result() -> None:
    data, lines, problems = parsed(
        "a: &a {acl: r, x: 1}\n"  # 1
        "b: &b\n"  # 2
        "  <<: *a\n"  # 3
        "  acl: rw\n"  # 4
        "c:\n"  # 5
        "  <<: *b\n"  # 6
        "  x: 2\n"  # 7
    )
    assert problems == []
    assert data == {"a": {"acl": "r", "x": 1}, "b": {"acl": "rw", "x": 1}, "c": {"acl": "rw", "x": 2}}
    assert (lines[("c", "acl")], lines[("c", "x")], lines[("b", "acl")]) == (4, 7, 4)


SECRET = """\
name: s
version: v1
type: instance-secret
layer: user
instance-secret:
  <<: {{type: key-value, acl: {merged}, data: {{k: v}}}}
  acl: {written}
"""


def test_a_manifest_error_in_an_overriding_key_names_its_line(tmp_path: Path) -> None:
    manifest = tmp_path / "s.yaml"
    manifest.write_text(SECRET.format(merged="r", written="bad"))
    with pytest.raises(ManifestError) as caught:
        load([manifest], ValueSources(environment={}))
    assert [(d.line, d.field) for d in caught.value.diagnostics] == [(7, "instance-secret.acl")]


def test_a_manifest_whose_override_is_valid_loads(tmp_path: Path) -> None:
    manifest = tmp_path / "s.yaml"
    manifest.write_text(SECRET.format(merged="bad", written="rw"))
    (secret,) = load([manifest], ValueSources(environment={})).manifests
    assert secret.manifest.instance_secret.acl == "rw"  # type: ignore[attr-defined]


# --- property: any arrangement of anchors, merges and overrides reads as YAML 1.1 says -----------------

KEYS = "abcde"


@dataclass
class Block:
    """One mapping: its anchor, the earlier blocks it merges (in order) and the keys it writes."""

    merges: list[int]
    written: dict[str, int]
    as_list: bool


@st.composite
def blocks(draw: st.DrawFn) -> list[Block]:
    count = draw(st.integers(1, 5))
    out: list[Block] = []
    for index in range(count):
        merges = draw(st.lists(st.integers(0, index - 1), max_size=3)) if index else []
        written = draw(st.dictionaries(st.sampled_from(KEYS), st.integers(0, 99), max_size=4))
        out.append(Block(merges, written, as_list=len(merges) != 1 or draw(st.booleans())))
    return out


def render(blocks_: list[Block], write_merge_last: list[bool]) -> tuple[str, dict[tuple[str, str], int]]:
    """The YAML text (block style, one key per line) and the line each written key is on."""
    lines: list[str] = []
    written_at: dict[tuple[str, str], int] = {}
    for index, block in enumerate(blocks_):
        lines.append(f"m{index}: &m{index}")
        merge = []
        if block.merges:
            refs = ", ".join(f"*m{i}" for i in block.merges)
            merge = [f"  <<: [{refs}]" if block.as_list else f"  <<: {refs}"]
        if not block.merges and not block.written:
            lines[-1] += " {}"
        if not write_merge_last[index]:
            lines.extend(merge)
        for key, value in block.written.items():
            lines.append(f"  {key}: {value}")
            written_at[(f"m{index}", key)] = len(lines)
        if write_merge_last[index]:
            lines.extend(merge)
    return "\n".join(lines) + "\n", written_at


def model(
    blocks_: list[Block], written_at: dict[tuple[str, str], int]
) -> dict[str, dict[str, tuple[int, int]]]:
    """Each block's mapping as YAML 1.1 reads it, with the line each value is written on: the block's own
    keys, then those of the blocks it merges that it lacks, the earlier merged block first."""
    effective: list[dict[str, tuple[int, int]]] = []
    for index, block in enumerate(blocks_):
        pairs = {key: (value, written_at[(f"m{index}", key)]) for key, value in block.written.items()}
        for source in block.merges:
            for key, pair in effective[source].items():
                pairs.setdefault(key, pair)
        effective.append(pairs)
    return {f"m{index}": pairs for index, pairs in enumerate(effective)}


@settings(max_examples=300, deadline=None)
@given(blocks(), st.data())
def test_merges_and_overrides_read_as_yaml_1_1_says(blocks_: list[Block], data: st.DataObject) -> None:
    order = data.draw(st.lists(st.booleans(), min_size=len(blocks_), max_size=len(blocks_)))
    text, written_at = render(blocks_, order)
    documents, problems = parse_documents(text, "f.yaml")
    assert [p.message for p in problems] == []
    (document,) = documents
    expected = model(blocks_, written_at)
    assert document.data == {
        name: {key: value for key, (value, _) in pairs.items()} for name, pairs in expected.items()
    }
    assert {path: line for path, line in document.lines.items() if len(path) == 2} == {
        (name, key): line for name, pairs in expected.items() for key, (_, line) in pairs.items()
    }
    if not any(blocks_[source].merges for block in blocks_ for source in block.merges):
        # PyYAML agrees while no merged mapping merges others itself (then it lets a merged mapping's
        # overridden key win: {<<: *m1} of m1 = {<<: *m0, a: 1} reads a from m0).
        assert document.data == yaml.safe_load(text)


@settings(max_examples=100, deadline=None)
@given(blocks(), st.sampled_from(KEYS), st.data())
def test_a_key_written_twice_is_a_duplicate_whatever_is_merged(
    blocks_: list[Block], key: str, data: st.DataObject
) -> None:
    target = data.draw(st.integers(0, len(blocks_) - 1))
    blocks_[target].written.setdefault(key, 1)
    text, written_at = render(blocks_, [False] * len(blocks_))
    first = written_at[(f"m{target}", key)]
    lines = text.splitlines()
    lines.insert(first, f"  {key}: 2")  # the same key again, right after the first
    _, problems = parse_documents("\n".join(lines) + "\n", "f.yaml")
    assert [(p.line, p.field, p.message) for p in problems] == [
        (first + 1, f"m{target}.{key}", f"duplicate key {key!r} (first on line {first})")
    ]
