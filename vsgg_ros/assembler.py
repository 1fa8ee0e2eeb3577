"""Turns the tracker's current tracks plus the predictor's latest opinion into one SceneGraph.

The predictor may be far slower than the camera (a 1 Hz VLM against 30 Hz tracking). Its relations
are keyed by track ids, so they stay attached to the right objects while the tracker moves on; each
published relation carries its age. The memory holds only the latest prediction and labels of live
tracks, so it is bounded by the scene, not by the stream.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from vsgg_ros.graph import Frame, ObjectNode, Relation, SceneGraph, Track, TrackState
from vsgg_ros.interfaces import ObjectLabel, Prediction


@dataclass(frozen=True)
class RelationPolicy:
    """When a carried-forward relation stops being published.

    ``max_age_frames`` / ``max_age_sec``: drop relations older than this (None: never by age).
    ``keep_lost``: keep publishing relations whose subject or object is LOST (still in the graph but
    not seen this frame); by default they are withheld until the track is seen again.
    """

    max_age_frames: int | None = 150
    max_age_sec: float | None = 5.0
    keep_lost: bool = False

    def __post_init__(self) -> None:
        if self.max_age_frames is not None and self.max_age_frames < 0:
            raise ValueError(f"max_age_frames must be >= 0, got {self.max_age_frames}")
        if self.max_age_sec is not None and self.max_age_sec < 0:
            raise ValueError(f"max_age_sec must be >= 0, got {self.max_age_sec}")


class GraphAssembler:
    """Thread-safe: ``update`` is called from the predictor thread, ``assemble`` from the camera thread."""

    def __init__(self, policy: RelationPolicy | None = None, model_id: str = "") -> None:
        self.policy = policy or RelationPolicy()
        self.model_id = model_id
        self._lock = threading.Lock()
        self._relations: list[Relation] = []
        self._predicted_index = 0
        self._predicted_stamp = 0
        self._labels: dict[int, ObjectLabel] = {}
        self._sequence = 0

    def update(self, prediction: Prediction) -> None:
        """Adopt a new prediction; it replaces the previous relations wholesale."""
        with self._lock:
            if prediction.frame_index < self._predicted_index and self._relations:
                return  # an older frame's answer arriving late must not overwrite a newer one
            self._relations = list(prediction.relations)
            self._predicted_index = prediction.frame_index
            self._predicted_stamp = prediction.stamp_ns
            self._labels.update(prediction.labels)

    def reset(self) -> None:
        with self._lock:
            self._relations = []
            self._labels.clear()
            self._predicted_index = 0
            self._predicted_stamp = 0

    def assemble(self, frame: Frame, tracks: list[Track], latency_ms: dict[str, float]) -> SceneGraph:
        with self._lock:
            relations = self._relations
            predicted_index = self._predicted_index
            predicted_stamp = self._predicted_stamp
            labels = self._labels
            live = {t.track_id for t in tracks}
            for stale in [tid for tid in labels if tid not in live]:
                del labels[stale]
            objects = [_node(t, labels.get(t.track_id)) for t in tracks]
            self._sequence += 1
            sequence = self._sequence

        age_frames = max(frame.index - predicted_index, 0)
        age_sec = max(frame.stamp_ns - predicted_stamp, 0) / 1e9
        policy = self.policy
        too_old = (policy.max_age_frames is not None and age_frames > policy.max_age_frames) or (
            policy.max_age_sec is not None and age_sec > policy.max_age_sec
        )
        published: list[Relation] = []
        if not too_old and relations:
            visible = live if policy.keep_lost else {t.track_id for t in tracks if t.state != TrackState.LOST}
            for r in relations:
                if r.subject_id in visible and r.object_id in visible:
                    published.append(
                        Relation(
                            r.subject_id,
                            r.object_id,
                            r.predicate,
                            r.predicate_id,
                            r.group,
                            r.score,
                            r.affinity,
                            age_frames,
                            age_sec,
                        )
                    )
        return SceneGraph(
            stamp_ns=frame.stamp_ns,
            frame_index=frame.index,
            frame_id=frame.frame_id,
            source_id=frame.source_id,
            sequence=sequence,
            model_id=self.model_id,
            objects=objects,
            relations=published,
            latency_ms=latency_ms,
        )


def _node(track: Track, label: ObjectLabel | None) -> ObjectNode:
    if label is None:
        return ObjectNode(
            track.track_id, track.label, track.box, track.class_id, track.score, track.state, track.mask
        )
    return ObjectNode(
        track.track_id, label.label, track.box, label.class_id, label.score, track.state, track.mask
    )
