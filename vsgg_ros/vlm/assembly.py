"""From decoded TOON to a tracked Prediction: box rescaling, id assignment and the previous-graph text.

Ids. With a tracker, each VLM object is matched to a track by Hungarian assignment on IoU (pairs below
``min_iou`` stay unmatched, their relations dropped), so relations are keyed by the tracker's stable
ids. Without one, :class:`StableIds` matches VLM objects to the previous answer's objects (IoU, same
label) so ids persist across frames; new objects get fresh, ever-increasing ids. Only the previous
answer is remembered: state is bounded by the scene.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.optimize import linear_sum_assignment

from vsgg_ros.codec.toon import ToonDecodeResult, ToonSchema, encode_toon, scene_graph_to_toon
from vsgg_ros.eval.geometry import box_iou
from vsgg_ros.graph import Box, ObjectNode, Relation, SceneGraph, Track
from vsgg_ros.vlm.schema import VlmSchema


@dataclass(frozen=True)
class VlmObject:
    """A VLM object in frame pixels with the id it is published under."""

    id: int
    label: str
    class_id: int
    box: Box


def scale_box(box: Sequence[float], sx: float, sy: float) -> Box:
    return (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)


def hungarian_iou(a: Sequence[Box], b: Sequence[Box], min_iou: float) -> list[tuple[int, int]]:
    """One-to-one (i, j) pairs maximising total IoU, keeping pairs with IoU >= ``min_iou``."""
    if not a or not b:
        return []
    iou = box_iou(list(a), list(b))
    rows, cols = linear_sum_assignment(-iou)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if iou[i, j] >= min_iou]


class StableIds:
    """Keeps VLM object ids stable across answers when there is no tracker."""

    def __init__(self, min_iou: float = 0.3) -> None:
        self.min_iou = min_iou
        self._previous: list[VlmObject] = []
        self._next_id = 1

    def assign(self, labels: Sequence[str], boxes: Sequence[Box]) -> list[int]:
        """An id per object: the previous answer's id when the label agrees and the boxes overlap."""
        ids = [0] * len(boxes)
        pairs = hungarian_iou(list(boxes), [p.box for p in self._previous], self.min_iou)
        for i, j in pairs:
            if labels[i] == self._previous[j].label:
                ids[i] = self._previous[j].id
        for i, value in enumerate(ids):
            if value == 0:
                ids[i] = self._next_id
                self._next_id += 1
        return ids

    def remember(self, objects: Sequence[VlmObject]) -> None:
        self._previous = list(objects)

    def reset(self) -> None:
        self._previous = []


def frame_objects(
    result: ToonDecodeResult, schema: VlmSchema, scale: tuple[float, float]
) -> tuple[list[str], list[int], list[Box], list[int]]:
    """Labels, class ids, frame-pixel boxes and TOON ids of the decoded objects."""
    labels, class_ids, boxes, toon_ids = [], [], [], []
    vocab = schema.vocabulary
    for obj in result.objects:
        labels.append(obj.name)
        class_ids.append(vocab.object_id(obj.name) if vocab is not None else -1)
        boxes.append(scale_box(obj.box, *scale))
        toon_ids.append(obj.id)
    return labels, class_ids, boxes, toon_ids


def relations_for(result: ToonDecodeResult, schema: VlmSchema, id_map: dict[int, int]) -> list[Relation]:
    """Relations of the answer re-keyed through ``id_map`` (TOON id -> published id); unmapped dropped."""
    vocab = schema.vocabulary
    out: list[Relation] = []
    seen: set[tuple[int, int, str]] = set()
    for r in result.relations:
        s, o = id_map.get(r.subj), id_map.get(r.obj)
        if s is None or o is None or s == o or (s, o, r.pred) in seen:
            continue
        seen.add((s, o, r.pred))
        pid = vocab.predicate_id(r.pred) if vocab is not None else -1
        group = r.group or (vocab.group_of(pid) if vocab is not None and pid >= 0 else "")
        out.append(Relation(s, o, r.pred, pid, group))
    return out


def match_tracks(boxes: Sequence[Box], tracks: Sequence[Track], min_iou: float) -> dict[int, int]:
    """VLM object index -> track id (Hungarian on IoU)."""
    pairs = hungarian_iou(list(boxes), [t.box for t in tracks], min_iou)
    return {i: tracks[j].track_id for i, j in pairs}


def previous_toon(
    objects: Sequence[VlmObject],
    relations: Sequence[Relation],
    schema: VlmSchema,
    to_prompt: tuple[float, float],
    image_size: tuple[int, int],
) -> str | None:
    """The TOON text of a graph in prompt pixels (``to_prompt`` scales frame -> prompt), or None when it
    cannot be written strictly (e.g. an AG relation whose subject is not the person)."""
    if not objects:
        return None
    nodes = [ObjectNode(o.id, o.label, scale_box(o.box, *to_prompt), o.class_id) for o in objects]
    graph = SceneGraph(0, 0, objects=nodes, relations=list(relations))
    try:
        toon, _ = scene_graph_to_toon(graph, schema.toon, vocabulary=schema.vocabulary, image_size=image_size)
        return encode_toon(toon)
    except ValueError:
        return None


def ground_truth_toon(
    graph: SceneGraph, schema: VlmSchema, to_prompt: tuple[float, float], image_size: tuple[int, int]
) -> str | None:
    """The ground truth of the previous frame as prompt TOON (diagnostics: GT-prompt setting)."""
    objects = [VlmObject(o.id, o.label, o.class_id, o.box) for o in graph.objects]
    relations = [r for r in graph.relations if r.group] if schema.toon is ToonSchema.AG else list(graph.relations)
    return previous_toon(objects, relations, schema, to_prompt, image_size)
