"""Render change sets (preview / refresh preview) as a text table, Markdown or JSON.

Only names, operations and property *names* are rendered, never property values.
"""

from __future__ import annotations

import json
from collections import Counter

from ..text_tables import markdown_cell, table
from .changes import ChangeSet, ResourceChange

_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


def _title(changes: ChangeSet) -> str:
    what = "Preview" if changes.mode == "preview" else "Drift (refresh preview)"
    return f"{what} of stack {changes.stack}"


def _summary(changes: ChangeSet) -> str:
    counts = changes.counts
    if changes.mode == "preview":
        parts = [f"{counts[op]} to {op}" for op in counts]
    else:
        parts = [f"{counts['update']} drifted", f"{counts['delete']} gone"]
        parts += [f"{counts[op]} {op}" for op in ("create", "replace") if counts[op]]
    text = ", ".join(parts) + f" ({changes.unchanged} unchanged)"
    if changes.dangerous:
        text += f"; {len(changes.dangerous)} dangerous"
    if changes.errors:
        text += f"; {len(changes.errors)} errors"
    return text


def _props(change: ResourceChange) -> str:
    props = [f"{p} (replace)" if p in change.replace_properties else p for p in change.properties]
    extra = [p for p in change.replace_properties if p not in change.properties]
    return ", ".join(props + [f"{p} (replace)" for p in extra])


def render_changes(changes: ChangeSet, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(changes.as_dict(), indent=2) + "\n"
    if fmt == "markdown":
        return _changes_markdown(changes)
    return _changes_text(changes)


def _changes_text(changes: ChangeSet) -> str:
    lines = [f"{_title(changes)}: {_summary(changes)}"]
    if changes.changes:
        rows = [("PRODUCT", "COMPONENT", "OP", "TYPE", "NAME", "PROPERTIES", "")]
        for product, components in changes.groups().items():
            for component, items in components.items():
                for change in items:
                    flag = f"DANGEROUS: {change.reason}" if change.dangerous else ""
                    rows.append(
                        (product, component, change.op, change.type, change.name, _props(change), flag)
                    )
        lines += table(rows)
    lines += [f"error: {message}" for message in changes.errors]
    return "\n".join(lines) + "\n"


def _changes_markdown(changes: ChangeSet) -> str:
    lines = [f"### {markdown_cell(_title(changes))}", "", f"**{markdown_cell(_summary(changes))}**", ""]
    if changes.dangerous:
        lines += ["> [!CAUTION]", f"> {len(changes.dangerous)} dangerous change(s):"]
        lines += [
            f"> - {markdown_cell(c.name)} ({markdown_cell(c.type)}): {markdown_cell(c.reason or '')}"
            for c in changes.dangerous
        ]
        lines.append("")
    for product, components in changes.groups().items():
        counts = Counter(c.op for items in components.values() for c in items)
        tally = ", ".join(f"{_SYMBOL[op]}{counts[op]} {op}" for op in _SYMBOL if counts[op])
        lines += [f"#### {markdown_cell(product)} ({tally})", ""]
        lines += ["| component | op | resource | type | changed properties | |", "|---|---|---|---|---|---|"]
        for component, items in components.items():
            for c in items:
                flag = f"⚠️ {markdown_cell(c.reason or '')}" if c.dangerous else ""
                cells = [component, f"{_SYMBOL[c.op]} {c.op}", c.name, c.type, _props(c)]
                lines.append("| " + " | ".join([*map(markdown_cell, cells), flag]) + " |")
        lines.append("")
    if changes.errors:
        lines += ["#### Errors", ""] + [f"- {markdown_cell(m)}" for m in changes.errors] + [""]
    if not changes.changes and not changes.errors:
        lines += ["No changes.", ""]
    return "\n".join(lines)
