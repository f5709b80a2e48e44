"""Render change sets (preview / refresh) and live findings as a text table, Markdown or JSON.

Only names, operations and property *names* are rendered, never property values.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .changes import ChangeSet, ResourceChange
from .live import SEVERITIES, Finding

FORMATS = ("text", "markdown", "json")
_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


# -- change sets -------------------------------------------------------------------------------
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
        lines += _table(rows)
    lines += [f"error: {message}" for message in changes.errors]
    return "\n".join(lines) + "\n"


def _changes_markdown(changes: ChangeSet) -> str:
    lines = [f"### {_md(_title(changes))}", "", f"**{_md(_summary(changes))}**", ""]
    if changes.dangerous:
        lines += ["> [!CAUTION]", f"> {len(changes.dangerous)} dangerous change(s):"]
        lines += [f"> - {_md(c.name)} ({_md(c.type)}): {_md(c.reason or '')}" for c in changes.dangerous]
        lines.append("")
    for product, components in changes.groups().items():
        counts = Counter(c.op for items in components.values() for c in items)
        tally = ", ".join(f"{_SYMBOL[op]}{counts[op]} {op}" for op in _SYMBOL if counts[op])
        lines += [f"#### {_md(product)} ({tally})", ""]
        lines += ["| component | op | resource | type | changed properties | |", "|---|---|---|---|---|---|"]
        for component, items in components.items():
            for c in items:
                flag = f"⚠️ {_md(c.reason or '')}" if c.dangerous else ""
                lines.append(
                    f"| {_md(component)} | {_SYMBOL[c.op]} {c.op} | {_md(c.name)} | {_md(c.type)} | "
                    f"{_md(_props(c))} | {flag} |"
                )
        lines.append("")
    if changes.errors:
        lines += ["#### Errors", ""] + [f"- {_md(m)}" for m in changes.errors] + [""]
    if not changes.changes and not changes.errors:
        lines += ["No changes.", ""]
    return "\n".join(lines)


# -- live findings -----------------------------------------------------------------------------
def _findings_summary(findings: Sequence[Finding]) -> str:
    counts = Counter(f.status for f in findings)
    return f"{counts['drifted']} drifted, {counts['unknown']} unknown, {counts['in_sync']} in sync"


def _ordered(findings: Sequence[Finding], include_in_sync: bool) -> list[Finding]:
    status_rank = {"drifted": 0, "unknown": 1, "in_sync": 2}
    chosen = [f for f in findings if include_in_sync or f.status != "in_sync"]
    return sorted(
        chosen, key=lambda f: (status_rank[f.status], SEVERITIES.index(f.severity), f.resource, f.check)
    )


def render_findings(
    findings: Sequence[Finding], fmt: str, *, stack: str, include_in_sync: bool = False
) -> str:
    if fmt == "json":
        counts = Counter(f.status for f in findings)
        payload: dict[str, Any] = {
            "mode": "live",
            "stack": stack,
            "counts": {s: counts.get(s, 0) for s in ("drifted", "unknown", "in_sync")},
            "findings": [f.as_dict() for f in _ordered(findings, True)],
        }
        return json.dumps(payload, indent=2) + "\n"
    title = f"Live drift check of stack {stack}"
    shown = _ordered(findings, include_in_sync)
    if fmt == "markdown":
        lines = [f"### {_md(title)}", "", f"**{_findings_summary(findings)}**", ""]
        if shown:
            lines += [
                "| status | severity | resource | check | expected | actual |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {f.status} | {f.severity} | {_md(f.resource)} | {_md(f.check)} | {_md(f.expected)} | "
                f"{_md(f.actual)} |"
                for f in shown
            ]
            lines.append("")
        elif not findings:
            lines += ["Nothing to check.", ""]
        return "\n".join(lines)
    lines = [f"{title}: {_findings_summary(findings)}"]
    if shown:
        rows = [("STATUS", "SEVERITY", "RESOURCE", "CHECK", "EXPECTED", "ACTUAL")]
        rows += [(f.status, f.severity, f.resource, f.check, f.expected, f.actual) for f in shown]
        lines += _table(rows)
    return "\n".join(lines) + "\n"


# -- helpers -----------------------------------------------------------------------------------
def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def _md(text: str) -> str:
    """Escape text for a Markdown table cell (names come from pull requests: no markup, no HTML)."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    for char in "*_[]`#":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", " ")
