"""DataOS's own documentation as a compatibility corpus (``tests/dataos_docs``, see its README).

Every example is classified by reading DataOS's reference pages: a valid one validates (with its
placeholder values and companion manifests), a broken one is refused with an error at the line of
its defect. The exceptions that hold today are listed, each with its reason and the errors it
gets, in ``known_mismatches.yaml``; an entry that no longer holds, or whose recorded errors are no
longer the ones it gets, fails the test: the list only shrinks and its reasons cannot go stale.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataproduct_iac import ManifestError, load, resolve
from dataproduct_iac.diagnostics import Diagnostic
from tests.helpers.cli import run_dataproduct

CORPUS = Path(__file__).parent / "dataos_docs"
TOOL = Path(__file__).parent.parent / "tools" / "dataos_docs_corpus.py"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("dataos_docs_corpus", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("dataos_docs_corpus", module)
    spec.loader.exec_module(module)
    return module


corpus_tool = _tool()
CLASSIFICATION: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "classification.yaml").read_text())
KNOWN: dict[str, dict[str, dict[str, Any]]] = (
    yaml.safe_load((CORPUS / "known_mismatches.yaml").read_text()) or {}
)
KNOWN_REFUSED: dict[str, dict[str, Any]] = KNOWN.get("refused") or {}
KNOWN_ACCEPTED: dict[str, dict[str, Any]] = KNOWN.get("accepted") or {}
VALID = sorted(i for i, e in CLASSIFICATION.items() if e["status"] == "valid")
BROKEN = sorted(i for i, e in CLASSIFICATION.items() if e["status"] == "broken")


def outcome(ident: str) -> list[Diagnostic]:
    """The errors validating one example gives (none when it validates). Anything but a
    ManifestError (a traceback for a user) propagates and fails the test."""
    folder = CORPUS / ident
    files = [folder / corpus_tool.EXAMPLE]
    if (folder / corpus_tool.COMPANIONS).exists():
        files.append(folder / corpus_tool.COMPANIONS)
    sources = corpus_tool.value_sources(folder, [f.read_text(encoding="utf-8") for f in files])
    try:
        resolve(load(files, sources, project_root=folder))
    except ManifestError as exc:
        return list(exc.diagnostics)
    return []


def _shown(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(map(str, diagnostics))


def test_every_extracted_example_is_classified() -> None:
    folders = {str(p.parent.relative_to(CORPUS)) for p in CORPUS.glob(f"*/*/{corpus_tool.EXAMPLE}")}
    assert folders == set(CLASSIFICATION)
    assert len(folders) > 500
    for ident, entry in CLASSIFICATION.items():
        assert entry["status"] in ("valid", "broken"), ident
        if entry["status"] == "broken":
            assert entry.get("reason") and isinstance(entry.get("line"), int), ident


def test_every_example_names_its_source() -> None:
    sources = yaml.safe_load((CORPUS / "sources.yaml").read_text())
    assert set(sources["examples"]) == set(CLASSIFICATION)
    for ident in CLASSIFICATION:
        head = (CORPUS / ident / corpus_tool.EXAMPLE).read_text(encoding="utf-8").splitlines()[1]
        first = sources["examples"][ident][0]
        assert head.startswith(f"# source: {first['path']}"), ident


def test_known_mismatches_are_examples_with_a_reason_and_their_errors() -> None:
    for section, status in ((KNOWN_REFUSED, "valid"), (KNOWN_ACCEPTED, "broken")):
        for ident, entry in section.items():
            assert CLASSIFICATION[ident]["status"] == status, ident
            assert set(entry) == {"reason", "errors"} and entry["reason"].strip(), ident
            for error in entry["errors"]:
                assert set(error) == {"file", "line", "field", "says"} and error["says"].strip(), ident
                assert (CORPUS / ident / error["file"]).is_file(), ident
    assert all(KNOWN_REFUSED[ident]["errors"] for ident in KNOWN_REFUSED)


def where(ident: str, diagnostic: Diagnostic) -> tuple[str, int, str]:
    """The file (relative to the example's folder when it lies there), line and field of a finding."""
    folder = (CORPUS / ident).resolve()
    path = Path(diagnostic.file).resolve()
    name = str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)
    return (name, diagnostic.line, diagnostic.field)


def recorded_errors_differ(ident: str, diagnostics: list[Diagnostic]) -> str | None:
    """How the errors an example gets differ from those its known_mismatches entry records (each
    error of the example in its file, at its line and field, its message holding the recorded
    words); ``None`` when they agree."""
    recorded = KNOWN_REFUSED.get(ident) or KNOWN_ACCEPTED[ident]
    errors = [(where(ident, d), d.message) for d in diagnostics if d.severity == "error"]
    wanted = sorted((e["file"], e["line"], e["field"]) for e in recorded["errors"])
    got = sorted(place for place, _ in errors)
    if wanted != got:
        return f"recorded errors at {wanted}, gets them at {got}"
    for error in recorded["errors"]:
        place = (error["file"], error["line"], error["field"])
        messages = [message for at, message in errors if at == place]
        if not any(error["says"] in message for message in messages):
            at = f"{error['file']}:{error['line']} {error['field']}"
            return f"{at}: recorded {error['says']!r}, says {messages}"
    return None


def test_a_recorded_error_is_matched_in_its_own_file() -> None:
    ident = next(iter(KNOWN_REFUSED))
    folder = CORPUS / ident
    recorded = KNOWN_REFUSED[ident]["errors"]
    got = outcome(ident)
    assert recorded_errors_differ(ident, got) is None
    # the same errors, each at the same line and field of the companion file instead
    elsewhere = [
        Diagnostic(str(folder / corpus_tool.COMPANIONS), d.line, d.field, d.message, d.severity) for d in got
    ]
    assert recorded and elsewhere
    differs = recorded_errors_differ(ident, elsewhere)
    assert differs is not None and corpus_tool.COMPANIONS in differs, differs


@pytest.mark.parametrize("ident", VALID)
def test_valid_example_validates(ident: str) -> None:
    diagnostics = outcome(ident)
    if ident in KNOWN_REFUSED:
        assert diagnostics, f"{ident} validates now: remove it from known_mismatches.yaml (refused)"
        differs = recorded_errors_differ(ident, diagnostics)
        assert differs is None, f"{ident}: known_mismatches.yaml is stale (re-derive its reason): {differs}"
        return
    assert not diagnostics, _shown(diagnostics)


def at_defect(ident: str, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The errors located at the broken example's defect (its file and line)."""
    example = (CORPUS / ident / corpus_tool.EXAMPLE).resolve()
    line = CLASSIFICATION[ident]["line"]
    return [
        d
        for d in diagnostics
        if d.severity == "error" and d.line == line and Path(d.file).resolve() == example
    ]


@pytest.mark.parametrize("ident", BROKEN)
def test_broken_example_is_refused_at_its_defect(ident: str) -> None:
    diagnostics = outcome(ident)
    found = at_defect(ident, diagnostics)
    if ident in KNOWN_ACCEPTED:
        assert not found, f"{ident} is refused at its defect now: remove it from known_mismatches.yaml"
        differs = recorded_errors_differ(ident, diagnostics)
        assert differs is None, f"{ident}: known_mismatches.yaml is stale (re-derive its reason): {differs}"
        return
    entry = CLASSIFICATION[ident]
    assert diagnostics, f"{ident} is broken ({entry['reason']}) but validates"
    assert found, f"no error at line {entry['line']} ({entry['reason']}):\n{_shown(diagnostics)}"


def test_validate_on_the_whole_corpus_reports_errors_without_a_traceback() -> None:
    result = run_dataproduct("validate", str(CORPUS))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{CORPUS.name}/" in result.stderr


def test_template_text_is_refused_where_it_is_and_named_groups_are_not_template_text(tmp_path: Path) -> None:
    manifest = tmp_path / "scanner.yaml"
    manifest.write_text(
        "name: scan\nversion: v1\ntype: workflow\n"
        "description: scans <the depot>\n"
        "workflow:\n  dag:\n    - name: scan\n      spec:\n        stack: scanner:2.0\n"
        "        stackSpec:\n          depot: dataos://lake\n"
        "          sourceConfig:\n            config:\n              tableFilterPattern:\n"
        "                includes: ['(?<year>[0-9]{4})_sales', '<tablename>']\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as caught:
        load([manifest])
    found = [d for d in caught.value.diagnostics if "template text" in d.message]
    assert [(d.line, d.field) for d in found] == [
        (15, "workflow.dag[0].spec.stackSpec.sourceConfig.config.tableFilterPattern.includes[1]")
    ]
    assert found[0].message.startswith("'<tablename>' is template text from an example")


@pytest.mark.parametrize("engine", ["minerva", "themis"])
def test_companions_of_a_cluster_hold_the_depots_it_lists(tmp_path: Path, engine: str) -> None:
    (tmp_path / corpus_tool.EXAMPLE).write_text(
        f"name: query\nversion: v1\ntype: cluster\ncluster:\n  compute: query-default\n  type: {engine}\n"
        f"  {engine}:\n    depots:\n      - address: dataos://lakehouse\n",
        encoding="utf-8",
    )
    manifests, _ = corpus_tool.companions(tmp_path)
    assert [(m["type"], m["name"]) for m in manifests if m["type"] == "depot"] == [("depot", "lakehouse")]


def test_the_companions_kept_are_the_ones_the_tool_writes() -> None:
    for ident in VALID:
        folder = CORPUS / ident
        manifests, _ = corpus_tool.companions(folder)
        kept = folder / corpus_tool.COMPANIONS
        on_disk = list(yaml.safe_load_all(kept.read_text(encoding="utf-8"))) if kept.exists() else []
        assert on_disk == manifests, f"{ident}: run tools/dataos_docs_corpus.py companions"


def test_the_readme_states_the_counts_per_kind() -> None:
    table = corpus_tool.counts_table(CLASSIFICATION, KNOWN)
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert table in readme, f"README.md: replace the table by (tools/dataos_docs_corpus.py counts):\n{table}"
