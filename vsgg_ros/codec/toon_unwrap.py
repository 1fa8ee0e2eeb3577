"""Find the TOON body inside raw model output: think blocks, answer tags, markdown fences.

Follows SceneGraphVLM's evaluation parser (strip ``<think>``, read the last ``<answer>`` block that
contains ``obj[``) but keeps original line numbers, so issues point at the text the model wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vsgg_ros.codec.toon_model import IssueKind, ToonIssue

_THINK_TAG = re.compile(r"<(/?)think\s*>", re.IGNORECASE)
_ANSWER_TAG = re.compile(r"<(/?)answer\s*>", re.IGNORECASE)
_OBJ_HEADER_START = re.compile(r"obj\s*\[")
_FENCE = re.compile(r"^\s*```[\w+-]*\s*$")

Line = tuple[int, str]  # (1-based line number in the original text, content)


@dataclass(slots=True)
class Body:
    """The lines that should hold the graph, and what is known about how the text ended."""

    lines: list[Line]
    open_ended: bool  # the answer block was never closed: generation stopped mid-way
    tagged: bool  # the body came from an <answer> block
    ends_with_newline: bool
    issues: list[ToonIssue] = field(default_factory=list)


def _blank_out(text: str, start: int, stop: int) -> str:
    """Remove text[start:stop] but keep its newlines, so later line numbers stay right."""
    return text[:start] + "\n" * text.count("\n", start, stop) + text[stop:]


def _strip_think(text: str, issues: list[ToonIssue]) -> str:
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    consumed = 0
    for match in _THINK_TAG.finditer(text):
        if match.group(1) == "":
            if opened is None:
                opened = match.start()
        elif opened is not None:
            spans.append((opened, match.end()))
            opened, consumed = None, match.end()
        else:  # a closing tag alone: the opening one was in the prompt template
            spans.append((consumed, match.end()))
            consumed = match.end()
    if spans:
        line = text.count("\n", 0, spans[0][0]) + 1
        issues.append(ToonIssue(IssueKind.THINK_BLOCK, f"{len(spans)} think block(s) stripped", line))
    if opened is not None:
        line = text.count("\n", 0, opened) + 1
        issues.append(ToonIssue(IssueKind.UNCLOSED_THINK, "<think> is never closed: everything after it ignored", line))
        spans.append((opened, len(text)))
    for start, stop in reversed(spans):
        text = _blank_out(text, start, stop)
    return text


def _answer_blocks(text: str) -> list[tuple[int, int, bool]]:
    """(start, stop, closed) of every answer block; a lone closing tag closes a block from the start."""
    blocks: list[tuple[int, int, bool]] = []
    opened: int | None = None
    for match in _ANSWER_TAG.finditer(text):
        if match.group(1) == "":
            if opened is not None:
                blocks.append((opened, match.start(), False))
            opened = match.end()
        elif opened is not None:
            blocks.append((opened, match.start(), True))
            opened = None
        elif not blocks:
            blocks.append((0, match.start(), True))
    if opened is not None:
        blocks.append((opened, len(text), False))
    return blocks


def unwrap(text: str) -> Body:
    """The body lines of model output, with INFO/ERROR issues for every wrapper removed."""
    issues: list[ToonIssue] = []
    text = _strip_think(text.replace("\r\n", "\n").replace("\r", "\n"), issues)
    start, stop, closed = 0, len(text), True
    blocks = _answer_blocks(text)
    if blocks:
        with_obj = [b for b in blocks if _OBJ_HEADER_START.search(text, b[0], b[1])]
        start, stop, closed = (with_obj or blocks)[-1]
        chosen = blocks.index((start, stop, closed)) + 1
        line = text.count("\n", 0, start) + 1
        issues.append(ToonIssue(IssueKind.ANSWER_TAGS, f"read answer block {chosen} of {len(blocks)}", line))
        if len(blocks) > 1:
            issues.append(
                ToonIssue(
                    IssueKind.MULTIPLE_ANSWERS,
                    f"{len(blocks)} answer blocks: read block {chosen} (the last one containing obj[),"
                    " ignored the others",
                    line,
                )
            )
        if not closed:
            issues.append(
                ToonIssue(
                    IssueKind.UNCLOSED_ANSWER,
                    "<answer> is never closed: output taken as cut off, its last row as incomplete",
                    line,
                )
            )
    first_line = text.count("\n", 0, start) + 1
    region = text[start:stop]
    lines: list[Line] = []
    fence_line: int | None = None
    for offset, content in enumerate(region.split("\n")):
        if _FENCE.match(content):
            fence_line = fence_line or first_line + offset
            continue
        lines.append((first_line + offset, content.rstrip()))
    if fence_line is not None:
        issues.append(ToonIssue(IssueKind.CODE_FENCE, "markdown code fence lines removed", fence_line))
    while lines and not lines[0][1].strip():
        lines.pop(0)
    while lines and not lines[-1][1].strip():
        lines.pop()
    ends_with_newline = region.rstrip(" \t").endswith("\n")
    return Body(
        lines,
        open_ended=not closed,
        tagged=bool(blocks),
        ends_with_newline=ends_with_newline,
        issues=issues,
    )
