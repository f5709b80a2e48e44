"""Render live drift findings as a text table, Markdown or JSON (names and checks, never values)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..text_tables import markdown_cell, table
from .live import SEVERITIES, Finding


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
        lines = [f"### {markdown_cell(title)}", "", f"**{_findings_summary(findings)}**", ""]
        if shown:
            lines += [
                "| status | severity | resource | check | expected | actual |",
                "|---|---|---|---|---|---|",
            ]
            for f in shown:
                cells = [f.status, f.severity, f.resource, f.check, f.expected, f.actual]
                lines.append("| " + " | ".join(map(markdown_cell, cells)) + " |")
            lines.append("")
        elif not findings:
            lines += ["Nothing to check.", ""]
        return "\n".join(lines)
    lines = [f"{title}: {_findings_summary(findings)}"]
    if shown:
        rows = [("STATUS", "SEVERITY", "RESOURCE", "CHECK", "EXPECTED", "ACTUAL")]
        rows += [(f.status, f.severity, f.resource, f.check, f.expected, f.actual) for f in shown]
        lines += table(rows)
    return "\n".join(lines) + "\n"
