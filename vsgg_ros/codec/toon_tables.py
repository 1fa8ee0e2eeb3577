"""Split a TOON body into table sections line by line, tolerating what models get wrong.

toon-format decodes whole documents or fails; model output needs recovery row by row. So headers
and row boundaries are found here, line by line, while every row's cells are still split and typed
by toon-format itself (quoting, escapes, number forms), by decoding the row as an inline array.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import toon_format

from vsgg_ros.codec.toon_model import IssueKind, ToonIssue
from vsgg_ros.codec.toon_unwrap import Line

# Tolerant: spaces anywhere, colon optional, text after the colon. Delimiter marks are | or tab.
_HEADER = re.compile(
    r"^\s*(?P<key>[A-Za-z_]\w*)[ ]*\[[ ]*(?P<count>\d+)[ ]*(?P<delim>[|\t]?)[ ]*\][ ]*"
    r"(?:\{(?P<fields>[^{}]*)\})?[ ]*(?P<colon>:?)[ ]*(?P<rest>.*)$"
)
_CANONICAL_HEADER = re.compile(r"^[A-Za-z_]\w*\[\d+[|\t]?\](?:\{[^{}]*\})?:$")
_EMPTY_ARRAY = re.compile(r"^\s*(?P<key>[A-Za-z_]\w*)\s*:\s*\[\s*\]\s*$")
_HEADER_LIKE = re.compile(r"^\s*[A-Za-z_]\w*\s*\[")


@dataclass(slots=True)
class RawRow:
    line: int
    text: str
    indented: bool


@dataclass(slots=True)
class RawTable:
    """One header and the lines under it. ``readable`` is False when the header itself is broken."""

    key: str
    line: int
    declared: int
    delimiter: str
    fields: tuple[str, ...] | None
    rows: list[RawRow] = field(default_factory=list)
    readable: bool = True


def _header_key(content: str) -> str:
    match = re.match(r"^\s*([A-Za-z_]\w*)", content)
    return match.group(1) if match else ""


def _read_header(line: int, content: str, is_last: bool, issues: list[ToonIssue]) -> RawTable:
    """A table from a header-like line; unreadable headers still open a (skipped) section."""
    empty = _EMPTY_ARRAY.match(content)
    if empty:
        return RawTable(empty.group("key"), line, 0, ",", None)
    match = _HEADER.match(content)
    broken_fields = match is not None and match.group("fields") is None and match.group("rest").startswith("{")
    if match is None or broken_fields or (not match.group("colon") and (is_last or match.group("rest"))):
        key = _header_key(content)
        if is_last:
            issues.append(
                ToonIssue(
                    IssueKind.HEADER_TRUNCATED,
                    f"header {content.strip()!r} is cut off (toon-format would read it as a plain string):"
                    " table ignored",
                    line,
                )
            )
        else:
            issues.append(
                ToonIssue(
                    IssueKind.BAD_HEADER,
                    f"cannot read header {content.strip()!r}: table and the rows under it ignored",
                    line,
                )
            )
        return RawTable(key, line, 0, ",", None, readable=False)
    delimiter = match.group("delim") or ","
    fields = match.group("fields")
    table = RawTable(
        match.group("key"),
        line,
        int(match.group("count")),
        delimiter,
        None if fields is None else tuple(f.strip() for f in fields.split(delimiter)),
    )
    rest = match.group("rest")
    if rest:
        table.rows.append(RawRow(line, rest, indented=True))
    canonical = content[: match.start("rest")].strip()
    if not _CANONICAL_HEADER.match(canonical) or rest or delimiter != ",":
        what = "is not in canonical form"
        if rest:
            what = "has a row on the same line"
        elif delimiter != ",":
            what = f"uses delimiter {delimiter!r}, not ','"
        issues.append(ToonIssue(IssueKind.HEADER_SYNTAX, f"header {content.strip()!r} {what}: read anyway", line))
    return table


def segment(lines: list[Line]) -> tuple[list[RawTable], list[ToonIssue]]:
    """Tables in document order, plus issues for blank, stray and broken header lines."""
    tables: list[RawTable] = []
    issues: list[ToonIssue] = []
    last_line = lines[-1][0] if lines else 0
    for number, content in lines:
        if not content.strip():
            issues.append(ToonIssue(IssueKind.BLANK_LINE, "blank line inside the graph: skipped", number))
        elif _HEADER_LIKE.match(content) or _EMPTY_ARRAY.match(content):
            tables.append(_read_header(number, content, number == last_line, issues))
        elif tables:
            tables[-1].rows.append(RawRow(number, content.strip(), indented=content[:1].isspace()))
        else:
            issues.append(
                ToonIssue(IssueKind.UNEXPECTED_LINE, f"text outside any table ignored: {content.strip()!r}", number)
            )
    return tables, issues


def split_row(text: str, delimiter: str) -> list[Any]:
    """The cells of one row, typed by toon-format. Raises ValueError when it cannot be split."""
    marker = "" if delimiter == "," else delimiter
    try:
        decoded = toon_format.loads(f"r[0{marker}]: {text}", strict=False)
    except Exception as exc:  # toon-format's own error types vary with the input; all mean unreadable
        raise ValueError(str(exc)) from exc
    cells = decoded.get("r") if isinstance(decoded, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"row {text!r} does not read as one line of cells")
    return cells


def quote_bracket_lists(text: str) -> str:
    """Wrap SceneGraphVLM's bare ``[a,b]`` list cells in TOON quotes so commas inside stay in the cell.

    Quoted text is left alone, so rows that are already valid TOON (``"[a,b]"``) pass unchanged.
    An unclosed bracket (a row cut mid-list) is left as written.
    """
    out: list[str] = []
    i, n = 0, len(text)
    in_quote = False
    while i < n:
        ch = text[i]
        if in_quote:
            step = 2 if ch == "\\" else 1
            out.append(text[i : i + step])
            in_quote = ch != '"'
            i += step
            continue
        if ch == "[":
            close = text.find("]", i)
            if close < 0:
                out.append(text[i:])
                break
            inner = text[i : close + 1].replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'"{inner}"')
            i = close + 1
            continue
        in_quote = ch == '"'
        out.append(ch)
        i += 1
    return "".join(out)


def parse_label_list(cell: Any) -> tuple[list[str], str]:
    """Labels of an AG list cell, and a description of any deviation from ``[a,b]`` ('' if none)."""
    if not isinstance(cell, str):
        return [], f"{cell!r} is not a label list: ignored"
    text = cell.strip()
    if not text:
        return [], "empty cell read as []"
    if not (text.startswith("[") and text.endswith("]")):
        return [p for p in re.split(r"[,\s]+", text) if p], f"{text!r} is not in [..] form: read as a list"
    inner = text[1:-1]
    if not inner.strip():
        return [], ""
    labels: list[str] = []
    problems: list[str] = []
    for part in inner.split(","):
        label = part.strip()
        if len(label) >= 2 and label[0] == label[-1] and label[0] in "\"'":
            label = label[1:-1].strip()
            problems.append("quoted labels unquoted")
        if not label:
            problems.append("empty entries skipped")
            continue
        labels.append(label)
    return labels, f"{text!r}: " + ", ".join(dict.fromkeys(problems)) if problems else ""
