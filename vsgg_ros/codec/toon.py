"""SceneGraphVLM's TOON scene-graph schemas: encoding with toon-format, tolerant decoding of model output.

Schemas (SceneGraphVLM, reference §6.1; ids 1..N, integer pixel xyxy boxes)::

    obj[N]{id,name,x1,y1,x2,y2}:            generic (PSG / PVSG)
      1,person,281,272,524,438
    rel[M]{subj,pred,obj}:
      1,in-front-of,2

    obj[N]{id,name,x1,y1,x2,y2}:            Action Genome: one row per (person, object) pair
      1,person,24,71,259,268
    rel_pairs[M]{subj,attention,spatial,contacting,obj}:
      1,"[not_looking_at]","[beneath,behind]","[sitting_on,leaning_on]",3

AG label lists. SceneGraphVLM writes them bare (``1,[unsure],[beneath,behind],[],3``). That is not
TOON: the commas inside the brackets split the row, and spec §7.2 requires quotes around strings
with brackets. We emit each list as one quoted TOON string, ``"[a,b]"`` (``"[]"`` when empty), exactly
what ``toon_format.dumps`` produces, so the output is valid TOON that toon-format reads back. The
text inside the quotes is SceneGraphVLM's bracket form, and the header, field names and row order
are unchanged. The decoder accepts both forms: it quotes bare bracket lists before toon-format
splits the row, and the strict check accepts both.

Empty tables are written ``rel[0]{subj,pred,obj}:``. toon-format would write ``rel: []``, which has
no field list; it reads our form back as an empty list. The decoder accepts ``rel[0]:`` and
``rel: []`` without an issue.

Spelling (:func:`spell_label`). In the generic schema, names and predicates are lower case with words
joined by hyphens, matching the strict reward's regex ``[a-z0-9]+(-[a-z0-9]+)*``: ``in front of`` and
``in_front_of`` become ``in-front-of``, and ``cup/glass/bottle`` becomes ``cup-glass-bottle``. In AG,
labels keep AG's own forms: slashes in object names, underscores in predicates (``in_front_of``).
Labels outside SceneGraphVLM's ASCII alphabet are refused when encoding. When decoding with a
:class:`~vsgg_ros.graph.Vocabulary`, names resolve to its canonical labels (its lookup ignores case
and `` _-/``). Without one, they stay in TOON spelling.

Decoding (:func:`decode_toon`) never raises on model output and never returns a silently altered
graph. Each element below is dropped, repaired or kept, and every such action is reported as a
:class:`ToonIssue`. Each issue has a typed ``kind``, a ``message`` that says what was done, and the
``line``/``row`` when known. Severity: ERROR breaks SceneGraphVLM's strict format
(:func:`is_strictly_valid`); WARNING is valid format with questionable content; INFO is expected
wrapping.

=====================  ========  ===================================================  ==================================
kind                   severity  trigger                                              action
=====================  ========  ===================================================  ==================================
EMPTY_OUTPUT           ERROR     nothing left to read                                 empty graph
THINK_BLOCK            INFO      ``<think>..</think>`` or a leading ``..</think>``    stripped
UNCLOSED_THINK         ERROR     ``<think>`` never closed                             rest of text ignored
ANSWER_TAGS            INFO      ``<answer>`` block(s) present                        last block with ``obj[`` read
MULTIPLE_ANSWERS       WARNING   more than one answer block                           others ignored
UNCLOSED_ANSWER        ERROR     ``<answer>`` never closed (output cut)               read; last row treated as cut
CODE_FENCE             ERROR     markdown ````` lines                                 fence lines removed
BLANK_LINE             ERROR     blank line inside the graph                          skipped
UNEXPECTED_LINE        ERROR     text outside any table (prose)                       ignored
NO_OBJ_TABLE           ERROR     no ``obj`` header at all                             no objects, relations unread
NO_REL_TABLE           ERROR     ``obj`` table but no relation header                 no relations
HEADER_TRUNCATED       ERROR     last line is a cut header (toon-format: root str)    table ignored
BAD_HEADER             ERROR     unreadable header line                               table and its rows ignored
HEADER_SYNTAX          ERROR     header readable but not canonical (no colon, ...)    read as a header
WRONG_FIELDS           ERROR     field list differs from the schema                   reordered by name, else ignored
UNEXPECTED_TABLE       ERROR     table not in the schema (``rel`` in AG, ...)         ignored
DUPLICATE_TABLE        ERROR     a table key repeated                                 later copy ignored
ROW_COUNT_MISMATCH     ERROR     row lines differ from ``[N]``                        rows present read
INDENTATION            ERROR     unindented rows                                      read
FIELD_COUNT            ERROR     row with too many/few cells, or unsplittable         row dropped
TRUNCATED_ROW          ERROR     last row cut mid-way                                 row dropped
NON_NUMERIC            ERROR     id or coordinate not a number                        row dropped
NON_INTEGER            ERROR     id or coordinate not an integer                      coords rounded; id: row dropped
OUT_OF_BOUNDS          ERROR     coordinate < 0 or beyond ``image_size``              clamped
BAD_BOX                ERROR     x2<=x1 or y2<=y1 (after clamping)                    object dropped
BAD_NAME               ERROR     name or predicate empty / not text                   row dropped
NAME_SPELLING          ERROR     not in schema spelling (``Person``, ``in front of``) respelled (or kept as written)
DUPLICATE_OBJECT_ID    ERROR     an id used by an earlier row                         later row dropped
NON_SEQUENTIAL_IDS     ERROR     ids not 1..N in row order                            kept as written
OOV_OBJECT             WARNING   name not in ``vocabulary``                           kept or dropped per ``oov``
OOV_PREDICATE          WARNING   predicate not in ``vocabulary``                      kept or dropped per ``oov``
UNKNOWN_OBJECT_ID      ERROR     relation id that no obj row declares                 relation dropped
DANGLING_RELATION      WARNING   relation to an object dropped above                  relation dropped
SELF_LOOP              ERROR     subj == obj                                          relation dropped
DUPLICATE_RELATION     ERROR     repeated (subj, pred, obj)                           later copy dropped
LIST_SYNTAX            ERROR     AG list not ``[a,b]`` (bare, quoted labels, ...)     read as a list
WRONG_GROUP            WARNING   AG label in another group's list (needs vocab)       moved to its own group
TOO_MANY_LABELS        WARNING   more than 1 attention / 5 spatial / 4 contacting     all kept
SUBJECT_NOT_PERSON     ERROR     AG subject is not the person                         row dropped
DUPLICATE_PAIR         ERROR     AG (subj, obj) pair in two rows                      labels merged
EMPTY_PAIR             WARNING   AG row with no labels                                nothing to keep
INVALID_TOON           ERROR     toon-format rejects text with no other ERROR         kept what was read
=====================  ========  ===================================================  ==================================

Truncation is certain only when ``<answer>`` is left open: then the last row is dropped unless a
newline ends it. Untagged output whose last row is cut off leaving the row short is caught. A cut
inside the last number of an untagged row cannot be seen, and that row is read as written.

The public API is :func:`encode_toon` (stable: ``encode_toon(graph: ToonGraph) -> str``),
:func:`scene_graph_to_toon`, :func:`toon_json_model`, :func:`decode_toon`, :func:`is_strictly_valid`
and the value types re-exported below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import toon_format

from vsgg_ros.codec.toon_decode import decode_toon, is_strictly_valid
from vsgg_ros.codec.toon_model import (
    AG_GROUPS,
    AG_PERSON,
    OBJ_FIELDS,
    OBJ_TABLE,
    Box,
    IssueKind,
    OovPolicy,
    Severity,
    ToonDecodeResult,
    ToonGraph,
    ToonIssue,
    ToonObject,
    ToonRelation,
    ToonSchema,
    spell_label,
)
from vsgg_ros.graph import SceneGraph, Vocabulary

__all__ = [
    "IssueKind",
    "OovPolicy",
    "Severity",
    "ToonDecodeResult",
    "ToonGraph",
    "ToonIssue",
    "ToonObject",
    "ToonRelation",
    "ToonSchema",
    "decode_toon",
    "encode_toon",
    "is_strictly_valid",
    "scene_graph_to_toon",
    "spell_label",
    "toon_json_model",
]


def _problems(graph: ToonGraph) -> list[str]:
    """Everything that would make the encoding of ``graph`` strictly invalid."""
    problems: list[str] = []
    schema = graph.schema
    ids = [o.id for o in graph.objects]
    if ids != list(range(1, len(ids) + 1)):
        problems.append(f"object ids must be 1..N in order, got {ids}")
    names: dict[int, str] = {}
    for o in graph.objects:
        box = o.box
        if len(box) != 4 or not all(isinstance(c, int) and not isinstance(c, bool) for c in box):
            problems.append(f"object {o.id}: box {box!r} is not 4 integers")
        elif not (0 <= box[0] < box[2] and 0 <= box[1] < box[3]):
            problems.append(f"object {o.id}: box {box!r} needs 0 <= x1 < x2 and 0 <= y1 < y2")
        try:
            names[o.id] = spell_label(o.name, schema)
        except ValueError as exc:
            problems.append(f"object {o.id}: {exc}")
    seen: set[tuple[int, int, str]] = set()
    for r in graph.relations:
        where = f"relation ({r.subj},{r.pred!r},{r.obj})"
        if r.subj not in names or r.obj not in names:
            problems.append(f"{where}: refers to an unknown or unspellable object")
        if r.subj == r.obj:
            problems.append(f"{where}: self-loop")
        try:
            pred = spell_label(r.pred, schema)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if (r.subj, r.obj, pred) in seen:
            problems.append(f"{where}: duplicate")
        seen.add((r.subj, r.obj, pred))
        if schema is ToonSchema.GENERIC and r.group:
            problems.append(f"{where}: the generic schema has no predicate groups (group {r.group!r})")
        if schema is ToonSchema.AG:
            if r.group not in AG_GROUPS:
                problems.append(f"{where}: AG group must be one of {AG_GROUPS}, got {r.group!r}")
            if names.get(r.subj, AG_PERSON) != AG_PERSON:
                problems.append(f"{where}: AG subjects must be the {AG_PERSON}, got {names[r.subj]!r}")
    return problems


def toon_json_model(graph: ToonGraph) -> dict[str, list[dict[str, Any]]]:
    """The graph as the JSON document the TOON text stands for (AG label lists as JSON arrays).

    ``json.dumps(toon_json_model(g), separators=(",", ":"))`` is the compact-JSON baseline that
    SceneGraphVLM compares TOON against. Labels are in TOON spelling. Raises ValueError like
    :func:`encode_toon`.
    """
    problems = _problems(graph)
    if problems:
        raise ValueError(f"cannot encode graph in the {graph.schema.value} TOON schema: " + "; ".join(problems))
    schema = graph.schema
    objects = [
        {"id": o.id, "name": spell_label(o.name, schema), **dict(zip(OBJ_FIELDS[2:], o.box, strict=True))}
        for o in graph.objects
    ]
    if schema is ToonSchema.GENERIC:
        relations = [{"subj": r.subj, "pred": spell_label(r.pred, schema), "obj": r.obj} for r in graph.relations]
        return {OBJ_TABLE: objects, schema.relation_table: relations}
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    for r in graph.relations:
        row = pairs.setdefault((r.subj, r.obj), {"subj": r.subj, **{g: [] for g in AG_GROUPS}, "obj": r.obj})
        row[r.group].append(spell_label(r.pred, schema))
    return {OBJ_TABLE: objects, schema.relation_table: list(pairs.values())}


def _table_text(key: str, fields: Sequence[str], rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"{key}[0]{{{','.join(fields)}}}:"
    text = toon_format.dumps({key: rows})
    header = f"{key}[{len(rows)}]{{{','.join(fields)}}}:"
    if not text.startswith(header + "\n"):
        raise RuntimeError(f"toon-format did not write {key} as the table {header}")
    return text


def encode_toon(graph: ToonGraph) -> str:
    """The graph as SceneGraphVLM TOON text (no ``<answer>`` wrapper), written by toon-format.

    Raises ValueError naming every problem that would make the text strictly invalid: ids not
    1..N, boxes without 0<=x1<x2 / 0<=y1<y2, unspellable labels, unknown ids, self-loops,
    duplicates, and in AG a missing group or a subject that is not the person. The result is
    checked to read back with ``toon_format.loads`` to the same document.
    """
    model = toon_json_model(graph)
    schema = graph.schema
    if schema is ToonSchema.AG:
        for row in model[schema.relation_table]:
            for group in AG_GROUPS:
                row[group] = "[" + ",".join(row[group]) + "]"
    rel_key = schema.relation_table
    text = _table_text(OBJ_TABLE, OBJ_FIELDS, model[OBJ_TABLE]) + "\n"
    text += _table_text(rel_key, schema.relation_fields, model[rel_key])
    if toon_format.loads(text) != model:
        raise RuntimeError("toon-format does not read the encoded graph back unchanged")
    return text


def _pixel_span(lo: float, hi: float, limit: int | None) -> tuple[int, int]:
    """The covering integer span of [lo, hi] (floor/ceil), clamped to [0, limit], at least 1 px."""
    a, b = max(math.floor(lo), 0), max(math.ceil(hi), 0)
    if limit is not None:
        a, b = min(a, limit), min(b, limit)
    if b <= a:
        a, b = (a, a + 1) if limit is None or a < limit else (limit - 1, limit)
    return a, b


def _pixel_box(box: Sequence[float], image_size: tuple[int, int] | None, track_id: int) -> Box:
    if len(box) != 4 or not all(math.isfinite(c) for c in box) or box[2] < box[0] or box[3] < box[1]:
        raise ValueError(f"object {track_id}: box {tuple(box)!r} is not a finite (x1, y1, x2, y2) box")
    width, height = (None, None) if image_size is None else image_size
    x1, x2 = _pixel_span(box[0], box[2], width)
    y1, y2 = _pixel_span(box[1], box[3], height)
    return x1, y1, x2, y2


def scene_graph_to_toon(
    graph: SceneGraph,
    schema: ToonSchema | str = ToonSchema.GENERIC,
    *,
    vocabulary: Vocabulary | None = None,
    image_size: tuple[int, int] | None = None,
) -> tuple[ToonGraph, dict[int, int]]:
    """A SceneGraph as a ToonGraph, and the map ``toon id -> track id`` to map decoded output back.

    Objects are numbered 1..N by ascending track id, so a set of tracks keeps its numbering
    whatever the list order. Boxes become the covering integer box, clamped to
    ``image_size = (width, height)`` when given. Relations whose ends are both present are kept,
    once per (subject, object, predicate). In the AG schema a relation's group is ``Relation.group``,
    or else the ``vocabulary`` group of its predicate. Raises ValueError on duplicate track ids,
    bad boxes, or AG relations without a group.
    """
    schema = ToonSchema(schema)
    ordered = sorted(graph.objects, key=lambda o: o.id)
    numbering = {o.id: index for index, o in enumerate(ordered, start=1)}
    if len(numbering) != len(ordered):
        raise ValueError(f"scene graph {graph.frame_index}: duplicate track ids")
    objects = tuple(ToonObject(numbering[o.id], o.label, _pixel_box(o.box, image_size, o.id)) for o in ordered)
    relations: list[ToonRelation] = []
    seen: set[tuple[int, int, str]] = set()
    for r in graph.relations:
        if r.subject_id not in numbering or r.object_id not in numbering or r.key in seen:
            continue
        seen.add(r.key)
        group = ""
        if schema is ToonSchema.AG:
            group = r.group or _vocabulary_group(vocabulary, r.predicate, r.predicate_id)
            if not group:
                raise ValueError(f"relation {r.key}: no predicate group for the AG schema")
        relations.append(ToonRelation(numbering[r.subject_id], r.predicate, numbering[r.object_id], group))
    return ToonGraph(schema, objects, tuple(relations)), {toon: track for track, toon in numbering.items()}


def _vocabulary_group(vocabulary: Vocabulary | None, predicate: str, predicate_id: int) -> str:
    if vocabulary is None:
        return ""
    pid = predicate_id if predicate_id >= 0 else vocabulary.predicate_id(predicate)
    return vocabulary.group_of(pid) if pid >= 0 else ""
