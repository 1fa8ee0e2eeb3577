"""The scene-graph data model shared by every stage, codec and sink.

Plain dataclasses, no I/O. Field names mirror `msg/*.msg` and the msgpack wire format
(`docs/wire-format.md`) so that a value means the same thing everywhere it travels.
Conventions:
- boxes are ``(x1, y1, x2, y2)`` in pixels of the input image, continuous coordinates;
- track ids are stable ``uint64`` values that only ever increase within a stream;
- ``class_id`` / ``predicate_id`` index the active :class:`Vocabulary` (0-based, no background
  entry), ``-1`` when a label is outside it (open vocabulary);
- stamps are integer nanoseconds (ROS ``builtin_interfaces/Time`` folded into one number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

Box = tuple[float, float, float, float]


class TrackState(IntEnum):
    """Lifecycle of a track as published (`ObjectNode.state`)."""

    NEW = 0
    TRACKED = 1
    LOST = 2


@dataclass(frozen=True, slots=True)
class Mask:
    """A binary mask as compressed COCO RLE (pycocotools' string form, column-major runs)."""

    height: int
    width: int
    counts: str

    @classmethod
    def from_array(cls, mask: np.ndarray) -> Mask:
        from vsgg_ros.codec.rle import encode_mask

        return encode_mask(mask)

    def to_array(self) -> np.ndarray:
        from vsgg_ros.codec.rle import decode_mask

        return decode_mask(self)


@dataclass(slots=True)
class Frame:
    """One decoded camera image. ``image`` is HxWx3 uint8 RGB.

    ``ground_truth`` is set only by sources that carry annotations (SynthRoom, evaluation bags).
    """

    index: int
    stamp_ns: int
    image: np.ndarray
    frame_id: str = "camera"
    source_id: str = "camera"
    ground_truth: SceneGraph | None = None

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


@dataclass(slots=True)
class Track:
    """A tracker's view of one object in the current frame."""

    track_id: int
    box: Box
    label: str = ""
    class_id: int = -1
    score: float = 1.0
    state: TrackState = TrackState.TRACKED
    mask: Mask | None = None
    first_frame: int = 0
    last_frame: int = 0

    @classmethod
    def from_node(cls, node: ObjectNode, frame_index: int) -> Track:
        """A track seen in this frame only: how an annotated object enters the engine."""
        return cls(
            node.id, node.box, node.label, node.class_id, node.score, node.state, node.mask, frame_index, frame_index
        )


@dataclass(slots=True)
class ObjectNode:
    """A tracked object as published in a scene graph."""

    id: int
    label: str
    box: Box
    class_id: int = -1
    score: float = 1.0
    state: TrackState = TrackState.TRACKED
    mask: Mask | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_track(cls, track: Track) -> ObjectNode:
        return cls(
            id=track.track_id,
            label=track.label,
            box=track.box,
            class_id=track.class_id,
            score=track.score,
            state=track.state,
            mask=track.mask,
        )


@dataclass(slots=True)
class Relation:
    """A directed, labelled edge between two tracked objects.

    ``affinity`` is the pair's relatedness (PALS' PA; 1.0 for heads without one). ``age_frames`` and
    ``age_sec`` say how long ago the predictor last produced this edge: 0 when fresh, growing while
    the pipeline carries it forward between slow predictions.
    """

    subject_id: int
    object_id: int
    predicate: str
    predicate_id: int = -1
    group: str = ""
    score: float = 1.0
    affinity: float = 1.0
    age_frames: int = 0
    age_sec: float = 0.0

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.subject_id, self.object_id, self.predicate)


@dataclass(slots=True)
class SceneGraph:
    """Everything published for one frame."""

    stamp_ns: int
    frame_index: int
    frame_id: str = "camera"
    source_id: str = "camera"
    sequence: int = 0
    model_id: str = ""
    objects: list[ObjectNode] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    latency_ms: dict[str, float] = field(default_factory=dict)

    def object_by_id(self) -> dict[int, ObjectNode]:
        return {o.id: o for o in self.objects}

    def triplets(self) -> list[tuple[str, str, str]]:
        """(subject label, predicate, object label) for every relation whose ends are present."""
        by_id = self.object_by_id()
        return [
            (by_id[r.subject_id].label, r.predicate, by_id[r.object_id].label)
            for r in self.relations
            if r.subject_id in by_id and r.object_id in by_id
        ]


@dataclass(frozen=True, slots=True)
class PredicateGroup:
    """A contiguous slice ``[start, stop)`` of a vocabulary's predicate list (AG: attention/spatial/…)."""

    name: str
    start: int
    stop: int

    def __contains__(self, predicate_id: object) -> bool:
        return isinstance(predicate_id, int) and self.start <= predicate_id < self.stop


@dataclass(frozen=True)
class Vocabulary:
    """Object classes and predicates of one dataset, with its spelling variants.

    ``aliases`` maps alternative spellings (AG's slash-free or space-separated forms, hyphens
    instead of underscores, …) onto canonical entries; lookups also try a normalised key, so
    ``"Cup Glass Bottle"`` and ``"cupglassbottle"`` both resolve to ``"cup/glass/bottle"``.
    """

    name: str
    objects: tuple[str, ...]
    predicates: tuple[str, ...]
    groups: tuple[PredicateGroup, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.objects)) != len(self.objects):
            raise ValueError(f"vocabulary {self.name!r}: duplicate object classes")
        if len(set(self.predicates)) != len(self.predicates):
            raise ValueError(f"vocabulary {self.name!r}: duplicate predicates")
        covered = sorted(i for g in self.groups for i in range(g.start, g.stop))
        if self.groups and covered != list(range(len(self.predicates))):
            raise ValueError(f"vocabulary {self.name!r}: predicate groups must tile the predicate list")
        objects = _lookup_table(self.name, self.objects, self.aliases)
        predicates = _lookup_table(self.name, self.predicates, self.aliases)
        unknown = sorted(a for a in self.aliases if self.aliases[a] not in (*self.objects, *self.predicates))
        if unknown:
            raise ValueError(f"vocabulary {self.name!r}: aliases point at unknown labels: {unknown}")
        object.__setattr__(self, "_objects", objects)
        object.__setattr__(self, "_predicates", predicates)
        object.__setattr__(self, "_object_index", {o: i for i, o in enumerate(self.objects)})
        object.__setattr__(self, "_predicate_index", {p: i for i, p in enumerate(self.predicates)})

    def canonical_object(self, label: str) -> str | None:
        """The canonical spelling of an object class, or None if it is not in this vocabulary."""
        return self._objects.get(_fold(label))  # type: ignore[attr-defined]

    def canonical_predicate(self, predicate: str) -> str | None:
        """The canonical spelling of a predicate, or None if it is not in this vocabulary."""
        return self._predicates.get(_fold(predicate))  # type: ignore[attr-defined]

    def object_id(self, label: str) -> int:
        """Index of an object class (any known spelling), ``-1`` if unknown."""
        canonical = self.canonical_object(label)
        return -1 if canonical is None else self._object_index[canonical]  # type: ignore[attr-defined]

    def predicate_id(self, predicate: str) -> int:
        """Index of a predicate (any known spelling), ``-1`` if unknown."""
        canonical = self.canonical_predicate(predicate)
        return -1 if canonical is None else self._predicate_index[canonical]  # type: ignore[attr-defined]

    def group_of(self, predicate_id: int) -> str:
        """Name of the group holding a predicate id; empty if the vocabulary has no groups."""
        for group in self.groups:
            if predicate_id in group:
                return group.name
        return ""

    def group(self, name: str) -> PredicateGroup:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(f"vocabulary {self.name!r} has no predicate group {name!r}")

    def group_predicates(self, name: str) -> tuple[str, ...]:
        g = self.group(name)
        return self.predicates[g.start : g.stop]


def _lookup_table(vocab: str, labels: Sequence[str], aliases: Mapping[str, str]) -> dict[str, str]:
    """Folded spelling -> canonical label, for one label list plus the aliases that point into it."""
    table: dict[str, str] = {}
    for label in labels:
        key = _fold(label)
        if key in table:
            raise ValueError(f"vocabulary {vocab!r}: {label!r} and {table[key]!r} differ only in spelling")
        table[key] = label
    members = set(labels)
    for alias, canonical in aliases.items():
        if canonical in members:
            table.setdefault(_fold(alias), canonical)
    return table


def _fold(label: str) -> str:
    """Spelling-insensitive key: lower case, with separators (space _ - /) removed."""
    return "".join(ch for ch in label.lower() if ch not in " _-/")


def sorted_relations(relations: Sequence[Relation]) -> list[Relation]:
    """Relations in descending score order, ties broken by ids so output is deterministic."""
    return sorted(relations, key=lambda r: (-r.score, r.subject_id, r.object_id, r.predicate))
