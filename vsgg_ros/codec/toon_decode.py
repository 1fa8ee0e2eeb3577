"""Tolerant, honest decoding of SceneGraphVLM TOON graphs from model output.

Never raises on the text; every element that is dropped, repaired or kept despite a problem comes
with a typed issue. The policy per issue kind is tabulated in :mod:`vsgg_ros.codec.toon`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import toon_format

from vsgg_ros.codec.toon_model import (
    AG_GROUP_LIMITS,
    AG_GROUPS,
    AG_PERSON,
    OBJ_FIELDS,
    OBJ_TABLE,
    PAIR_TABLE,
    IssueKind,
    OovPolicy,
    Severity,
    ToonDecodeResult,
    ToonIssue,
    ToonObject,
    ToonRelation,
    ToonSchema,
    is_spelled,
    spell_label,
)
from vsgg_ros.codec.toon_tables import RawTable, parse_label_list, quote_bracket_lists, segment, split_row
from vsgg_ros.codec.toon_unwrap import Body, unwrap
from vsgg_ros.graph import Vocabulary

_BOX_FIELDS = ("x1", "y1", "x2", "y2")


@dataclass(slots=True)
class _Row:
    line: int
    index: int  # 1-based among the rows of its table
    cells: dict[str, Any]  # empty when the row was dropped as malformed
    first_cell: Any = None  # of a dropped row: an id that relations may still refer to


class _Decoder:
    """One decode call's state: the issues found so far and the graph read so far."""

    def __init__(
        self,
        schema: ToonSchema,
        vocabulary: Vocabulary | None,
        image_size: tuple[int, int] | None,
        oov: OovPolicy,
    ) -> None:
        self.schema = schema
        self.vocabulary = vocabulary
        self.image_size = image_size
        self.oov = oov
        self.issues: list[ToonIssue] = []
        self.declared: set[int] = set()  # ids written in obj rows, readable or not otherwise
        self.row_ids: list[int | None] = []  # per obj row, None where the id could not be read
        self.objects: dict[int, ToonObject] = {}
        self.relations: list[ToonRelation] = []
        self.relation_keys: set[tuple[int, int, str]] = set()
        self.pairs: dict[tuple[int, int], int] = {}

    def add(self, kind: IssueKind, message: str, line: int | None = None, row: int | None = None) -> None:
        issue = ToonIssue(kind, message, line, row)
        if issue not in self.issues:
            self.issues.append(issue)

    def result(self) -> ToonDecodeResult:
        self.issues.sort(key=lambda issue: math.inf if issue.line is None else issue.line)
        return ToonDecodeResult(self.schema, tuple(self.objects.values()), tuple(self.relations), tuple(self.issues))

    def run(self, text: str | None) -> ToonDecodeResult:
        if text is None or not text.strip():
            self.add(IssueKind.EMPTY_OUTPUT, "model output is empty: no graph")
            return self.result()
        body = unwrap(text)
        self.issues.extend(body.issues)
        if not body.lines:
            self.add(IssueKind.EMPTY_OUTPUT, "nothing left after removing think/answer wrappers: no graph")
            return self.result()
        tables, issues = segment(body.lines)
        self.issues.extend(issues)
        chosen = self._choose(tables)
        rel_key = self.schema.relation_table
        seen = {table.key for table in tables}
        if OBJ_TABLE not in seen:
            self.add(IssueKind.NO_OBJ_TABLE, "no obj[N]{id,name,x1,y1,x2,y2} table: no objects read")
        elif rel_key not in seen and any(t.key == OBJ_TABLE and t.readable for t in tables):
            self.add(IssueKind.NO_REL_TABLE, f"no {rel_key}[M]{{...}} table: no relations read")
        if OBJ_TABLE in chosen:
            for row in self._rows(chosen[OBJ_TABLE], body):
                self._object(row)
            self._check_id_order(chosen[OBJ_TABLE][0].line)
        if rel_key in chosen:
            rows = [row for row in self._rows(chosen[rel_key], body) if row.cells]
            if OBJ_TABLE not in chosen and rows:
                self.add(
                    IssueKind.DANGLING_RELATION,
                    f"{len(rows)} relation row(s) not read: there is no readable obj table to refer to",
                    chosen[rel_key][0].line,
                )
                rows = []
            read = self._pair if self.schema is ToonSchema.AG else self._relation
            for row in rows:
                read(row)
        self._check_with_toon_format(body, tables)
        return self.result()

    # -- tables -----------------------------------------------------------------------------------

    def _choose(self, tables: list[RawTable]) -> dict[str, tuple[RawTable, list[int]]]:
        """The first readable table of each schema key, with the cell position of each field."""
        expected = {OBJ_TABLE: OBJ_FIELDS, self.schema.relation_table: self.schema.relation_fields}
        chosen: dict[str, tuple[RawTable, list[int]]] = {}
        taken: set[str] = set()
        for table in tables:
            if not table.readable:
                continue
            if table.key not in expected:
                self.add(
                    IssueKind.UNEXPECTED_TABLE,
                    f"table {table.key!r} is not part of the {self.schema.value} schema"
                    f" ({' + '.join(expected)}): ignored",
                    table.line,
                )
                continue
            if table.key in taken:
                self.add(IssueKind.DUPLICATE_TABLE, f"second {table.key!r} table ignored", table.line)
                continue
            taken.add(table.key)
            positions = self._positions(table, expected[table.key])
            if positions is not None:
                chosen[table.key] = (table, positions)
        return chosen

    def _positions(self, table: RawTable, fields: tuple[str, ...]) -> list[int] | None:
        wanted = "{" + ",".join(fields) + "}"
        if table.fields is None:
            if table.declared == 0 and not table.rows:
                return list(range(len(fields)))
            self.add(
                IssueKind.WRONG_FIELDS, f"{table.key} header has no field list {wanted}: table ignored", table.line
            )
            return None
        if table.fields == fields:
            return list(range(len(fields)))
        got = "{" + ",".join(table.fields) + "}"
        if sorted(table.fields) == sorted(fields):
            self.add(IssueKind.WRONG_FIELDS, f"{table.key} fields {got} are out of order: read by name", table.line)
            return [table.fields.index(name) for name in fields]
        self.add(IssueKind.WRONG_FIELDS, f"{table.key} fields {got} are not {wanted}: table ignored", table.line)
        return None

    def _rows(self, chosen: tuple[RawTable, list[int]], body: Body) -> list[_Row]:
        """Every row as field -> typed cell; malformed rows are reported and come back empty."""
        table, positions = chosen
        fields = OBJ_FIELDS if table.key == OBJ_TABLE else self.schema.relation_fields
        last_line = body.lines[-1][0]
        rows: list[_Row] = []
        counted = 0
        for raw in table.rows:
            text = quote_bracket_lists(raw.text) if table.key == PAIR_TABLE else raw.text
            try:
                cells: list[Any] | None = split_row(text, table.delimiter)
                error = ""
            except ValueError as exc:
                cells, error = None, str(exc)
            fits = cells is not None and len(cells) == len(fields)
            if not raw.indented:
                if not fits:
                    self.add(IssueKind.UNEXPECTED_LINE, f"text outside any table ignored: {raw.text!r}", raw.line)
                    continue
                self.add(IssueKind.INDENTATION, f"{table.key} rows are not indented: read anyway", table.line)
            counted += 1
            at_cut = raw.line == last_line and (body.open_ended or not body.tagged)
            if not fits:
                if at_cut:
                    message = f"last row {raw.text!r} is cut off: dropped"
                    self.add(IssueKind.TRUNCATED_ROW, message, raw.line, counted)
                elif cells is None:
                    message = f"cannot split row {raw.text!r} ({error}): dropped"
                    self.add(IssueKind.FIELD_COUNT, message, raw.line, counted)
                else:
                    message = f"row has {len(cells)} fields, {table.key} has {len(fields)}: dropped"
                    self.add(IssueKind.FIELD_COUNT, message, raw.line, counted)
                first = cells[positions[0]] if cells and len(cells) > positions[0] else None
                rows.append(_Row(raw.line, counted, {}, first))
                continue
            assert cells is not None
            if at_cut and body.open_ended and not body.ends_with_newline:
                message = f"last row {raw.text!r} ends where the output was cut, may be incomplete: dropped"
                self.add(IssueKind.TRUNCATED_ROW, message, raw.line, counted)
                rows.append(_Row(raw.line, counted, {}, cells[positions[0]]))
                continue
            rows.append(_Row(raw.line, counted, dict(zip(fields, (cells[p] for p in positions), strict=True))))
        if counted != table.declared:
            self.add(
                IssueKind.ROW_COUNT_MISMATCH,
                f"{table.key} header declares {table.declared} rows, found {counted}: read the rows present",
                table.line,
            )
        return rows

    # -- values ---------------------------------------------------------------------------------

    def _integer(self, row: _Row, name: str, dropped: str) -> int | None:
        value = row.cells[name]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value):
            self.add(IssueKind.NON_INTEGER, f"{name} {value!r} is not an integer: {dropped}", row.line, row.index)
        else:
            self.add(IssueKind.NON_NUMERIC, f"{name} {value!r} is not a number: {dropped}", row.line, row.index)
        return None

    def _text(self, row: _Row, name: str, dropped: str) -> str | None:
        value = row.cells[name]
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.add(IssueKind.BAD_NAME, f"{name} {value!r} is empty or not text: {dropped}", row.line, row.index)
        return None

    def _label(self, raw: str, what: str, row: _Row, dropped: str) -> str | None:
        """The label to keep for a name or predicate as written: respelled, canonical, or None."""
        name = raw
        if not is_spelled(raw, self.schema):
            try:
                name = spell_label(raw, self.schema)
                done = f"respelled {name!r}"
            except ValueError:
                done = "kept as written"
            message = f"{what} {raw!r} is not in {self.schema.value} TOON spelling: {done}"
            self.add(IssueKind.NAME_SPELLING, message, row.line, row.index)
        if self.vocabulary is None:
            return name
        lookup = self.vocabulary.canonical_object if what == "object" else self.vocabulary.canonical_predicate
        canonical = lookup(raw)
        if canonical is not None:
            return canonical
        kind = IssueKind.OOV_OBJECT if what == "object" else IssueKind.OOV_PREDICATE
        keep = self.oov is OovPolicy.KEEP
        message = f"{what} {raw!r} is not in vocabulary {self.vocabulary.name!r}: {'kept' if keep else dropped}"
        self.add(kind, message, row.line, row.index)
        return name if keep else None

    def _box(self, row: _Row, oid: int) -> tuple[int, int, int, int] | None:
        coords: list[int] = []
        rounded = False
        for name in _BOX_FIELDS:
            value = row.cells[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                message = f"{name} {value!r} is not a number: object {oid} dropped"
                self.add(IssueKind.NON_NUMERIC, message, row.line, row.index)
                return None
            if isinstance(value, float):
                value, rounded = math.floor(value + 0.5), True
            coords.append(int(value))
        if rounded:
            message = f"non-integer box coordinates rounded to {tuple(coords)}"
            self.add(IssueKind.NON_INTEGER, message, row.line, row.index)
        if self.image_size is None:
            clamped = [max(c, 0) for c in coords]
            bounds = "the image (negative)"
        else:
            width, height = self.image_size
            clamped = [min(max(c, 0), limit) for c, limit in zip(coords, (width, height, width, height), strict=True)]
            bounds = f"the {width}x{height} image"
        if clamped != coords:
            message = f"box {tuple(coords)} lies outside {bounds}: clamped to {tuple(clamped)}"
            self.add(IssueKind.OUT_OF_BOUNDS, message, row.line, row.index)
        x1, y1, x2, y2 = clamped
        if x2 <= x1 or y2 <= y1:
            message = f"box {tuple(clamped)} has x2<=x1 or y2<=y1: object {oid} dropped"
            self.add(IssueKind.BAD_BOX, message, row.line, row.index)
            return None
        return x1, y1, x2, y2

    # -- objects and relations ------------------------------------------------------------------------

    def _object(self, row: _Row) -> None:
        if not row.cells:  # dropped as malformed; relations to its id are dangling, not unknown
            first = row.first_cell
            readable = isinstance(first, int) and not isinstance(first, bool)
            self.row_ids.append(first if readable else None)
            if readable:
                self.declared.add(first)
            return
        oid = self._integer(row, "id", "row dropped")
        self.row_ids.append(oid)
        if oid is None:
            return
        if oid in self.declared:
            message = f"object id {oid} already used by an earlier row: row dropped"
            self.add(IssueKind.DUPLICATE_OBJECT_ID, message, row.line, row.index)
            return
        self.declared.add(oid)
        raw = self._text(row, "name", f"object {oid} dropped")
        name = None if raw is None else self._label(raw, "object", row, f"object {oid} dropped")
        box = None if name is None else self._box(row, oid)
        if name is not None and box is not None:
            self.objects[oid] = ToonObject(oid, name, box)

    def _check_id_order(self, line: int) -> None:
        """Row k must carry id k; unreadable ids match anything, repeats were reported already."""
        expected, seen, out_of_order = 1, set(), False
        for oid in self.row_ids:
            if oid in seen:
                continue
            out_of_order |= oid is not None and oid != expected
            seen.add(oid)
            expected += 1
        if out_of_order:
            ids = ["?" if oid is None else str(oid) for oid in self.row_ids]
            shown = ",".join(ids[:12]) + (",..." if len(ids) > 12 else "")
            message = f"object ids [{shown}] are not 1..N in row order: kept as written"
            self.add(IssueKind.NON_SEQUENTIAL_IDS, message, line)

    def _endpoints(self, row: _Row) -> tuple[int, int] | None:
        subj = self._integer(row, "subj", "relation row dropped")
        obj = None if subj is None else self._integer(row, "obj", "relation row dropped")
        if subj is None or obj is None:
            return None
        if subj == obj:
            self.add(IssueKind.SELF_LOOP, f"relation from object {subj} to itself: dropped", row.line, row.index)
            return None
        for oid in (subj, obj):
            if oid not in self.declared:
                message = f"relation refers to object {oid}, which no readable obj row declares: dropped"
                self.add(IssueKind.UNKNOWN_OBJECT_ID, message, row.line, row.index)
                return None
            if oid not in self.objects:
                message = f"relation refers to object {oid}, which was dropped: relation dropped"
                self.add(IssueKind.DANGLING_RELATION, message, row.line, row.index)
                return None
        return subj, obj

    def _keep(self, row: _Row, relation: ToonRelation) -> bool:
        key = (relation.subj, relation.obj, relation.pred)
        if key in self.relation_keys:
            message = f"relation {relation.subj},{relation.pred},{relation.obj} repeated: dropped"
            self.add(IssueKind.DUPLICATE_RELATION, message, row.line, row.index)
            return False
        self.relation_keys.add(key)
        self.relations.append(relation)
        return True

    def _relation(self, row: _Row) -> None:
        ends = self._endpoints(row)
        raw = None if ends is None else self._text(row, "pred", "relation dropped")
        pred = None if raw is None else self._label(raw, "predicate", row, "relation dropped")
        if ends is not None and pred is not None:
            self._keep(row, ToonRelation(ends[0], pred, ends[1]))

    def _is_person(self, name: str) -> bool:
        if self.vocabulary is not None and self.vocabulary.canonical_object(name) == AG_PERSON:
            return True
        return name.strip().lower() == AG_PERSON

    def _group_of(self, pred: str) -> str:
        if self.vocabulary is None or not self.vocabulary.groups:
            return ""
        pid = self.vocabulary.predicate_id(pred)
        return self.vocabulary.group_of(pid) if pid >= 0 else ""

    def _pair(self, row: _Row) -> None:
        ends = self._endpoints(row)
        if ends is None:
            return
        subj, obj = ends
        subject = self.objects[subj].name
        if not self._is_person(subject):
            message = f"AG subject {subj} is {subject!r}, not {AG_PERSON}: row dropped"
            self.add(IssueKind.SUBJECT_NOT_PERSON, message, row.line, row.index)
            return
        if (subj, obj) in self.pairs:
            message = f"pair ({subj},{obj}) repeats row {self.pairs[(subj, obj)]}: labels merged into it"
            self.add(IssueKind.DUPLICATE_PAIR, message, row.line, row.index)
        self.pairs.setdefault((subj, obj), row.index)
        problems: list[str] = []
        written = 0
        counts: Counter[str] = Counter()
        for group in AG_GROUPS:
            labels, problem = parse_label_list(row.cells[group])
            if problem:
                problems.append(f"{group} {problem}")
            written += len(labels)
            for label in labels:
                pred = self._label(label, "predicate", row, "label dropped")
                if pred is None:
                    continue
                actual = self._group_of(pred) or group
                if actual != group:
                    message = f"{pred!r} is a {actual} label, listed under {group}: moved to {actual}"
                    self.add(IssueKind.WRONG_GROUP, message, row.line, row.index)
                if self._keep(row, ToonRelation(subj, pred, obj, actual)):
                    counts[actual] += 1
        if problems:
            self.add(IssueKind.LIST_SYNTAX, "; ".join(problems), row.line, row.index)
        if written == 0:
            self.add(IssueKind.EMPTY_PAIR, f"pair ({subj},{obj}) has no labels: nothing kept", row.line, row.index)
        for group, limit in AG_GROUP_LIMITS.items():
            if counts[group] > limit:
                message = f"{counts[group]} {group} labels, SceneGraphVLM allows at most {limit}: all kept"
                self.add(IssueKind.TOO_MANY_LABELS, message, row.line, row.index)

    # -- final check ---------------------------------------------------------------------------------

    def _check_with_toon_format(self, body: Body, tables: list[RawTable]) -> None:
        """Catch-all: text we found nothing wrong with must also be valid TOON to toon-format,
        and must decode to an object (not, e.g., the root string a cut header turns into)."""
        if any(issue.severity is Severity.ERROR for issue in self.issues):
            return
        pair_lines = {row.line for table in tables if table.key == PAIR_TABLE for row in table.rows}
        prepared = "\n".join(
            quote_bracket_lists(content) if number in pair_lines else content for number, content in body.lines
        )
        try:
            document = toon_format.loads(prepared, strict=True)
        except Exception as exc:  # toon-format's own error types vary; all mean "not valid TOON"
            index = getattr(exc, "line", None)
            line = body.lines[index - 1][0] if isinstance(index, int) and 0 < index <= len(body.lines) else None
            self.add(IssueKind.INVALID_TOON, f"toon-format rejects the graph ({exc}): kept what was read", line)
            return
        if not isinstance(document, dict):
            kind = type(document).__name__
            self.add(IssueKind.INVALID_TOON, f"toon-format reads the graph as a {kind}, not an object")


def decode_toon(
    text: str | None,
    schema: ToonSchema | str = ToonSchema.GENERIC,
    *,
    vocabulary: Vocabulary | None = None,
    image_size: tuple[int, int] | None = None,
    oov: OovPolicy | str = OovPolicy.KEEP,
) -> ToonDecodeResult:
    """Read a scene graph from model output; never raises on the text.

    ``image_size`` is ``(width, height)``: boxes are clamped into it (with an issue). With a
    ``vocabulary``, names and predicates become its canonical labels and unknown ones are kept or
    dropped per ``oov``; in the AG schema its predicate groups check each label's list.
    Raises ValueError only for bad arguments.
    """
    schema = ToonSchema(schema)
    oov = OovPolicy(oov)
    if image_size is not None and (len(image_size) != 2 or min(image_size) <= 0):
        raise ValueError(f"image_size must be (width, height) > 0, got {image_size!r}")
    if schema is ToonSchema.AG and vocabulary is not None and vocabulary.groups:
        names = {group.name for group in vocabulary.groups}
        if not set(AG_GROUPS) <= names:
            raise ValueError(f"vocabulary {vocabulary.name!r} groups {sorted(names)} lack {list(AG_GROUPS)}")
    return _Decoder(schema, vocabulary, image_size, oov).run(text)


def is_strictly_valid(
    text: str | None,
    schema: ToonSchema | str = ToonSchema.GENERIC,
    *,
    image_size: tuple[int, int] | None = (640, 480),
    require_answer_tags: bool = False,
) -> bool:
    """SceneGraphVLM's strict format check (the GRPO format reward's gate).

    True when decoding finds no ERROR issue: ids 1..N, row counts equal to [N]/[M], no blank lines,
    self-loops, duplicates or unknown ids, boxes with 0<=x1<x2<=W and 0<=y1<y2<=H (640x480 by
    default, SceneGraphVLM's resize), names in the schema spelling, AG subjects are the person.
    Vocabulary membership is not a format question and is not checked. ``require_answer_tags``
    additionally demands the ``<answer>...</answer>`` wrapper the GRPO system prompt asks for.
    """
    result = decode_toon(text, schema, image_size=image_size)
    if require_answer_tags and IssueKind.ANSWER_TAGS not in result.kinds:
        return False
    return result.strictly_valid
