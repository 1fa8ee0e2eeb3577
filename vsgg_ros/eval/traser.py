"""TraSeR / SVG2 open-vocabulary video scene graph metrics (paper 003 §5 and App. E).

The model is given the GT object trajectories (ids shared with the GT) and names their objects,
attributes and relations. Four numbers, each pooled over the dataset:

- object accuracy: GT trajectories whose predicted name matches the GT name;
- attribute recall: GT (object, attribute) items found among the same object's predicted attributes
  (each predicted attribute used once);
- relation recall: GT relations matched by a prediction on the same (subject, object) trajectory pair
  with a matching predicate and temporal IoU strictly above the threshold (the paper's "interval
  IoU > threshold"; 0.5 in its main table, 0.1 relaxed);
- triplet recall: as relation recall, and the predicted names of subject and object must also match.

Matching is strict string equality after normalisation (lower case, ``_``/``-`` as spaces); a
:class:`~vsgg_ros.eval.judge.Judge` widens it to the paper's lenient semantic criterion. Relations are
matched one-to-one per video (maximum bipartite matching), so a duplicated prediction cannot hit twice.

Decisions: a relation is one (subject, object, predicate) with the set of frames where it holds (a
relation that pauses and resumes is one relation with a gap); attribute items are the values of
``ObjectNode.attributes`` (the key when the value is empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from vsgg_ros.eval.geometry import temporal_iou
from vsgg_ros.eval.judge import Judge, labels_match, predicates_match
from vsgg_ros.eval.video import majority_label, object_tracks, relation_frames
from vsgg_ros.graph import SceneGraph


@dataclass(frozen=True)
class Trajectory:
    id: int
    label: str
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpanRelation:
    subject_id: int
    object_id: int
    predicate: str
    frames: frozenset[int]


@dataclass
class TraserVideo:
    objects: dict[int, Trajectory]
    relations: list[SpanRelation]


def traser_video_from_graphs(graphs: Sequence[SceneGraph | None]) -> TraserVideo:
    """Trajectories (majority name, union of attributes) and relations with their frame sets."""
    objects: dict[int, Trajectory] = {}
    for oid, frames in object_tracks(graphs).items():
        nodes = [frames[f] for f in sorted(frames)]
        items: list[str] = []
        for node in nodes:
            for key, value in node.attributes.items():
                item = value or key
                if item not in items:
                    items.append(item)
        objects[oid] = Trajectory(oid, majority_label(nodes), tuple(items))
    relations = [SpanRelation(s, o, p, frozenset(f)) for (s, o, p), f in relation_frames(graphs).items()]
    return TraserVideo(objects, relations)


@dataclass(frozen=True)
class TraserOptions:
    tiou_thresholds: tuple[float, ...] = (0.5, 0.1)


def _matched_count(accepted: np.ndarray) -> int:
    if not accepted.any():
        return 0
    rows, cols = linear_sum_assignment((~accepted).astype(np.float64))
    return int(accepted[rows, cols].sum())


def _attribute_hits(gt: Sequence[str], pred: Sequence[str], judge: Judge | None) -> int:
    accepted = np.array([[labels_match(g, p, judge) for p in pred] for g in gt], dtype=bool).reshape(len(gt), len(pred))
    return _matched_count(accepted)


@dataclass
class TraserSummary:
    object_accuracy: float | None
    attribute_recall: float | None
    relation_recall: dict[float, float]
    triplet_recall: dict[float, float]
    objects: int
    attributes: int
    relations: int
    videos: int


def evaluate_traser(
    gt: Mapping[str, TraserVideo],
    predictions: Mapping[str, TraserVideo],
    options: TraserOptions | None = None,
    judge: Judge | None = None,
) -> TraserSummary:
    """Object accuracy, attribute recall, relation and triplet recall per temporal-IoU threshold. A metric
    with nothing to measure (no GT object, no GT attribute) is None, not 0."""
    options = options or TraserOptions()
    n_obj = correct_obj = n_attr = hit_attr = n_rel = 0
    rel_hits = dict.fromkeys(options.tiou_thresholds, 0)
    trip_hits = dict.fromkeys(options.tiou_thresholds, 0)
    for vid, g in gt.items():
        p = predictions.get(vid, TraserVideo({}, []))
        label_ok: dict[int, bool] = {}
        for oid, obj in g.objects.items():
            pred_obj = p.objects.get(oid)
            label_ok[oid] = pred_obj is not None and labels_match(obj.label, pred_obj.label, judge)
            n_obj += 1
            correct_obj += label_ok[oid]
            n_attr += len(obj.attributes)
            if pred_obj is not None and obj.attributes:
                hit_attr += _attribute_hits(obj.attributes, pred_obj.attributes, judge)
        n_rel += len(g.relations)
        for thr in options.tiou_thresholds:
            rel_ok = np.zeros((len(g.relations), len(p.relations)), dtype=bool)
            trip_ok = np.zeros_like(rel_ok)
            for i, gr in enumerate(g.relations):
                for j, pr in enumerate(p.relations):
                    if (gr.subject_id, gr.object_id) != (pr.subject_id, pr.object_id):
                        continue
                    if temporal_iou(gr.frames, pr.frames) <= thr:
                        continue
                    gs, go = g.objects.get(gr.subject_id), g.objects.get(gr.object_id)
                    ps, po = p.objects.get(pr.subject_id), p.objects.get(pr.object_id)
                    gt_t = (gs.label if gs else "", gr.predicate, go.label if go else "")
                    pred_t = (ps.label if ps else "", pr.predicate, po.label if po else "")
                    if predicates_match(gt_t, pred_t, judge):
                        rel_ok[i, j] = True
                        trip_ok[i, j] = label_ok.get(gr.subject_id, False) and label_ok.get(gr.object_id, False)
            rel_hits[thr] += _matched_count(rel_ok)
            trip_hits[thr] += _matched_count(trip_ok)
    return TraserSummary(
        object_accuracy=correct_obj / n_obj if n_obj else None,
        attribute_recall=hit_attr / n_attr if n_attr else None,
        relation_recall={t: rel_hits[t] / n_rel if n_rel else 0.0 for t in options.tiou_thresholds},
        triplet_recall={t: trip_hits[t] / n_rel if n_rel else 0.0 for t in options.tiou_thresholds},
        objects=n_obj,
        attributes=n_attr,
        relations=n_rel,
        videos=len(gt),
    )
