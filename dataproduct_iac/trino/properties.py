"""Java ``.properties`` files: writing them safely and reading them back (for checks and tests)."""

from __future__ import annotations

import re
from collections.abc import Mapping

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}
# Text that needs no escaping (printable ASCII without the characters escaped below) is written as
# is; that is nearly every key and value, and skips the per-character loop.
_PLAIN_KEY = re.compile(r"[^ =:#!\\\x00-\x1f\x7f-\U0010ffff]*")
_PLAIN_VALUE = re.compile(r"(?:[^ #!\\\x00-\x1f\x7f-\U0010ffff][^\\\x00-\x1f\x7f-\U0010ffff]*)?")


def _escape(text: str, *, key: bool) -> str:
    if (_PLAIN_KEY if key else _PLAIN_VALUE).fullmatch(text):
        return text
    return _escape_chars(text, key=key)


def _escape_chars(text: str, *, key: bool) -> str:
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif (key and char in " =:#!") or (not key and index == 0 and char in " #!"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else char)
        else:
            out.append(char)
    return "".join(out)


def write_properties(values: Mapping[str, str], *, header: str | None = None) -> str:
    """Render ``key=value`` lines (insertion order kept), escaped per ``java.util.Properties``."""
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    lines.extend(f"{_escape(k, key=True)}={_escape(v, key=False)}" for k, v in values.items())
    return "\n".join(lines) + "\n"


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f")
        if pending is None and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        continued = trailing % 2 == 1
        body = line[:-1] if continued else line
        pending = body if pending is None else pending + body
        if not continued:
            lines.append(pending)
            pending = None
    if pending is not None:
        lines.append(pending)
    return lines


def _unescape(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        nxt = text[index + 1]
        if nxt == "u":
            digits = text[index + 2 : index + 6]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(f"malformed \\u escape in {text!r}")
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append({"n": "\n", "r": "\r", "t": "\t", "f": "\f"}.get(nxt, nxt))
        index += 2
    return "".join(out)


def parse_properties(text: str) -> dict[str, str]:
    """Parse a properties file as ``java.util.Properties.load`` does (later keys win)."""
    result: dict[str, str] = {}
    for line in _logical_lines(text):
        index = 0
        while index < len(line):
            char = line[index]
            if char == "\\":
                index += 2
                continue
            if char in "=: \t\f":
                break
            index += 1
        key = line[:index]
        rest = line[index:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        result[_unescape(key)] = _unescape(rest)
    return result
