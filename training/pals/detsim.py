"""A seeded detector SIMULATOR over SynthRoom truth, standing in for an off-the-shelf detector.

It reads ``frame.ground_truth`` and returns what a detector trained elsewhere would: jittered boxes,
missed objects, class confusions (kept per track, as a detector confuses the same object again),
"ghost" false positives that persist for a while, and noisy scores. Its object identities double as
oracle track ids for training (``detect_tracked``); at run time the pipeline's tracker gives ids.
The real detector (training/detector/, models/detector-synth/) plugs in through :func:`make_detector`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from vsgg_ros.graph import Frame
from vsgg_ros.interfaces import Detection, Detector
from vsgg_ros.vocab import load_vocabulary

GHOST_CLASSES = (
    "bag", "book", "box", "chair", "cup/glass/bottle", "dish", "food", "laptop", "light", "paper/notebook",
    "phone/camera", "picture", "pillow", "shoe", "table", "television", "towel", "window", "blanket", "shelf",
)  # fmt: skip
GHOST_ID_BASE = 1000


@dataclass(frozen=True)
class DetectorNoise:
    """Noise levels; defaults mimic an off-the-shelf detector (many irrelevant proposals, paper §1)."""

    miss: float = 0.08
    jitter: float = 0.05
    confuse: float = 0.08
    ghosts: tuple[int, int] = (4, 10)
    ghost_life: tuple[int, int] = (6, 30)
    ghost_score: tuple[float, float] = (0.35, 0.9)
    score_mean: float = 0.75
    score_sd: float = 0.12


@dataclass
class _Ghost:
    track: int
    label: str
    box: np.ndarray
    start: int
    stop: int
    score: float


class SimulatedDetector:
    """Deterministic per (seed, video id, frame index); implements :class:`vsgg_ros.interfaces.Detector`."""

    model_id = "detector-simulator"

    def __init__(self, seed: int = 0, noise: DetectorNoise | None = None) -> None:
        self.seed = seed
        self.noise = noise or DetectorNoise()
        self.vocab = load_vocabulary("ag")
        self._video = ""
        self._ghosts: list[_Ghost] = []
        self._confused: dict[int, str] = {}

    def _rng(self, *parts: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, zlib.crc32(self._video.encode()), *parts]))

    def _start_video(self, frame: Frame) -> None:
        self._video = frame.source_id
        rng = self._rng(0)
        n = int(rng.integers(self.noise.ghosts[0], self.noise.ghosts[1] + 1))
        self._ghosts = []
        for k in range(n):
            w, h = rng.uniform(12, 70), rng.uniform(12, 70)
            x, y = rng.uniform(0, frame.width - w), rng.uniform(frame.height * 0.2, frame.height - h)
            life = int(rng.integers(*self.noise.ghost_life))
            start = int(rng.integers(0, 60))
            self._ghosts.append(
                _Ghost(GHOST_ID_BASE + k, str(rng.choice(GHOST_CLASSES)), np.array([x, y, x + w, y + h]),
                       start, start + life, float(rng.uniform(*self.noise.ghost_score)))
            )  # fmt: skip
        self._confused = {}

    def _label(self, track: int, label: str) -> str:
        if label == "person":
            return label
        if track not in self._confused:
            rng = self._rng(1, track)
            self._confused[track] = str(rng.choice(GHOST_CLASSES)) if rng.random() < self.noise.confuse else label
        return self._confused[track]

    def detect_tracked(self, frame: Frame) -> list[tuple[int, Detection]]:
        """Detections with the simulator's identities (GT entity id, or 1000+ for ghosts)."""
        if frame.ground_truth is None:
            raise ValueError(f"frame {frame.index} of {frame.source_id!r} has no ground truth to simulate from")
        if frame.source_id != self._video or frame.index == 0:
            self._start_video(frame)
        rng = self._rng(2, frame.index)
        out: list[tuple[int, Detection]] = []
        w, h = frame.width, frame.height
        for obj in frame.ground_truth.objects:
            if rng.random() < self.noise.miss:
                continue
            x1, y1, x2, y2 = obj.box
            bw, bh = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
            j = rng.normal(0, self.noise.jitter, 4) * np.array([bw, bh, bw, bh])
            box = _clip((x1 + j[0], y1 + j[1], x2 + j[2], y2 + j[3]), w, h)
            label = self._label(obj.id, obj.label)
            score = float(np.clip(rng.normal(self.noise.score_mean, self.noise.score_sd), 0.05, 0.99))
            if label != obj.label:
                score *= 0.8
            out.append((obj.id, Detection(box, label, self.vocab.object_id(label), score)))
        for g in self._ghosts:
            if g.start <= frame.index < g.stop:
                drift = rng.normal(0, 1.0, 4)
                box = _clip(tuple(g.box + drift), w, h)
                score = float(np.clip(g.score + rng.normal(0, 0.05), 0.05, 0.99))
                out.append((g.track, Detection(box, g.label, self.vocab.object_id(g.label), score)))
        return out

    def detect(self, frame: Frame) -> list[Detection]:
        return [d for _, d in self.detect_tracked(frame)]


def _clip(box: tuple[float, ...], w: int, h: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in box)
    x1, x2 = sorted((min(max(x1, 0.0), w - 1.0), min(max(x2, 0.0), w - 1.0)))
    y1, y2 = sorted((min(max(y1, 0.0), h - 1.0), min(max(y2, 0.0), h - 1.0)))
    return (x1, y1, max(x2, x1 + 1.0), max(y2, y1 + 1.0))


def make_detector(seed: int = 0) -> Detector:
    """The detector training and evaluation use. To switch to the trained tiny detector, return it here
    (its detections then get track ids from :func:`vsgg_training.pals.data.associate`)."""
    return SimulatedDetector(seed)
