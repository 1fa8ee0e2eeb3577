"""Value types of the SceneGraphVLM TOON codec: schemas, graphs, decode issues, label spelling.

Kept apart from the encoder and decoder so that both, and their callers, share one definition of
what a TOON scene graph is. See :mod:`vsgg_ros.codec.toon` for the format and the issue table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

Box = tuple[int, int, int, int]

OBJ_TABLE = "obj"
OBJ_FIELDS = ("id", "name", "x1", "y1", "x2", "y2")
REL_TABLE = "rel"
REL_FIELDS = ("subj", "pred", "obj")
PAIR_TABLE = "rel_pairs"
PAIR_FIELDS = ("subj", "attention", "spatial", "contacting", "obj")
AG_GROUPS = ("attention", "spatial", "contacting")
# SceneGraphVLM's prompt: at most this many labels per group and (person, object) pair.
AG_GROUP_LIMITS = {"attention": 1, "spatial": 5, "contacting": 4}
AG_PERSON = "person"


class ToonSchema(str, Enum):
    """Which SceneGraphVLM layout a TOON graph uses."""

    GENERIC = "generic"  # PSG / PVSG: obj + rel{subj,pred,obj}
    AG = "ag"  # Action Genome: obj + rel_pairs{subj,attention,spatial,contacting,obj}

    @property
    def relation_table(self) -> str:
        return PAIR_TABLE if self is ToonSchema.AG else REL_TABLE

    @property
    def relation_fields(self) -> tuple[str, ...]:
        return PAIR_FIELDS if self is ToonSchema.AG else REL_FIELDS


class Severity(str, Enum):
    """How much an issue matters; only ERROR breaks SceneGraphVLM's strict format."""

    INFO = "info"  # expected wrapping (answer tags, think block); nothing lost
    WARNING = "warning"  # valid format, questionable content (vocabulary, AG groups, consequences)
    ERROR = "error"  # violates the strict format: the text is not what SceneGraphVLM asks for


class IssueKind(str, Enum):
    """Every way model output can deviate from the schema; the module docstring of
    :mod:`vsgg_ros.codec.toon` says what the decoder does about each."""

    EMPTY_OUTPUT = "empty_output"
    THINK_BLOCK = "think_block"
    UNCLOSED_THINK = "unclosed_think"
    ANSWER_TAGS = "answer_tags"
    MULTIPLE_ANSWERS = "multiple_answers"
    UNCLOSED_ANSWER = "unclosed_answer"
    CODE_FENCE = "code_fence"
    BLANK_LINE = "blank_line"
    UNEXPECTED_LINE = "unexpected_line"
    NO_OBJ_TABLE = "no_obj_table"
    NO_REL_TABLE = "no_rel_table"
    HEADER_TRUNCATED = "header_truncated"
    BAD_HEADER = "bad_header"
    HEADER_SYNTAX = "header_syntax"
    WRONG_FIELDS = "wrong_fields"
    UNEXPECTED_TABLE = "unexpected_table"
    DUPLICATE_TABLE = "duplicate_table"
    ROW_COUNT_MISMATCH = "row_count_mismatch"
    INDENTATION = "indentation"
    FIELD_COUNT = "field_count"
    TRUNCATED_ROW = "truncated_row"
    NON_NUMERIC = "non_numeric"
    NON_INTEGER = "non_integer"
    OUT_OF_BOUNDS = "out_of_bounds"
    BAD_BOX = "bad_box"
    BAD_NAME = "bad_name"
    NAME_SPELLING = "name_spelling"
    DUPLICATE_OBJECT_ID = "duplicate_object_id"
    NON_SEQUENTIAL_IDS = "non_sequential_ids"
    OOV_OBJECT = "oov_object"
    OOV_PREDICATE = "oov_predicate"
    UNKNOWN_OBJECT_ID = "unknown_object_id"
    DANGLING_RELATION = "dangling_relation"
    SELF_LOOP = "self_loop"
    DUPLICATE_RELATION = "duplicate_relation"
    LIST_SYNTAX = "list_syntax"
    WRONG_GROUP = "wrong_group"
    TOO_MANY_LABELS = "too_many_labels"
    SUBJECT_NOT_PERSON = "subject_not_person"
    DUPLICATE_PAIR = "duplicate_pair"
    EMPTY_PAIR = "empty_pair"
    INVALID_TOON = "invalid_toon"

    @property
    def severity(self) -> Severity:
        return _SEVERITY.get(self, Severity.ERROR)


_SEVERITY = {
    IssueKind.THINK_BLOCK: Severity.INFO,
    IssueKind.ANSWER_TAGS: Severity.INFO,
    IssueKind.MULTIPLE_ANSWERS: Severity.WARNING,
    IssueKind.OOV_OBJECT: Severity.WARNING,
    IssueKind.OOV_PREDICATE: Severity.WARNING,
    IssueKind.DANGLING_RELATION: Severity.WARNING,
    IssueKind.WRONG_GROUP: Severity.WARNING,
    IssueKind.TOO_MANY_LABELS: Severity.WARNING,
    IssueKind.EMPTY_PAIR: Severity.WARNING,
}


class OovPolicy(str, Enum):
    """What the decoder does with names outside the given vocabulary (always reported)."""

    KEEP = "keep"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class ToonIssue:
    """One deviation found while decoding; ``message`` says what was done about it."""

    kind: IssueKind
    message: str
    line: int | None = None  # 1-based line in the text given to the decoder
    row: int | None = None  # 1-based row within its table

    @property
    def severity(self) -> Severity:
        return self.kind.severity


@dataclass(frozen=True, slots=True)
class ToonObject:
    """An ``obj`` row: graph-local id (1..N), label, integer pixel box ``(x1, y1, x2, y2)``."""

    id: int
    name: str
    box: Box


@dataclass(frozen=True, slots=True)
class ToonRelation:
    """One directed edge. ``group`` is the AG predicate group; empty in the generic schema."""

    subj: int
    pred: str
    obj: int
    group: str = ""


@dataclass(frozen=True, slots=True)
class ToonGraph:
    """A scene graph as the TOON schemas carry it: ids local to the graph, integer boxes.

    In the AG schema relations are atomic ``(subj, pred, obj, group)`` edges; the encoder groups
    them into one row per (person, object) pair, keeping label order (SceneGraphVLM ranks by it).
    """

    schema: ToonSchema
    objects: tuple[ToonObject, ...] = ()
    relations: tuple[ToonRelation, ...] = ()


@dataclass(frozen=True, slots=True)
class ToonDecodeResult:
    """What could honestly be read from model output, and everything that was wrong with it."""

    schema: ToonSchema
    objects: tuple[ToonObject, ...]
    relations: tuple[ToonRelation, ...]
    issues: tuple[ToonIssue, ...]

    @property
    def graph(self) -> ToonGraph:
        return ToonGraph(self.schema, self.objects, self.relations)

    @property
    def kinds(self) -> frozenset[IssueKind]:
        return frozenset(issue.kind for issue in self.issues)

    @property
    def strictly_valid(self) -> bool:
        """True when nothing broke SceneGraphVLM's strict format (INFO/WARNING issues allowed)."""
        return not any(issue.severity is Severity.ERROR for issue in self.issues)


_SPELLING = {
    ToonSchema.GENERIC: re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*"),
    ToonSchema.AG: re.compile(r"[a-z0-9]+(?:[_/][a-z0-9]+)*"),
}


def is_spelled(name: str, schema: ToonSchema) -> bool:
    """Whether ``name`` already has the schema's strict spelling."""
    return _SPELLING[schema].fullmatch(name) is not None


def spell_label(label: str, schema: ToonSchema) -> str:
    """A vocabulary label in the schema's TOON spelling.

    Generic (PSG/PVSG): lower case, words joined by hyphens (``"in front of"`` -> ``in-front-of``,
    ``cup/glass/bottle`` -> ``cup-glass-bottle``). AG: lower case, words joined by underscores,
    slashes kept (``"in front of"`` -> ``in_front_of``, ``cup/glass/bottle`` unchanged). Decoding
    maps back through :class:`~vsgg_ros.graph.Vocabulary`, whose lookups ignore these separators.
    Raises ValueError for labels with no spelling in SceneGraphVLM's ASCII alphabet.
    """
    text = label.strip().lower()
    if schema is ToonSchema.GENERIC:
        text = re.sub(r"[\s_/-]+", "-", text).strip("-")
    else:
        text = re.sub(r"\s*/\s*", "/", text)
        text = re.sub(r"[\s_-]+", "_", text).strip("_")
    if not is_spelled(text, schema):
        raise ValueError(f"label {label!r} has no {schema.value} TOON spelling (got {text!r})")
    return text
