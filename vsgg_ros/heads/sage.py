"""SAGE relation head at run time: open-vocabulary predicates over tracked objects, one ONNX call per frame.

Two exported graphs (models/sage-synth/, docs/sage.md): ``text/`` turns the predicate names of the current
vocabulary into a classifier once (:meth:`SagePredictor.set_vocabulary`, also what the ROS node's
set-vocabulary service calls); the frame graph takes that cached classifier as an input, so a new vocabulary
changes the output without re-export. Per frame the adapter builds ordered track pairs, their box histories
and the teacher sentences (:mod:`vsgg_ros.heads.sage_pairs`), and carries each pair's state for the temporal
transformer (bounded: pairs unseen for ``window`` frames are dropped and the table is capped).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vsgg_ros.graph import Frame, Relation, Track
from vsgg_ros.heads.runtime import HeadRuntime
from vsgg_ros.heads.sage_pairs import BoxHistory, FrameObject, pair_inputs
from vsgg_ros.heads.sage_text import VIEWS, CachedEncoder, SentenceEncoder, class_inputs, make_encoder
from vsgg_ros.interfaces import Prediction

MODEL_ID = "sage-synth"


class SagePredictor:
    """The Predictor protocol over a SAGE export folder, with a run-time predicate vocabulary."""

    model_id = MODEL_ID

    def __init__(
        self,
        folder: Path | str,
        backend: str = "ort-cpu",
        vocabulary: Sequence[str] | None = None,
        encoder: SentenceEncoder | None = None,
        max_pairs: int = 128,
        max_tracked_pairs: int = 1024,
        top_k: int = 3,
        threshold: float = 0.3,
    ) -> None:
        self.folder = Path(folder)
        spec_path = self.folder / "io_spec.json"
        if not spec_path.is_file():
            raise FileNotFoundError(f"SAGE head folder {self.folder} has no io_spec.json")
        self.spec = json.loads(spec_path.read_text())
        if self.spec.get("head") != "sage" or self.spec.get("graph") != "frame":
            raise ValueError(f"{spec_path} is not a SAGE frame graph (head={self.spec.get('head')!r})")
        self.size = tuple(int(v) for v in self.spec["image_size"])
        self.window = int(self.spec["window_frames"])
        self.max_words = int(self.spec["max_words"])
        self.max_pairs = max(1, min(max_pairs, int(self.spec["dynamic_axes"]["num_pairs"][2])))
        self.max_objects = int(self.spec["dynamic_axes"]["num_objects"][2])
        self.max_predicates = int(self.spec["dynamic_axes"]["num_predicates"][2])
        self.max_tracked_pairs, self.top_k, self.threshold = max_tracked_pairs, top_k, threshold
        self.encoder = CachedEncoder(encoder or make_encoder(self.spec["text_encoder"]))
        self._frame = HeadRuntime.load(self.folder, backend)
        self._text = HeadRuntime.load(self.folder / "text", backend)
        shapes = {t.name: t.shape for t in self._frame.spec.inputs}
        self.d_state = int(shapes["past"][3])
        self._history = BoxHistory(int(self.spec["motion_frames"]))
        self._state: dict[tuple[int, int], deque[tuple[int, np.ndarray]]] = {}
        self.predicates: tuple[str, ...] = ()
        self.classifier = np.zeros((0, 0), np.float32)
        self.set_vocabulary(vocabulary or self.spec["predicates"])

    def set_vocabulary(self, vocabulary: Sequence[str]) -> None:
        """Recompute and cache the text classifier for ``vocabulary`` (predicate names; order = ids)."""
        names = [str(v) for v in vocabulary]
        if not names or len(set(names)) != len(names) or any(not n.strip() for n in names):
            raise ValueError(f"SAGE vocabulary must be non-empty, unique, non-blank names; got {names!r}")
        if len(names) > self.max_predicates:
            raise ValueError(f"SAGE vocabulary has {len(names)} predicates; the export allows {self.max_predicates}")
        self.classifier = self._text.run(class_inputs(names, self.encoder, self.max_words))["classifier"]
        self.predicates = tuple(names)

    def reset(self) -> None:
        self._state.clear()
        self._history = BoxHistory(self._history.frames)

    def _objects(self, tracks: list[Track], sx: float, sy: float) -> list[FrameObject]:
        named = sorted((t for t in tracks if t.label), key=lambda t: -t.score)[: self.max_objects]
        return [
            FrameObject(t.track_id, t.label, (t.box[0] * sx, t.box[1] * sy, t.box[2] * sx, t.box[3] * sy))
            for t in named
        ]

    def _image(self, frame: Frame) -> np.ndarray:
        img = frame.image
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"frame {frame.index}: SAGE needs an HxWx3 RGB image, got shape {img.shape}")
        if (frame.width, frame.height) == self.size:
            return np.ascontiguousarray(img[None])
        import cv2

        return cv2.resize(img, self.size, interpolation=cv2.INTER_AREA)[None]

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        pred = Prediction(frame_index=frame.index, stamp_ns=frame.stamp_ns)
        sx, sy = self.size[0] / max(frame.width, 1), self.size[1] / max(frame.height, 1)
        objects = self._objects(tracks, sx, sy)
        pairs, hist, texts = pair_inputs(frame.index, objects, self._history, self.size, self.max_pairs)
        if len(objects) < 2 or not len(pairs):
            self._forget(frame.index)
            return pred
        keys = [(objects[s].track_id, objects[o].track_id) for s, o in pairs]
        teacher = self.encoder.encode([t for views in texts for t in views]).reshape(len(pairs), len(VIEWS), -1)
        past, valid = self._past(keys, frame.index)
        out = self._frame.run({
            "image": self._image(frame), "boxes": np.array([o.box for o in objects], np.float32),
            "pairs": pairs, "history": hist, "teacher": teacher, "past": past, "past_valid": valid,
            "classifier": self.classifier,
        })  # fmt: skip
        self._remember(keys, frame.index, out["state"])
        for k, key in enumerate(keys):
            inter = float(out["interaction"][k])
            vec = out["relation"][k] * inter
            pred.distributions[key] = vec.astype(np.float64)
            order = np.argsort(-vec)[: self.top_k]
            for rank, c in enumerate(order):
                if rank == 0 or vec[c] >= self.threshold:
                    pred.relations.append(
                        Relation(key[0], key[1], self.predicates[c], int(c), "", float(vec[c]), inter)
                    )
        return pred

    def _past(self, keys: list[tuple[int, int]], index: int) -> tuple[np.ndarray, np.ndarray]:
        past = np.zeros((len(keys), self.window, len(VIEWS), self.d_state), np.float32)
        valid = np.zeros((len(keys), self.window), np.float32)
        for k, key in enumerate(keys):
            for f, state in self._state.get(key, ()):
                slot = self.window - (index - f)
                if 0 <= slot < self.window:
                    past[k, slot], valid[k, slot] = state, 1.0
        return past, valid

    def _remember(self, keys: list[tuple[int, int]], index: int, state: np.ndarray) -> None:
        for k, key in enumerate(keys):
            self._state.setdefault(key, deque(maxlen=self.window)).append((index, state[k].copy()))
        self._forget(index)

    def _forget(self, index: int) -> None:
        """Drop pairs outside the window, then the oldest beyond the table cap (bounded state)."""
        for key in [k for k, d in self._state.items() if index - d[-1][0] >= self.window]:
            del self._state[key]
        if len(self._state) > self.max_tracked_pairs:
            for key in sorted(self._state, key=lambda k: self._state[k][-1][0])[
                : len(self._state) - self.max_tracked_pairs
            ]:
                del self._state[key]
