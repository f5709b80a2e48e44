"""Hostile input: manifests and values files that would exhaust memory, time or the stack are refused
with one ``file:line`` error naming the limit (InputLimits in yaml_source.py, the bundle limits in
loader.py), never a traceback; recursive globs end on symlink loops.

The CLI cases run ``dataproduct`` as users run it (exit code 1, no traceback). How long and how much
memory the refusals take is measured in the report of issue 16, not asserted here.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest
from helpers.cli import run_dataproduct
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproduct_iac.diagnostics import ManifestError
from dataproduct_iac.loader import MAX_BUNDLE_MEMBERS, MAX_BUNDLE_RESOURCES, load
from dataproduct_iac.manifest_paths import glob_files
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.yaml_source import LIMITS, InputLimits, parse_documents

SECRET = """\
name: {name}
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value
  acl: r
  data:
    k: {value}
"""


def alias_bomb(levels: int = 9) -> str:
    """The billion-laughs document: 9 aliases per level, 9^levels strings; a few hundred bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join(f"*a{level - 1}" for _ in range(9)) + "]")
    return "\n".join(lines) + "\n"


def errors_of(path: Path, values: Path | None = None) -> list[str]:
    result = run_dataproduct(
        "validate", str(path), *(["--values", str(values)] if values else []), timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "RecursionError" not in output and "MemoryError" not in output
    return [line for line in output.splitlines() if line.startswith(str(path)) or ": " in line]


def test_an_alias_bomb_in_a_manifest_is_refused_at_its_line(tmp_path: Path) -> None:
    manifest = tmp_path / "bomb.yaml"
    manifest.write_text(
        SECRET.format(name="s", value="v")
        + "extra:\n"
        + "".join(f"  {x}\n" for x in alias_bomb().splitlines())
    )
    assert len(manifest.read_bytes()) < 600
    output = "\n".join(errors_of(manifest))
    assert f"{manifest}:" in output and "the limit of nodes per file" in output


def test_an_alias_bomb_in_a_values_file_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "s.yaml"
    manifest.write_text(SECRET.format(name="s", value="v"))
    values = tmp_path / "values.yaml"
    values.write_text(alias_bomb())
    output = "\n".join(errors_of(manifest, values))
    assert f"{values}:" in output and "the limit of nodes per file" in output


def test_a_values_file_that_never_ends_is_refused_by_its_size(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        read_values_file("/dev/zero")
    assert "the limit of a YAML file's size" in str(caught.value)


def test_a_manifest_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    manifest = tmp_path / "big.yaml"
    manifest.write_text(SECRET.format(name="s", value="x" * (LIMITS.max_bytes + 1)))
    with pytest.raises(ManifestError) as caught:
        load([manifest], ValueSources(environment={}))
    assert f"{manifest.name}:1: <file>: the file is larger than 4 MiB" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: x\ntags: &t [a, *t]\n", 2, "tags[1]: an alias refers to the collection that holds it"),
        ("a: &a {b: *a}\n", 1, "an alias refers to the collection that holds it"),
        ("a: &a\n  x: 1\n  <<: *a\n", 1, "merges a mapping into itself"),
        (
            "a: " + "[" * 500 + "]" * 500 + "\n",
            1,
            "nested deeper than 64 levels (the limit of nesting depth)",
        ),
        (
            "".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v\n",
            65,
            "nested deeper than 64 levels",
        ),
        (alias_bomb(), 5, "the limit of nodes per file"),
        (
            "a: &a {x: 1}\n"
            + "".join(
                f"{k}: &{k} {{<<: *{p}, " + ", ".join(f"{k}{i}: *{p}" for i in range(9)) + "}\n"
                for p, k in zip("abcdefg", "bcdefgh", strict=True)
            ),
            5,
            "through aliases and merge keys (the limit of nodes per file)",
        ),
        ("a: [" + ",".join(["1"] * 150_000) + "]\n", 1, "holds more than 100,000 YAML nodes"),
        ("".join(f"---\nn: {i}\n" for i in range(1_001)), 2001, "more than 1,000 YAML documents in one file"),
    ],
    ids=[
        "self-alias",
        "self-alias-in-mapping",
        "self-merge",
        "flow-nesting",
        "block-nesting",
        "alias-bomb",
        "merge-bomb",
        "dense-nodes",
        "documents",
    ],
)
def test_yaml_over_a_limit_is_one_located_error(text: str, line: int, message: str) -> None:
    documents, problems = parse_documents(text, "f.yaml")
    assert documents == []
    assert [(p.file, p.line, p.field) for p in problems] == [("f.yaml", line, "<yaml>")]
    assert message in problems[0].message


def test_merging_one_mapping_many_times_costs_its_keys_once() -> None:
    text = "a: &a {x: 1}\n" + "".join(
        f"{k}: &{k} {{<<: [{','.join([f'*{p}'] * 9)}]}}\n" for p, k in zip("abcdefg", "bcdefgh", strict=True)
    )
    documents, problems = parse_documents(text, "f.yaml")
    assert problems == []
    assert documents[0].data == {name: {"x": 1} for name in "abcdefgh"}


def test_limits_are_inclusive_and_documents_within_them_load() -> None:
    limits = InputLimits(max_documents=3, max_nodes=20, max_depth=3)
    documents, problems = parse_documents("a: 1\n---\nb: [1, 2]\n---\nc: {d: [x]}\n", "f", limits)
    assert problems == [] and [d.data for d in documents] == [{"a": 1}, {"b": [1, 2]}, {"c": {"d": ["x"]}}]
    _, problems = parse_documents("a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n", "f", limits)
    assert [p.line for p in problems] == [6] and "more than 3 YAML documents" in problems[0].message
    _, problems = parse_documents("c: {d: [[x]]}\n", "f", limits)
    assert "nested deeper than 3 levels" in problems[0].message
    # an alias is as expensive as what it refers to
    _, problems = parse_documents("a: &a [1, 2, 3, 4, 5, 6]\nb: [*a, *a, *a]\n", "f", limits)
    assert "through aliases" in problems[0].message
    documents, problems = parse_documents("a: &a [1, 2]\nb: [*a, *a]\n", "f", limits)
    assert problems == [] and documents[0].data == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


def bundle(name: str, entries: list[str]) -> str:
    resources = "".join(f"    - id: r{i}\n      file: {entry}\n" for i, entry in enumerate(entries))
    return f"name: {name}\nversion: v1beta\ntype: bundle\nlayer: user\nbundle:\n  resources:\n{resources}"


def test_a_bundle_that_lists_itself_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text(bundle("b", ["bundle.yaml"] * 10))
    output = "\n".join(errors_of(tmp_path))
    assert "bundle.resources[0].file: bundle file 'bundle.yaml' includes itself" in output


def test_bundles_that_include_each_other_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(bundle("a", ["b.yaml"]))
    (tmp_path / "b.yaml").write_text(bundle("b", ["a.yaml"]))
    with pytest.raises(ManifestError) as caught:
        load([tmp_path / "a.yaml"], ValueSources(environment={}))
    assert "includes itself" in str(caught.value) and "a.yaml → " in str(caught.value)


def test_bundles_that_multiply_stop_at_the_member_limit(tmp_path: Path) -> None:
    for level in range(8):  # ten entries per level, eight levels: 10^8 members without the limit
        (tmp_path / f"f{level}.yaml").write_text(bundle(f"b{level}", [f"f{level + 1}.yaml"] * 10))
    (tmp_path / "f8.yaml").write_text(SECRET.format(name="s", value="v"))
    with pytest.raises(ManifestError) as caught:
        load([tmp_path / "f0.yaml"], ValueSources(environment={}))
    assert f"more than {MAX_BUNDLE_MEMBERS:,} manifests (the limit of bundle members per load)" in str(
        caught.value
    )


def test_a_bundle_over_the_fan_out_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SECRET.format(name="s", value="v"))
    (tmp_path / "b.yaml").write_text(bundle("b", ["s.yaml"] * (MAX_BUNDLE_RESOURCES + 1)))
    with pytest.raises(ManifestError) as caught:
        load([tmp_path / "b.yaml"], ValueSources(environment={}))
    assert "b.yaml:6: bundle.resources: 1,001 entries; a bundle lists at most 1,000" in str(caught.value)


def test_a_recursive_glob_enters_each_real_directory_once(tmp_path: Path) -> None:
    manifests = tmp_path / "m"
    (manifests / "sub").mkdir(parents=True)
    (manifests / "a.yaml").write_text(SECRET.format(name="a", value="v"))
    (manifests / "sub" / "b.yaml").write_text(SECRET.format(name="b", value="v"))
    (manifests / "sub" / "here").symlink_to(".")  # two links to itself: Python's glob walks 2^40 paths
    (manifests / "sub" / "up").symlink_to("..")
    result = run_dataproduct("validate", "m/**/*.yaml", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 manifests valid in 2 files" in result.stdout


@st.composite
def trees(draw: st.DrawFn) -> list[str]:
    names = st.sampled_from(["a", "b", ".h", "ab", "x.yaml", "y.yml", ".z.yaml", "c.yaml"])
    return draw(st.lists(st.lists(names, min_size=1, max_size=4).map("/".join), max_size=12))


PATTERNS = ["**/*.yaml", "t/**/*.yaml", "t/**/*.y*ml", "t/*/*.yaml", "t/**/a/*", "t/[ab]*/**/?.yaml", "t/**"]


@settings(max_examples=60, deadline=None)
@given(tree=trees(), pattern=st.sampled_from(PATTERNS))
def test_glob_without_links_matches_what_python_globs(
    tmp_path_factory: pytest.TempPathFactory, tree: list[str], pattern: str
) -> None:
    root = tmp_path_factory.mktemp("glob")
    for path in tree:
        target = root / "t" / path
        if any(
            (root / "t" / Path(*Path(path).parts[: i + 1])).is_file() for i in range(len(Path(path).parts))
        ):
            continue
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        expected = sorted(glob.glob(pattern, recursive=True))
        ours = sorted(glob_files(pattern))
    finally:
        os.chdir(cwd)
    if pattern.endswith("**"):  # glob also yields the directory before '**' itself ('t/')
        expected = [p for p in expected if p != pattern[:-2]]
    assert ours == [p.rstrip("/") for p in expected]


def test_a_placeholder_whose_value_is_a_placeholder_warns(tmp_path: Path) -> None:
    from dataproduct_iac.loader import load as load_manifests

    manifest = tmp_path / "s.yaml"
    manifest.write_text(SECRET.format(name="s", value='"${{a}}"'))
    result = load_manifests([manifest], ValueSources(set_values={"a": "${{b}}", "b": "real"}, environment={}))
    assert [(w.line, w.field, w.severity) for w in result.warnings] == [
        (9, "instance-secret.data.k", "warning")
    ]
    assert "placeholder 'a' holds the placeholder 'b', which is not filled in" in result.warnings[0].message
    secret = ValueSources(secrets={"a": "pa$word"}, environment={})
    assert load_manifests([manifest], secret).warnings == []  # a secret's text is never named


def test_placeholders_that_would_repeat_a_large_value_past_a_limit_are_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "s.yaml"
    manifest.write_text(SECRET.format(name="s", value='"' + "${{big}}" * 20 + '"'))
    with pytest.raises(ManifestError) as caught:  # 20 copies of 1 MB in one string
        load([manifest], ValueSources(set_values={"big": "x" * 1_000_000}, environment={}))
    assert "s.yaml:9: instance-secret.data.k: filling in placeholder 'big' takes the file past 16 MiB" in str(
        caught.value
    )
    manifest.write_text(SECRET.format(name="s", value="v") + "extra:\n  a: ${{tree}}\n  b: ${{tree}}\n")
    tree = {"items": [{"n": i} for i in range(30_000)]}  # 60,001 nodes, twice: past 100,000
    with pytest.raises(ManifestError) as caught:
        load([manifest], ValueSources(files=[{"tree": tree}], environment={}))
    assert "extra.b: filling in placeholder 'tree' takes the file past 100,000 nodes per file" in str(
        caught.value
    )
    tree = {"items": [{"n": i} for i in range(10)]}
    with pytest.raises(ManifestError) as caught:  # within the limits: the usual unknown-field error
        load([manifest], ValueSources(files=[{"tree": tree}], environment={}))
    assert "filling in" not in str(caught.value)
