"""TraSeR as a streaming Predictor: a sliding window of 1-fps samples, decoded every ``every_seconds``.

Why its own sample buffer rather than ``Sam2StreamTracker.mask_history``: that history holds the last
few masks at camera rate (8 frames = 0.8 s at 10 fps), while a TraSeR window spans several seconds at
1 fps. So the head keeps, per sampled frame, the working-size image and every track's mask (the
``Track.mask`` any mask tracker publishes — SAM2 or ground truth; a box-only track gets its box filled),
at most ``window_frames`` of them; a sample is the first frame of each ``1 / sample_fps`` slot counted from
the first stamp (no drift under camera jitter). Every ``every_seconds`` of stream time it decodes the window, maps
relation spans from sampled frames to stamps and merges them into a bounded :class:`SpanTable`.

Between decodes it returns the last window's Prediction unchanged (same frame index), so the
assembler ages its relations instead of republishing them as fresh. A Prediction's relations are the
merged spans still holding at the window's last sample; its labels name every object in the window.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.graph import Frame, Relation, Track, Vocabulary
from vsgg_ros.heads.traser_clip import (
    ClipConfig,
    FrozenPatchEncoder,
    box_mask,
    build_clip,
    resize_frames,
    resize_mask,
    select_objects,
)
from vsgg_ros.heads.traser_decode import TraserDecoder, WindowResult
from vsgg_ros.heads.traser_spans import SpanKey, SpanTable
from vsgg_ros.interfaces import ObjectLabel, Prediction
from vsgg_ros.vocab import load_vocabulary

MODEL_ID = "traser-synth"
SETTINGS = "traser.json"


@dataclass
class _Sample:
    index: int
    stamp_ns: int
    image: np.ndarray
    masks: dict[int, np.ndarray]
    persons: frozenset[int]


def track_mask(track: Track, height: int, width: int) -> np.ndarray:
    """The track's mask in frame pixels; its box filled when the tracker gives no mask."""
    if track.mask is not None:
        return track.mask.to_array().astype(bool)
    return box_mask(track.box, height, width)


class TraserPredictor:
    """The Predictor protocol over a TraSeR decoder (exported resampler + LM)."""

    model_id = MODEL_ID

    def __init__(
        self,
        decoder: TraserDecoder,
        clip: ClipConfig,
        vocabulary: Vocabulary | None = None,
        window_frames: int = 8,
        every_seconds: float = 4.0,
        max_keys: int = 1024,
    ) -> None:
        if window_frames < 2 or every_seconds <= 0:
            raise ValueError(f"need window_frames >= 2 and every_seconds > 0, got {window_frames}, {every_seconds}")
        self.decoder = decoder
        self.clip = clip
        self.encoder = FrozenPatchEncoder(clip)
        self.vocabulary = vocabulary
        self.window_frames = window_frames
        self.every_ns = int(every_seconds * 1e9)
        self.sample_ns = int(1e9 / clip.sample_fps)
        gap = self.sample_ns + self.sample_ns // 2  # the next sample joins a span; one missed sample splits it
        self.spans = SpanTable(gap_ns=gap, horizon_ns=2 * window_frames * self.sample_ns, max_keys=max_keys)
        self._samples: deque[_Sample] = deque(maxlen=window_frames)
        self._origin_ns: int | None = None
        self._last_slot: int | None = None
        self._last_run_ns: int | None = None
        self._last: Prediction | None = None
        self.last_window: WindowResult | None = None
        self.windows = 0

    @classmethod
    def from_folder(
        cls, folder: Path | str, backend: str = "ort-cpu", max_new_tokens: int | None = None, **options: Any
    ) -> TraserPredictor:
        """A predictor over an export folder (model.onnx + io_spec.json + traser.json + lm/)."""
        folder = Path(folder)
        settings_path = folder / SETTINGS
        if not settings_path.is_file():
            raise FileNotFoundError(f"TraSeR head folder {folder} has no {SETTINGS}")
        settings = json.loads(settings_path.read_text())
        tokens = max_new_tokens or int(settings.get("max_new_tokens", 768))
        decoder = open_decoder(folder, backend, bool(settings["use_windows"]), tokens)
        vocab = load_vocabulary(settings["vocabulary"]) if settings.get("vocabulary") else None
        options.setdefault("window_frames", int(settings.get("window_frames", 8)))
        return cls(decoder, ClipConfig.from_dict(settings["clip"]), vocab, **options)

    def reset(self) -> None:
        self._samples.clear()
        self.spans.clear()
        self._origin_ns = self._last_slot = self._last_run_ns = None
        self._last = None

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        if self._origin_ns is None:
            self._origin_ns = frame.stamp_ns
        slot = (frame.stamp_ns - self._origin_ns) // self.sample_ns
        if self._last_slot is None or slot > self._last_slot:
            self._last_slot = slot
            self._sample(frame, tracks)
        due = self._last_run_ns is None or frame.stamp_ns - self._last_run_ns >= self.every_ns
        if due and len(self._samples) >= 2 and any(s.masks for s in self._samples):
            self._last_run_ns = frame.stamp_ns
            self._last = self._run_window()
        if self._last is None:
            return Prediction(frame_index=frame.index, stamp_ns=frame.stamp_ns)
        return self._last

    def _sample(self, frame: Frame, tracks: list[Track]) -> None:
        size = self.clip.size
        masks = {t.track_id: resize_mask(track_mask(t, frame.height, frame.width), size) for t in tracks}
        image = resize_frames([frame.image], size)[0]
        persons = frozenset(t.track_id for t in tracks if t.label == "person")
        visible = {k: m for k, m in masks.items() if m.any()}
        self._samples.append(_Sample(frame.index, frame.stamp_ns, image, visible, persons))

    def _window_objects(self) -> list[int]:
        """Track ids in the window, capped at max_objects: persons first (the subjects of SynthRoom's
        relations), then the most often visible (ties: lower id); the same rule as training."""
        counts: dict[int, int] = {}
        persons: set[int] = set()
        for s in self._samples:
            persons |= s.persons
            for tid in s.masks:
                counts[tid] = counts.get(tid, 0) + 1
        return select_objects(counts, persons, self.clip.max_objects)

    def _run_window(self) -> Prediction:
        samples = list(self._samples)
        ids = self._window_objects()
        masks = {tid: [s.masks.get(tid) for s in samples] for tid in ids}
        clip = build_clip([s.image for s in samples], masks, self.clip, self.encoder)
        result = self.decoder.decode(clip)
        self.last_window = result
        self.windows += 1
        to_track = {i + 1: tid for i, tid in enumerate(clip.object_ids)}
        for r in result.decoded.graph.relations:
            key = (to_track[r.subject], to_track[r.object], self._predicate(r.predicate))
            self.spans.add(key, samples[r.start].stamp_ns, samples[r.end].stamp_ns)
        last = samples[-1]
        self.spans.prune(last.stamp_ns)
        pred = Prediction(frame_index=last.index, stamp_ns=last.stamp_ns)
        for obj in result.decoded.graph.objects:
            name = self._object(obj.name)
            cid = self.vocabulary.object_id(name) if self.vocabulary is not None else -1
            pred.labels[to_track[obj.id]] = ObjectLabel(name, cid)
        for key, span in sorted(self.spans.active(last.stamp_ns, self.sample_ns // 2).items()):
            pred.relations.append(self._relation(key, span.score))
        return pred

    def _object(self, spelled: str) -> str:
        if self.vocabulary is None:
            return spelled
        cid = self.vocabulary.object_id(spelled)
        return self.vocabulary.objects[cid] if cid >= 0 else spelled

    def _predicate(self, spelled: str) -> str:
        if self.vocabulary is None:
            return spelled
        pid = self.vocabulary.predicate_id(spelled)
        return self.vocabulary.predicates[pid] if pid >= 0 else spelled

    def _relation(self, key: SpanKey, score: float) -> Relation:
        s, o, predicate = key
        pid = self.vocabulary.predicate_id(predicate) if self.vocabulary is not None else -1
        group = self.vocabulary.group_of(pid) if self.vocabulary is not None and pid >= 0 else ""
        return Relation(s, o, predicate, pid, group, score)


def open_decoder(folder: Path, backend: str, use_windows: bool, max_new_tokens: int = 768) -> TraserDecoder:
    """HeadRuntime over the exported resampler; the LM from ``folder/lm`` through transformers."""
    from vsgg_ros.heads.runtime import HeadRuntime
    from vsgg_ros.vlm.traser_generate import TransformersTraserLm
    from vsgg_ros.vlm.traser_lm import load_lm, traser_tokenizer

    runner: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] = HeadRuntime.load(
        folder, backend, threads=1 if backend == "ort-cpu" else None
    ).run
    tokenizer = traser_tokenizer()
    lm = load_lm(folder / "lm")
    return TraserDecoder(runner, TransformersTraserLm(lm, tokenizer, max_new_tokens), lm, tokenizer, use_windows)
