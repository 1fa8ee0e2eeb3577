"""PALS relation head at run time: one ONNX call per frame, a bounded per-pair window carried between calls.

The exported graph (models/pals-synth/, docs/pals.md) takes the frame and, per (person, object) track
pair, the pair's embeddings from up to ``window`` earlier frames. This adapter keeps those embeddings
keyed by track-id pair (at most ``window`` frames per pair, pairs unseen for longer are dropped, and the
table is capped), builds the inputs, and decodes the outputs into Relations and the per-pair 26-wide
score vectors the AG evaluator ranks (PC * PA; it multiplies in the two track scores itself).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vsgg_ros.graph import Frame, Relation, Track
from vsgg_ros.interfaces import Prediction
from vsgg_ros.vocab import load_vocabulary

MODEL_ID = "pals-synth"
Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


def _open_runtime(folder: Path, backend: str) -> Runner:
    from vsgg_ros.heads.runtime import HeadRuntime

    return HeadRuntime.load(folder, backend, threads=1 if backend == "ort-cpu" else None).run


@dataclass
class _PairState:
    frames: deque[tuple[int, np.ndarray, np.ndarray]]
    last_seen: int


class PalsPredictor:
    """The Predictor protocol over a PALS export folder (model.onnx + io_spec.json)."""

    model_id = MODEL_ID

    def __init__(
        self,
        folder: Path | str,
        backend: str = "ort-cpu",
        max_pairs: int = 256,
        max_tracked_pairs: int = 1024,
        threshold: float = 0.5,
    ) -> None:
        self.folder = Path(folder)
        spec_path = self.folder / "io_spec.json"
        if not spec_path.exists():
            raise FileNotFoundError(f"PALS head folder {self.folder} has no io_spec.json")
        self.spec = json.loads(spec_path.read_text())
        if self.spec.get("head") != "pals":
            raise ValueError(f"{spec_path} describes head {self.spec.get('head')!r}, not 'pals'")
        shapes = {i["name"]: i["shape"] for i in self.spec["inputs"]}
        self.d_r, self.d_p = int(shapes["past_r"][2]), int(shapes["past_p"][2])
        self.window = int(self.spec.get("window_frames", 4)) - 1
        self.size = tuple(int(v) for v in self.spec["image_size"])
        hi = self.spec["dynamic_axes"]["num_pairs"][2]
        self.max_pairs = max(1, min(max_pairs, int(hi)))
        self.max_objects = int(self.spec["dynamic_axes"]["num_objects"][2])
        self.max_tracked_pairs = max_tracked_pairs
        self.threshold = threshold
        self.vocab = load_vocabulary(self.spec.get("vocabulary", "ag"))
        self.person = self.vocab.object_id("person")
        self._run = _open_runtime(self.folder, backend)
        self._state: dict[tuple[int, int], _PairState] = {}

    def reset(self) -> None:
        self._state.clear()

    def _image(self, frame: Frame) -> tuple[np.ndarray, float, float]:
        w, h = self.size
        img = frame.image
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"frame {frame.index}: PALS needs an HxWx3 RGB image, got shape {img.shape}")
        if (frame.width, frame.height) == (w, h):
            return np.ascontiguousarray(img[None]), 1.0, 1.0
        import cv2

        return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)[None], w / frame.width, h / frame.height

    def _objects(self, tracks: list[Track]) -> list[tuple[Track, int]]:
        known = []
        for t in tracks:
            cid = self.vocab.object_id(t.label) if t.label else t.class_id
            if 0 <= cid < len(self.vocab.objects):
                known.append((t, cid))
        known.sort(key=lambda tc: -tc[0].score)
        return known[: self.max_objects]

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        pred = Prediction(frame_index=frame.index, stamp_ns=frame.stamp_ns)
        objects = self._objects(tracks)
        persons = [i for i, (_, c) in enumerate(objects) if c == self.person]
        others = [i for i, (_, c) in enumerate(objects) if c != self.person]
        pairs = sorted(
            ((s, o) for s in persons for o in others), key=lambda so: -objects[so[0]][0].score * objects[so[1]][0].score
        )[: self.max_pairs]
        if not pairs:
            self._forget(frame.index)
            return pred
        image, sx, sy = self._image(frame)
        boxes = np.array([t.box for t, _ in objects], np.float32) * np.array([sx, sy, sx, sy], np.float32)
        keys = [(objects[s][0].track_id, objects[o][0].track_id) for s, o in pairs]
        past_r, past_p, valid = self._window(keys, frame.index)
        out = self._run({
            "image": image,
            "boxes": boxes,
            "labels": np.array([c for _, c in objects], np.int64),
            "pairs": np.array(pairs, np.int64),
            "past_r": past_r,
            "past_p": past_p,
            "past_valid": valid,
        })  # fmt: skip
        self._remember(keys, frame.index, out["pair_r"], out["pair_p"])
        scores = np.concatenate([out["attention"], out["spatial"], out["contacting"]], axis=1)
        for k, key in enumerate(keys):
            affinity = float(out["affinity"][k])
            vec = scores[k] * affinity
            pred.distributions[key] = vec.astype(np.float64)
            pred.relations.extend(self._relations(key, vec, affinity))
        return pred

    def _relations(self, key: tuple[int, int], vec: np.ndarray, affinity: float) -> list[Relation]:
        """Top attention; spatial and contacting above ``threshold * affinity`` (at least the top one)."""
        rels = []
        for group in self.vocab.groups:
            part = vec[group.start : group.stop]
            picks = [int(np.argmax(part))]
            if group.name != "attention":
                picks += [i for i in np.flatnonzero(part >= self.threshold * affinity) if i != picks[0]]
            for i in picks:
                pid = group.start + i
                s, o = key if group.name != "spatial" else (key[1], key[0])
                rels.append(Relation(s, o, self.vocab.predicates[pid], pid, group.name, float(part[i]), affinity))
        return rels

    def _window(self, keys: list[tuple[int, int]], index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = max(self.window, 1)
        past_r = np.zeros((len(keys), w, self.d_r), np.float32)
        past_p = np.zeros((len(keys), w, self.d_p), np.float32)
        valid = np.zeros((len(keys), w), np.float32)
        for k, key in enumerate(keys):
            state = self._state.get(key)
            for f, r, p in state.frames if state else ():
                slot = w - (index - f)
                if 0 <= slot < w:
                    past_r[k, slot], past_p[k, slot], valid[k, slot] = r, p, 1.0
        return past_r, past_p, valid

    def _remember(self, keys: list[tuple[int, int]], index: int, r: np.ndarray, p: np.ndarray) -> None:
        for k, key in enumerate(keys):
            state = self._state.setdefault(key, _PairState(deque(maxlen=max(self.window, 1)), index))
            state.frames.append((index, r[k].copy(), p[k].copy()))
            state.last_seen = index
        self._forget(index)

    def _forget(self, index: int) -> None:
        """Drop pairs outside the window; then the oldest beyond the table cap (bounded state)."""
        stale = [k for k, s in self._state.items() if index - s.last_seen >= max(self.window, 1)]
        for k in stale:
            del self._state[k]
        if len(self._state) > self.max_tracked_pairs:
            for k in sorted(self._state, key=lambda k: self._state[k].last_seen)[
                : len(self._state) - self.max_tracked_pairs
            ]:
                del self._state[k]
