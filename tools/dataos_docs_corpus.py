"""Extract the manifest examples of DataOS's public documentation into ``tests/dataos_docs/``.

    python tools/dataos_docs_corpus.py GIT_DIR [--commit REV] [--out tests/dataos_docs]

``GIT_DIR`` is a clone (bare or not) of ``moderndatacompany/dataos.info``. Every YAML fence of
every Markdown page under ``docs/`` and every ``.yml``/``.yaml`` file under ``docs/`` is read;
a piece of YAML is an example when it is (or, if it does not parse, looks like) an
instance-secret, depot, cluster, workflow, bundle or data product manifest, or a fragment of one
(a ``depot:`` block without the resource meta around it). Identical examples found in several
places are kept once, with every place they come from.

Each example becomes ``<out>/<kind>/<slug>/example.yaml``: a header comment naming the source
(repository, commit, path, fence number and line) and then the text exactly as published.
``<out>/sources.yaml`` lists every example with its sources. The classification of the examples
(``classification.yaml``), their placeholder values and companion manifests are written by hand
beside them; this tool never touches those files, and says which examples have none yet.

A dev tool: it is not part of the package and is not run by the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataproduct_iac.manifests.refs import parse_address, parse_ref
from dataproduct_iac.placeholders import ValueSources, iter_placeholders, resolve
from dataproduct_iac.yaml_source import parse_documents

REPOSITORY = "moderndatacompany/dataos.info"
KINDS = ("instance-secret", "depot", "cluster", "workflow", "bundle", "product")
"""Kinds collected, in the order a directory listing shows them."""

_FENCE_OPEN = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*\{?\s*\.?(?P<lang>[\w+-]*)(?P<rest>.*)$"
)
_YAML_LANGS = {"yaml", "yml", ""}
_KIND_LINE = re.compile(
    r"^(?P<indent>[ ]*)type\s*:\s*['\"]?"
    r"(?P<kind>instance-secret|depot|cluster|workflow|bundle)['\"]?\s*(#.*)?$"
)
_PRODUCT_LINE = re.compile(r"^(?P<indent>[ ]*)entity\s*:\s*['\"]?product['\"]?\s*(#.*)?$")
_BLOCK_LINE = re.compile(
    r"^(?P<key>instance-secret|depot|cluster|workflow|bundle|v1beta|v1alpha)\s*:\s*(#.*)?$"
)
_BLOCK_KIND = {"v1beta": "product", "v1alpha": "product"}


@dataclass(frozen=True)
class Source:
    path: str
    line: int
    """Line (1-based) of the first line of the example in the source file."""
    fence: int | None = None
    """Number (1-based) of the fenced code block on the page (of any language); None for a whole
    .yaml file."""

    def describe(self) -> str:
        where = f", fence {self.fence}" if self.fence is not None else ""
        return f"{self.path}{where}, line {self.line}"


@dataclass
class Example:
    kind: str
    text: str
    sources: list[Source] = field(default_factory=list)

    @property
    def slug(self) -> str:
        first = self.sources[0]
        stem = re.sub(r"\.(md|ya?ml)$", "", first.path.removeprefix("docs/"))
        stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()
        if len(stem) > 80:
            digest = hashlib.sha1(stem.encode()).hexdigest()[:6]
            stem = f"{stem[:73]}-{digest}"
        return f"{stem}-f{first.fence}" if first.fence is not None else stem


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True
    ).stdout


def fences(text: str) -> list[tuple[int, str, str]]:
    """``(line, language, body)`` of each fenced code block of a Markdown page (``line``: the first
    line of the body, 1-based). Fences inside lists and content tabs are indented: the body loses
    the fence's indentation."""
    out: list[tuple[int, str, str]] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"].lower()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body: list[str] = []
        start = index + 1
        index += 1
        while index < len(lines) and not close.match(lines[index]):
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t"))
            index += 1
        index += 1
        out.append((start + 1, lang, "\n".join(body).rstrip() + "\n"))
    return out


def kind_of_text(text: str) -> str | None:
    """The kind an example is of, from its parsed documents or, when it does not parse, its lines."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        documents = None
    if documents is not None:
        for document in documents:
            kind = _kind_of_document(document)
            if kind is not None:
                return kind
        return None
    return _kind_of_lines(text)


def _kind_of_document(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    if document.get("entity") == "product" or (
        document.get("type") == "data" and ("v1beta" in document or "v1alpha" in document)
    ):
        return "product"
    kind = document.get("type")
    if isinstance(kind, str) and kind in KINDS:
        return kind
    for key in document:
        if key in KINDS or key in _BLOCK_KIND:
            block = document[key]
            if key in _BLOCK_KIND:
                return "product" if isinstance(block, dict) and "data" in block else None
            return key if isinstance(block, dict | list) else None
    return None


def _kind_of_lines(text: str) -> str | None:
    """The kind of text that is not valid YAML: a ``type:`` line at the smallest indentation any
    ``type:`` line has, an ``entity: product`` line, or a top-level block named after a kind."""
    candidates: list[tuple[int, str]] = []
    for line in text.split("\n"):
        if match := _KIND_LINE.match(line):
            candidates.append((len(match["indent"]), match["kind"]))
        elif match := _PRODUCT_LINE.match(line):
            candidates.append((len(match["indent"]), "product"))
        elif match := _BLOCK_LINE.match(line):
            candidates.append((0, _BLOCK_KIND.get(match["key"], match["key"])))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def collect(git_dir: str, commit: str) -> list[Example]:
    paths = [
        p
        for p in _git(git_dir, "ls-tree", "-r", "--name-only", commit, "--", "docs").splitlines()
        if p.endswith((".md", ".yml", ".yaml"))
    ]
    examples: dict[str, Example] = {}
    for path in sorted(paths):
        try:
            text = _git(git_dir, "show", f"{commit}:{path}")
        except (subprocess.CalledProcessError, UnicodeDecodeError):
            continue
        text = text.replace("\r\n", "\n")
        pieces: list[tuple[int, str, int | None]]
        if path.endswith(".md"):
            pieces = [
                (line, body, number)
                for number, (line, lang, body) in enumerate(fences(text), start=1)
                if lang in _YAML_LANGS
            ]
        else:
            pieces = [(1, text.rstrip() + "\n", None)]
        for line, body, number in pieces:
            kind = kind_of_text(body)
            if kind is None:
                continue
            key = body.strip()
            source = Source(path, line, number)
            if key in examples:
                examples[key].sources.append(source)
            else:
                examples[key] = Example(kind, body, [source])
    return list(examples.values())


def header(example: Example, commit: str) -> str:
    lines = [f"# DataOS documentation example ({REPOSITORY} at {commit[:12]}), kept as published."]
    for source in example.sources[:5]:
        lines.append(f"# source: {source.describe()}")
    if len(example.sources) > 5:
        lines.append(f"# ... and {len(example.sources) - 5} more places (sources.yaml)")
    return "\n".join(lines) + "\n"


def write(examples: list[Example], out: Path, commit: str) -> dict[str, str]:
    """Write every example; return their ids (``kind/slug``) with the text of their ``example.yaml``."""
    written: dict[str, str] = {}
    listing: dict[str, Any] = {}
    for example in sorted(examples, key=lambda e: (e.kind, e.sources[0].path, e.sources[0].line)):
        slug = example.slug
        while f"{example.kind}/{slug}" in written:
            slug += "x"
        ident = f"{example.kind}/{slug}"
        folder = out / example.kind / slug
        folder.mkdir(parents=True, exist_ok=True)
        text = header(example, commit) + example.text
        (folder / EXAMPLE).write_text(text, encoding="utf-8")
        written[ident] = text
        listing[ident] = [
            {"path": s.path, "line": s.line, **({"fence": s.fence} if s.fence is not None else {})}
            for s in example.sources
        ]
    document = {"repository": REPOSITORY, "commit": commit, "examples": listing}
    (out / "sources.yaml").write_text(
        "# Written by tools/dataos_docs_corpus.py: where each example comes from.\n"
        + yaml.safe_dump(document, sort_keys=False, width=110),
        encoding="utf-8",
    )
    return written


# -- classification drafts -------------------------------------------------------------------------

EXAMPLE = "example.yaml"
COMPANIONS = "companions.yaml"
_IDENTITY = ("name", "version", "type")
_TEMPLATE = re.compile(r"^<[^<>\n]+>$|<[A-Za-z][\w-]*(?: [\w-]+)*>|(?<!\$)\{\{[^{}]*\}\}")
"""Template text where a value belongs: ``<your-username>`` (alone or inside a value, as in
``<host>.example.com``), or a Jinja-style ``{{ name }}``. DataOS's own placeholders are
``${{name}}``: filled with values, they are not template text."""

_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml where present: it follows the YAML spec where PyYAML's pure-Python scanner is stricter
(a tab after a value is white space)."""


def mechanical_defect(text: str) -> tuple[str, int] | None:
    """A defect the published text has whatever the reader: not YAML, a fragment of a manifest, or
    template text where a value belongs. ``(reason, line)``, line 1-based in ``text``."""
    loader = _YAML_LOADER(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return f"not YAML as published: {exc.problem or exc.context}", (mark.line + 1 if mark else 1)
    finally:
        loader.dispose()
    for node in nodes:
        if not isinstance(node, yaml.MappingNode):
            continue
        keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        missing = [k for k in _IDENTITY if k not in keys]
        if missing:
            return (
                f"fragment: the document has no {', '.join(missing)} (part of a manifest, shown to "
                "explain some of its fields)",
                node.start_mark.line + 1,
            )
        found = _template_value(node)
        if found is not None:
            value, line = found
            return f"template text {value!r} where a value belongs (not a ${{{{placeholder}}}})", line
    return None


def _template_value(node: yaml.Node) -> tuple[str, int] | None:
    if (
        isinstance(node, yaml.MappingNode)
        and node.flow_style
        and any(isinstance(key, yaml.MappingNode) for key, _ in node.value)
    ):
        return "{{...}}", node.start_mark.line + 1  # '{{x}}' unquoted: YAML reads a mapping in a mapping
    if isinstance(node, yaml.ScalarNode):
        if isinstance(node.value, str) and _TEMPLATE.search(node.value.strip()):
            return node.value.strip(), node.start_mark.line + 1
        return None
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            children.extend((key, value))
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        found = _template_value(child)
        if found is not None:
            return found
    return None


def draft_classification(written: dict[str, str], out: Path) -> list[str]:
    """Add an entry for every example that ``classification.yaml`` does not list yet: broken with
    the mechanical defect when it has one, else valid. Entries already there are kept as written
    (they are reviewed by hand). Returns the ids added."""
    path = out / "classification.yaml"
    existing = path.read_text(encoding="utf-8") if path.exists() else _CLASSIFICATION_HEADER
    known = yaml.safe_load(existing) or {}
    added: list[str] = []
    lines: list[str] = []
    for ident, text in written.items():
        if ident in known:
            continue
        added.append(ident)
        defect = mechanical_defect(text)
        if defect is None:
            lines.append(f"{ident}: {{status: valid}}")
        else:
            reason, line = defect
            lines.append(f"{ident}: {{status: broken, line: {line}, reason: {json.dumps(reason)}}}")
    if lines:
        path.write_text(existing.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return added


_CLASSIFICATION_HEADER = """\
# Each example of the corpus as DataOS's reference pages define it: valid, or broken in the
# documentation itself (reason, and the line of example.yaml where the defect is). New examples are
# drafted by tools/dataos_docs_corpus.py (mechanical defects: not YAML, fragments, template text);
# every entry is reviewed by hand.
"""


# -- placeholder values ----------------------------------------------------------------------------


def own_value(name: str) -> Any:
    """The value a DataOS placeholder shows as its own example: ``${{5439}}`` is 5439,
    ``${{true}}`` is true, ``${{"iamgroot"}}`` is "iamgroot"; any other name is its own text."""
    try:
        value = yaml.safe_load(name)
    except yaml.YAMLError:
        return name
    return name if value is None else value


def placeholder_values(texts: list[str], shared: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """Values for every placeholder (``${{name}}``, ``${name}``, ``$NAME``) in ``texts``: the example's
    own values file, then the corpus' values file, then the placeholder's own example value
    (:func:`own_value`)."""
    values: dict[str, Any] = {}
    for text in texts:
        for name in iter_placeholders(text):
            if name in local:
                values[name] = local[name]
            elif name in shared:
                values[name] = shared[name]
            else:
                values[name] = own_value(name)
    return values


def read_values(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: a values file is a mapping of placeholder name to value")
    return {str(k): v for k, v in data.items()}


def value_sources(folder: Path, texts: list[str]) -> ValueSources:
    """The placeholder values an example is validated with (the test uses the same)."""
    shared = read_values(folder.parent.parent / "values.yaml")
    local = read_values(folder / "values.yaml")
    return ValueSources(files=[placeholder_values(texts, shared, local)], environment={})


# -- companions ------------------------------------------------------------------------------------

COMPANION_BUCKET = "dataos-docs-companion"
"""Bucket of every companion depot (an external S3 depot: nothing is created for it)."""


@dataclass
class _Needs:
    """What an example refers to and does not define itself."""

    defined: set[tuple[str, str]] = field(default_factory=set)
    secrets: dict[str, str] = field(default_factory=dict)
    """Instance secret name → acl."""
    depots: dict[str, set[str]] = field(default_factory=dict)
    """Depot name → acls it needs secrets for ('r', 'rw')."""
    depot_secrets: dict[str, set[str]] = field(default_factory=dict)
    """Depot name → instance secrets a cluster says are the depot's."""
    bundles: set[str] = field(default_factory=set)
    files: dict[str, str] = field(default_factory=dict)
    """Path (relative to the example) → what it must hold: 'manifest' or 'secret'."""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _depot_of(reference: Any) -> str | None:
    text = _text(reference)
    if text is None:
        return None
    try:
        return parse_address(text, allow_bare_name=True).depot
    except ValueError:
        return None


def _mapping(node: Any, key: str) -> dict[str, Any]:
    """``node[key]`` when both are mappings, else an empty mapping."""
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _walk_manifest(document: Any, needs: _Needs) -> None:
    if not isinstance(document, dict):
        return
    kind = document.get("type")
    if document.get("entity") == "product" or kind == "data":
        kind = "product"
    name = _text(document.get("name"))
    if isinstance(kind, str) and name:
        needs.defined.add((kind, name))
    if kind == "depot":
        spec = _mapping(document, "depot")
        for ref in spec.get("secrets") or []:
            if isinstance(ref, dict) and _text(ref.get("name")):
                needs.secrets.setdefault(ref["name"], "rw" if ref["name"].endswith("rw") else "r")
        for inline in spec.get("connectionSecret") or []:
            if isinstance(inline, dict) and name and isinstance(inline.get("acl"), str):
                needs.defined.add(("instance-secret", f"{name}-{inline['acl']}"))
            for path in _mapping(inline, "files").values():
                if _text(path):
                    needs.files[path] = "secret"
    elif kind == "instance-secret":
        spec = _mapping(document, "instance-secret")
        for path in _mapping(spec, "files").values():
            if _text(path):
                needs.files[path] = "secret"
    elif kind == "workflow":
        spec = _mapping(document, "workflow")
        for job in spec.get("dag") or []:
            job_spec = _mapping(job, "spec")
            stack_spec = _mapping(job_spec, "stackSpec")
            if stack_spec and str(job_spec.get("stack", "")).startswith("scanner"):
                depot = _depot_of(stack_spec.get("depot"))
                if depot:
                    needs.depots.setdefault(depot, {"r"})
    elif kind == "cluster":
        spec = _mapping(document, "cluster")
        listed = [*(_mapping(spec, "minerva").get("depots") or [])]
        listed += _mapping(spec, "themis").get("depots") or []
        for entry in listed:
            depot = _depot_of(entry.get("address")) if isinstance(entry, dict) else None
            if depot:
                needs.depots.setdefault(depot, {"r"})
                for ref in entry.get("secrets") or []:
                    if isinstance(ref, dict) and _text(ref.get("name")):
                        needs.depot_secrets.setdefault(depot, set()).add(ref["name"])
    elif kind == "bundle":
        spec = _mapping(document, "bundle")
        for entry in spec.get("resources") or []:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("spec"), dict):
                _walk_manifest(entry["spec"], needs)
            elif _text(entry.get("file")):
                needs.files[entry["file"]] = "manifest"
    elif kind == "product":
        for section in ("v1beta", "v1alpha"):
            data = (
                (document.get(section) or {}).get("data") if isinstance(document.get(section), dict) else None
            )
            if isinstance(data, dict):
                _walk_product(data, needs)


def _walk_product(data: dict[str, Any], needs: _Needs) -> None:
    for direction, acl in (("inputs", "r"), ("outputs", "rw")):
        for ref in data.get(direction) or []:
            if not isinstance(ref, dict) or ref.get("refType") == "external":
                continue
            depot = (
                _depot_of(ref.get("ref"))
                if str(ref.get("ref", "")).startswith(("dataos:", "dataset:"))
                else None
            )
            if depot:
                needs.depots.setdefault(depot, {"r"}).add(acl)
    resource = data.get("resource")
    if isinstance(resource, dict) and _text(resource.get("ref")):
        try:
            target = parse_ref(resource["ref"])
        except ValueError:
            target = None
        if target is not None and getattr(target, "kind", None) == "bundle":
            needs.bundles.add(target.name)  # type: ignore[union-attr]
    for entry in data.get("resources") or []:
        if isinstance(entry, dict) and entry.get("type") == "bundle" and _text(entry.get("name")):
            needs.bundles.add(entry["name"])


def companions(folder: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The minimal manifests an example refers to and does not define (written to companions.yaml),
    and the files it refers to (path → 'manifest' or 'secret')."""
    text = (folder / EXAMPLE).read_text(encoding="utf-8")
    documents, problems = parse_documents(text, str(folder / EXAMPLE))
    if problems:
        return [], {}
    sources = value_sources(folder, [text])
    needs = _Needs()
    for document in documents:
        filled = resolve(document.data, sources, lambda path: False).data
        _walk_manifest(filled, needs)
    out: list[dict[str, Any]] = []
    for bundle in sorted(needs.bundles):
        if ("bundle", bundle) not in needs.defined:
            out.append(_bundle(bundle))
    for depot, acls in sorted(needs.depots.items()):
        if ("depot", depot) in needs.defined:
            continue
        names = {f"{depot}-{acl}": acl for acl in acls} | {
            s: ("rw" if s.endswith("rw") else "r") for s in needs.depot_secrets.get(depot, ())
        }
        if "rw" in names.values() and "r" not in names.values():
            names[f"{depot}-r"] = "r"
        out.append(_depot(depot, sorted(names)))
        for name, acl in names.items():
            needs.secrets.setdefault(name, acl)
    for name, acl in sorted(needs.secrets.items()):
        if ("instance-secret", name) not in needs.defined:
            out.append(_secret(name, acl))
    return out, needs.files


def _secret(name: str, acl: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": "v1",
        "type": "instance-secret",
        "instance-secret": {
            "type": "key-value-properties",
            "acl": acl,
            "data": {"username": "companion", "password": "companion"},
        },
    }


def _depot(name: str, secrets: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "version": "v2alpha",
        "type": "depot",
        "depot": {
            "type": "S3",
            "external": True,
            "s3": {"bucket": COMPANION_BUCKET, "region": "us-east-1"},
            "secrets": [{"name": s, "allkeys": True} for s in secrets],
        },
    }


def _bundle(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": "v1beta",
        "type": "bundle",
        "bundle": {"resources": [{"id": "companion", "spec": _secret(f"{name}-companion", "r")}]},
    }


def write_companions(out: Path, classification: dict[str, Any]) -> int:
    """(Re)write the companions (companions.yaml and referenced files) of every valid example; every
    other file in an example's folder but example.yaml and values.yaml is removed first. Returns how
    many examples have companion manifests."""
    count = 0
    for ident, entry in sorted(classification.items()):
        folder = out / ident
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.parent == folder and path.name in (EXAMPLE, "values.yaml"):
                continue
            path.rmdir() if path.is_dir() else path.unlink()
        if not isinstance(entry, dict) or entry.get("status") != "valid":
            continue
        manifests, files = companions(folder)
        if manifests:
            (folder / COMPANIONS).write_text(
                "# Minimal companion manifests of example.yaml (written by tools/dataos_docs_corpus.py).\n"
                + yaml.safe_dump_all(manifests, sort_keys=False, width=110),
                encoding="utf-8",
            )
            count += 1
        for rel, what in files.items():
            path = (folder / rel).resolve()
            if not path.is_relative_to(folder.resolve()) or path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if what == "secret":
                path.write_text("companion secret file of example.yaml\n", encoding="utf-8")
            else:
                path.write_text(
                    "# Companion of example.yaml (written by tools/dataos_docs_corpus.py).\n"
                    + yaml.safe_dump(_secret(_file_resource_name(rel), "r"), sort_keys=False),
                    encoding="utf-8",
                )
    return count


def counts_table(classification: dict[str, Any], known: dict[str, Any]) -> str:
    """The Markdown table of the corpus per kind: valid examples and how many validate, broken ones and
    how many are refused at their defect (the examples less the known mismatches, which the corpus
    test keeps exact)."""
    refused = set((known or {}).get("refused") or {})
    accepted = set((known or {}).get("accepted") or {})
    rows: dict[str, list[int]] = {kind: [0, 0, 0, 0] for kind in KINDS}
    for ident, entry in classification.items():
        row = rows[ident.split("/", 1)[0]]
        if entry["status"] == "valid":
            row[0] += 1
            row[1] += ident not in refused
        else:
            row[2] += 1
            row[3] += ident not in accepted
    total = [sum(column) for column in zip(*rows.values(), strict=True)]
    lines = [
        "| kind | valid | validate | broken | refused at their defect |",
        "|---|---:|---:|---:|---:|",
        *(f"| {kind} | {v} | {a} | {b} | {r} |" for kind, (v, a, b, r) in rows.items()),
        f"| all | {total[0]} | {total[1]} ({100 * total[1] / total[0]:.1f} %) | {total[2]} | {total[3]} |",
    ]
    return "\n".join(lines) + "\n"


def _file_resource_name(rel: str) -> str:
    stem = re.sub(r"\.(ya?ml)$", "", Path(rel).name).lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "companion"


# -- command line ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("tests/dataos_docs"))
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser("extract", help="extract the examples and draft their classification")
    extract.add_argument("git_dir")
    extract.add_argument("--commit", default="HEAD")
    commands.add_parser("companions", help="write the companion manifests of every valid example")
    commands.add_parser("counts", help="print the table of examples per kind (README.md holds it)")
    args = parser.parse_args(argv)
    if args.command == "extract":
        commit = _git(args.git_dir, "rev-parse", args.commit).strip()
        written = write(collect(args.git_dir, commit), args.out, commit)
        counts: dict[str, int] = {}
        for ident in written:
            counts[ident.split("/")[0]] = counts.get(ident.split("/")[0], 0) + 1
        print(f"{len(written)} examples: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        added = draft_classification(written, args.out)
        print(f"{len(added)} new entries drafted in classification.yaml: review them")
        known = yaml.safe_load((args.out / "classification.yaml").read_text(encoding="utf-8")) or {}
        for ident in sorted(set(known) - set(written)):
            print(f"classified but no longer extracted: {ident}", file=sys.stderr)
        return 0
    classification = yaml.safe_load((args.out / "classification.yaml").read_text(encoding="utf-8")) or {}
    if args.command == "counts":
        known = yaml.safe_load((args.out / "known_mismatches.yaml").read_text(encoding="utf-8")) or {}
        print(counts_table(classification, known), end="")
        return 0
    print(f"{write_companions(args.out, classification)} examples have companions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
