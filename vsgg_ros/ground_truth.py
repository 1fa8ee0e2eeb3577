"""Replays annotated ground truth through the engine as if it were a tracker and a predictor.

A sanity check for sinks and evaluation: a run with ``--head gt`` must score perfectly, so any loss
points at the engine, a codec or an evaluator, never at a model.
"""

from __future__ import annotations

from vsgg_ros.graph import Frame, Relation, Track
from vsgg_ros.interfaces import Detection, Prediction


class GroundTruthTracker:
    """Tracks are the annotated objects of each frame, with their annotated ids."""

    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]:
        gt = frame.ground_truth
        if gt is None:
            return []
        return [Track.from_node(o, frame.index) for o in gt.objects]

    def reset(self) -> None:
        """Stateless: nothing to forget."""


class GroundTruthDetector:
    """Detections are the annotated boxes (score 1): exercises a tracker without a detector model."""

    def detect(self, frame: Frame) -> list[Detection]:
        gt = frame.ground_truth
        if gt is None:
            return []
        return [Detection(o.box, o.label, o.class_id, 1.0) for o in gt.objects]


class GroundTruthPredictor:
    """Relations are the annotated relations between the tracks the engine passes in."""

    model_id = "gt"

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        gt = frame.ground_truth
        relations: list[Relation] = []
        if gt is not None:
            present = {t.track_id for t in tracks}
            relations = [
                Relation(
                    r.subject_id, r.object_id, r.predicate, r.predicate_id, r.group, r.score, r.affinity
                )
                for r in gt.relations
                if r.subject_id in present and r.object_id in present
            ]
        return Prediction(frame_index=frame.index, stamp_ns=frame.stamp_ns, relations=relations)
