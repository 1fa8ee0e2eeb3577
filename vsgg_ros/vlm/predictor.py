"""``VlmPredictor``: the engine's Predictor for SceneGraphVLM (frame -> prompt -> backend -> TOON -> Prediction).

The engine runs it on its own thread (``predictor_mode: async``) at whatever rate the backend allows.
Failures (backend errors, empty or cut output, no object table) are counted and handled by
``on_failure``: ``keep_stale`` returns the previous prediction unchanged, so the assembler keeps
publishing its relations with growing ``age_frames`` (marked stale); ``objects_only`` publishes the
frame's tracks with no relations. ``stats()`` reports the failure rate. Without a tracker, pair the
predictor with :meth:`VlmPredictor.tracker`, which publishes the VLM's own objects with stable ids.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from vsgg_ros.codec.toon import IssueKind, ToonDecodeResult, decode_toon
from vsgg_ros.graph import Frame, Relation, Track, TrackState
from vsgg_ros.interfaces import Detection, ObjectLabel, Prediction
from vsgg_ros.vlm.assembly import (
    StableIds,
    VlmObject,
    frame_objects,
    ground_truth_toon,
    match_tracks,
    previous_toon,
    relations_for,
)
from vsgg_ros.vlm.backends.base import BackendError, VlmBackend
from vsgg_ros.vlm.grammar import toon_grammar
from vsgg_ros.vlm.prompts import PREVIOUS_MODES, VlmRequest, fit_image, system_prompt, user_text
from vsgg_ros.vlm.schema import VlmSchema

FAILURE_POLICIES = ("keep_stale", "objects_only")
# Issues after which an answer carries no usable graph.
_UNUSABLE = {IssueKind.EMPTY_OUTPUT, IssueKind.NO_OBJ_TABLE, IssueKind.UNCLOSED_THINK}


@dataclass
class VlmStats:
    calls: int = 0
    failures: int = 0
    cancelled: int = 0
    not_strict: int = 0
    dropped_unmatched: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        rate = self.failures / self.calls if self.calls else 0.0
        return {**self.__dict__, "reasons": dict(self.reasons), "failure_rate": rate}


class VlmPredictor:
    """Predictor over any :class:`~vsgg_ros.vlm.backends.VlmBackend`; ``model_id`` is the backend's."""

    def __init__(
        self,
        backend: VlmBackend,
        schema: VlmSchema,
        *,
        previous: str = "generated",
        on_failure: str = "keep_stale",
        max_pixels: int = 640 * 480,
        patch_multiple: int = 28,
        max_objects: int = 30,
        max_relations: int = 40,
        min_iou: float = 0.3,
        constrained: bool = True,
        ordered_boxes: bool = False,
    ) -> None:
        if previous not in PREVIOUS_MODES:
            raise ValueError(f"previous must be one of {PREVIOUS_MODES}, got {previous!r}")
        if on_failure not in FAILURE_POLICIES:
            raise ValueError(f"on_failure must be one of {FAILURE_POLICIES}, got {on_failure!r}")
        self.backend = backend
        self.schema = schema
        self.model_id = backend.model_id
        self.previous = previous
        self.on_failure = on_failure
        self.max_pixels = max_pixels
        self.patch_multiple = patch_multiple
        self.min_iou = min_iou
        self.system = system_prompt(schema)
        self.max_objects = max_objects
        self.max_relations = max_relations
        self.constrained = constrained
        self.ordered_boxes = ordered_boxes
        self._grammar: tuple[tuple[int, int], str] | None = None
        self.stats = VlmStats()
        self._ids = StableIds(min_iou)
        self._lock = threading.Lock()
        self._last_prediction: Prediction | None = None
        self._last_objects: list[VlmObject] = []
        self._last_relations: list[Relation] = []
        self._last_gt = None

    # -- Predictor ---------------------------------------------------------------------------------
    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        image = fit_image(frame.image, self.max_pixels, self.patch_multiple)
        size = (int(image.shape[1]), int(image.shape[0]))
        to_prompt = (size[0] / frame.width, size[1] / frame.height)
        request = VlmRequest(
            f"{frame.source_id}-{frame.index}",
            self.system,
            image,
            user_text(size, self._previous_text(to_prompt, size)),
            self.grammar_for(size),
        )
        self._last_gt = frame.ground_truth
        self.stats.calls += 1
        try:
            reply = self.backend.generate(request)
        except BackendError as exc:
            return self._fail(frame, tracks, type(exc).__name__)
        result = decode_toon(reply.text, self.schema.toon, vocabulary=self.schema.vocabulary, image_size=size)
        unusable = result.kinds & _UNUSABLE
        if unusable or reply.finish_reason == "length":
            return self._fail(frame, tracks, "length" if not unusable else sorted(k.value for k in unusable)[0])
        if not result.strictly_valid:
            self.stats.not_strict += 1
        return self._accept(frame, tracks, result, (1 / to_prompt[0], 1 / to_prompt[1]))

    def grammar_for(self, size: tuple[int, int]) -> str | None:
        """The decoding grammar for a prompt image of ``size`` (the last one is kept: a camera's size is fixed)."""
        if not self.constrained:
            return None
        if self._grammar is None or self._grammar[0] != size:
            grammar = toon_grammar(self.schema, self.max_objects, self.max_relations, size, self.ordered_boxes)
            self._grammar = (size, grammar)
        return self._grammar[1]

    def tracker(self) -> VlmObjectTracker:
        """A Tracker that publishes this predictor's latest objects (for runs without a real tracker)."""
        return VlmObjectTracker(self)

    def latest_objects(self) -> list[VlmObject]:
        with self._lock:
            return list(self._last_objects)

    # -- internals ---------------------------------------------------------------------------------
    def _previous_text(self, to_prompt: tuple[float, float], size: tuple[int, int]) -> str | None:
        if self.previous == "none":
            return None
        if self.previous == "ground_truth":
            gt = self._last_gt
            return None if gt is None else ground_truth_toon(gt, self.schema, to_prompt, size)
        with self._lock:
            objects, relations = list(self._last_objects), list(self._last_relations)
        return previous_toon(objects, relations, self.schema, to_prompt, size)

    def _accept(
        self, frame: Frame, tracks: list[Track], result: ToonDecodeResult, to_frame: tuple[float, float]
    ) -> Prediction:
        labels, class_ids, boxes, toon_ids = frame_objects(result, self.schema, to_frame)
        if tracks:
            matched = match_tracks(boxes, tracks, self.min_iou)
            self.stats.dropped_unmatched += len(boxes) - len(matched)
            published = {i: matched[i] for i in matched}
        else:
            ids = self._ids.assign(labels, boxes)
            published = dict(enumerate(ids))
        objects = [VlmObject(published[i], labels[i], class_ids[i], boxes[i]) for i in sorted(published)]
        relations = relations_for(result, self.schema, {toon_ids[i]: published[i] for i in published})
        if not tracks:
            self._ids.remember(objects)
        prediction = Prediction(
            frame.index,
            frame.stamp_ns,
            relations,
            {o.id: ObjectLabel(o.label, o.class_id) for o in objects},
        )
        with self._lock:
            self._last_objects, self._last_relations = objects, relations
            self._last_prediction = prediction
        return prediction

    def _fail(self, frame: Frame, tracks: list[Track], reason: str) -> Prediction:
        self.stats.failures += 1
        if reason == "RequestCancelled":
            self.stats.cancelled += 1
        self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
        with self._lock:
            last = self._last_prediction
        if self.on_failure == "keep_stale" and last is not None:
            return last
        return Prediction(frame.index, frame.stamp_ns, [], {})


class VlmObjectTracker:
    """Tracker protocol over the VLM's own objects: the latest answer's objects, ids kept stable."""

    def __init__(self, predictor: VlmPredictor) -> None:
        self._predictor = predictor

    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]:
        return [
            Track(o.id, o.box, o.label, o.class_id, 1.0, TrackState.TRACKED, None, frame.index, frame.index)
            for o in self._predictor.latest_objects()
        ]

    def reset(self) -> None:
        self._predictor._ids.reset()
