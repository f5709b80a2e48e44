"""Tables for the terminal and for Markdown: the one layout of every report the commands print
(plan, preview and drift, live drift, scan)."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart, no trailing blanks (first row: headers)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def markdown_cell(text: str) -> str:
    """Text escaped for a Markdown table cell (names come from pull requests: no markup, no HTML)."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    for char in "*_[]`#":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", " ")
