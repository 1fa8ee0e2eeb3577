"""The text a TraSeR language model writes: one window's video scene graph as two TOON-style tables.

Why TOON-style: it is the layout SceneGraphVLM already writes and parses (``vsgg_ros.codec.toon``), a
header with the row count then one comma-separated row per item, so the model spends its tokens on
content, not on JSON punctuation. The answer sits between ``<answer>`` and ``</answer>`` as there::

    <answer>
    obj[2]{id,name,attrs}:
      1,person,red
      2,cup,blue;small
    rel[1]{subj,pred,obj,start,end}:
      1,holding,2,0,3
    </answer>

Object ids are the ones the prompt gave each trajectory (``<obj_traj_start>1 ... <obj_traj_end>``), so
the model names given objects rather than inventing ids. ``start``/``end`` are inclusive indices of the
window's sampled frames (1 fps in the paper); a relation that pauses is written as two rows. Labels use
TOON's generic spelling (lower case, hyphens); attributes are joined with ``;`` (empty when none).
Decoding is lenient: malformed rows are skipped and reported in ``problems``, never raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from vsgg_ros.codec.toon import ToonSchema
from vsgg_ros.codec.toon_model import spell_label

ANSWER_OPEN = "<answer>"
ANSWER_CLOSE = "</answer>"
OBJ_HEADER = "obj[{n}]{{id,name,attrs}}:"
REL_HEADER = "rel[{n}]{{subj,pred,obj,start,end}}:"
_OBJ_RE = re.compile(r"^obj\[(\d+)\]\{id,name,attrs\}:$")
_REL_RE = re.compile(r"^rel\[(\d+)\]\{subj,pred,obj,start,end\}:$")
_LABEL_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class TraserObject:
    id: int
    name: str
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraserRelation:
    """``subject -predicate-> object`` holding on sampled frames ``start..end`` (inclusive)."""

    subject: int
    predicate: str
    object: int
    start: int
    end: int


@dataclass(frozen=True)
class TraserGraph:
    objects: tuple[TraserObject, ...] = ()
    relations: tuple[TraserRelation, ...] = ()


@dataclass
class TraserDecodeResult:
    graph: TraserGraph
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def spell(label: str) -> str:
    """A label in the generic TOON spelling (``looking_at`` -> ``looking-at``)."""
    return spell_label(label, ToonSchema.GENERIC)


def spans_of(indices: Iterable[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive indices as inclusive ``(start, end)`` pairs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(set(indices)):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def encode_traser(graph: TraserGraph) -> str:
    """The answer text for ``graph`` (labels respelled; raises ValueError on an unspellable label)."""
    lines = [ANSWER_OPEN, OBJ_HEADER.format(n=len(graph.objects))]
    for o in graph.objects:
        attrs = ";".join(spell(a) for a in o.attributes)
        lines.append(f"  {o.id},{spell(o.name)},{attrs}")
    lines.append(REL_HEADER.format(n=len(graph.relations)))
    for r in graph.relations:
        if r.start > r.end or r.start < 0:
            raise ValueError(f"relation {r}: span must satisfy 0 <= start <= end")
        lines.append(f"  {r.subject},{spell(r.predicate)},{r.object},{r.start},{r.end}")
    lines.append(ANSWER_CLOSE)
    return "\n".join(lines)


def _answer_body(text: str, problems: list[str]) -> list[str]:
    start = text.find(ANSWER_OPEN)
    if start < 0:
        problems.append("no <answer> tag")
        body = text
    else:
        body = text[start + len(ANSWER_OPEN) :]
    end = body.find(ANSWER_CLOSE)
    if end < 0:
        problems.append("no </answer> tag (truncated answer)")
    else:
        body = body[:end]
    return [line.strip() for line in body.splitlines() if line.strip()]


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def decode_traser(text: str, object_ids: Sequence[int] | None = None, frames: int | None = None) -> TraserDecodeResult:
    """Parse an answer. ``object_ids`` (the prompt's ids) and ``frames`` (sampled frames in the window)
    bound what is accepted; rows outside them, duplicates and self-relations are dropped as problems."""
    problems: list[str] = []
    allowed = set(object_ids) if object_ids is not None else None
    objects: dict[int, TraserObject] = {}
    relations: list[TraserRelation] = []
    seen: set[TraserRelation] = set()
    section = ""
    declared: dict[str, int] = {}
    for line in _answer_body(text, problems):
        if m := _OBJ_RE.match(line):
            section, declared["obj"] = "obj", int(m.group(1))
            continue
        if m := _REL_RE.match(line):
            section, declared["rel"] = "rel", int(m.group(1))
            continue
        cells = line.split(",")
        if section == "obj" and len(cells) == 3:
            oid, name = _int(cells[0]), cells[1]
            attrs = tuple(a for a in cells[2].split(";") if a)
            if oid is None or not _LABEL_RE.match(name) or not all(_LABEL_RE.match(a) for a in attrs):
                problems.append(f"bad object row {line!r}")
            elif allowed is not None and oid not in allowed:
                problems.append(f"object row {line!r}: id {oid} was not given")
            elif oid in objects:
                problems.append(f"object row {line!r}: duplicate id {oid}")
            else:
                objects[oid] = TraserObject(oid, name, attrs)
            continue
        if section == "rel" and len(cells) == 5:
            s, pred, o, start, end = _int(cells[0]), cells[1], _int(cells[2]), _int(cells[3]), _int(cells[4])
            if s is None or o is None or start is None or end is None or not _LABEL_RE.match(pred):
                problems.append(f"bad relation row {line!r}")
            elif s == o or (allowed is not None and not {s, o} <= allowed):
                problems.append(f"relation row {line!r}: ids not two different given objects")
            elif start > end or (frames is not None and end >= frames):
                problems.append(f"relation row {line!r}: span outside 0..{(frames or 0) - 1}")
            else:
                rel = TraserRelation(s, pred, o, start, end)
                if rel in seen:
                    problems.append(f"relation row {line!r}: duplicate")
                else:
                    seen.add(rel)
                    relations.append(rel)
            continue
        problems.append(f"unexpected line {line!r}")
    for key, got in (("obj", len(objects)), ("rel", len(relations))):
        if key in declared and declared[key] != got:
            problems.append(f"{key}[{declared[key]}] header but {got} valid rows")
    return TraserDecodeResult(TraserGraph(tuple(objects.values()), tuple(relations)), problems)
