"""The corpus of broken manifests: each file (or directory) has exactly one defect.

Every case says what it expects in a header comment ``# expect: <field> | <message fragment>``
and marks the offending line with ``# <--``. Files that cannot carry comments (an empty file, a
binary file) have a sidecar ``<file>.expect``. The loader and the resolver must reject each case
with exactly one diagnostic at that file, line and field, and never echo a secret value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataproduct_iac import ManifestError, ValueSources, load, resolve

CORPUS = Path(__file__).parent / "corpus"
SENTINEL = "S3NT1NEL"
"""Every secret value in the corpus contains this; no message may."""
SECRET_SOURCE_VALUE = "S3NT1NEL-from-secret-config"

_EXPECT = re.compile(r"#\s*expect:\s*(?P<field>.+?)\s+\|\s+(?P<fragment>.+?)\s*$")
_MARK = "# <--"


@dataclass(frozen=True)
class Case:
    name: str
    load_path: Path
    file: Path
    line: int
    field: str
    fragment: str


def _case(entry: Path) -> Case:
    if entry.is_dir():
        load_path = entry / "manifests" if (entry / "manifests").is_dir() else entry
        holders = [p for p in sorted(entry.rglob("*.yaml")) if "# expect:" in p.read_text()]
        assert len(holders) == 1, f"{entry}: exactly one file must carry '# expect:'"
        file = holders[0]
    else:
        load_path = file = entry
    sidecar = file.with_name(file.name + ".expect")
    if sidecar.exists():
        fields = dict(line.split(": ", 1) for line in sidecar.read_text().splitlines() if line.strip())
        return Case(entry.name, load_path, file, int(fields["line"]), fields["field"], fields["message"])
    lines = file.read_text().splitlines()
    expects = [m for m in map(_EXPECT.search, lines) if m]
    marks = [number for number, text in enumerate(lines, start=1) if _MARK in text]
    assert len(expects) == 1, f"{file}: exactly one '# expect: field | fragment' header"
    assert len(marks) == 1, f"{file}: exactly one line marked '# <--'"
    return Case(entry.name, load_path, file, marks[0], expects[0]["field"], expects[0]["fragment"])


CASES = [_case(p) for p in sorted(CORPUS.iterdir()) if not p.name.endswith(".expect")]


def sources() -> ValueSources:
    return ValueSources(
        set_values={"region": "us-east-1"},
        secrets={"db-password": SECRET_SOURCE_VALUE},
        environment={},
    )


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_manifest_is_rejected_at_its_defect(case: Case) -> None:
    with pytest.raises(ManifestError) as caught:
        resolve(load([case.load_path], sources()))
    diagnostics = caught.value.diagnostics
    shown = "\n".join(map(str, diagnostics))
    assert len(diagnostics) == 1, f"expected exactly one error, got:\n{shown}"
    found = diagnostics[0]
    assert Path(found.file).resolve() == case.file.resolve(), shown
    assert (found.line, found.field) == (case.line, case.field), shown
    assert case.fragment in found.message, shown
    assert found.severity == "error"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_messages_never_contain_secret_values(case: Case) -> None:
    with pytest.raises(ManifestError) as caught:
        resolve(load([case.load_path], sources()))
    text = str(caught.value) + repr(caught.value.diagnostics)
    assert SENTINEL not in text
    assert SECRET_SOURCE_VALUE not in text


def test_sentinels_are_really_in_secret_fields() -> None:
    """Guard for the test above: the corpus does put secret values where errors happen."""
    with_sentinel = [
        c
        for c in CASES
        if c.file.suffix == ".yaml" and SENTINEL in c.file.read_bytes().decode("utf-8", "replace")
    ]
    assert len(with_sentinel) >= 10
