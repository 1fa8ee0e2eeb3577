"""Cheap stand-ins with controllable cost, for measuring the engine itself.

The frames are one preallocated image (no rendering cost); the annotations are 20-ish boxes moving
on straight lines with a fixed relation pattern, so the tracker/predictor replay of ground truth does
constant, small work and what remains is the engine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from vsgg_ros.graph import Frame, ObjectNode, Relation, SceneGraph, Track
from vsgg_ros.ground_truth import GroundTruthPredictor
from vsgg_ros.interfaces import Prediction


class SyntheticSource:
    """``n_frames`` frames at ``fps`` with ``n_objects`` annotated objects and ~3 relations per object."""

    name = "synthetic"

    def __init__(
        self,
        n_frames: int,
        n_objects: int = 20,
        fps: float = 50.0,
        size: tuple[int, int] = (320, 240),
        wall_clock_stamps: bool = False,
        rate_limited: bool = False,
    ) -> None:
        self.n_frames = n_frames
        self.n_objects = n_objects
        self.fps = fps
        self.rate_limited = rate_limited
        self.wall_clock_stamps = wall_clock_stamps
        width, height = size
        self.image = np.full((height, width, 3), 96, dtype=np.uint8)
        rng = np.random.default_rng(0)
        self._start = rng.uniform(0, [width - 40, height - 40], size=(n_objects, 2))
        self._velocity = rng.uniform(-1, 1, size=(n_objects, 2))
        self._size = (width, height)
        self.skipped: dict[str, int] = {}

    def annotation(self, index: int, stamp_ns: int) -> SceneGraph:
        width, height = self._size
        xy = (self._start + index * self._velocity) % [width - 40, height - 40]
        objects = [
            ObjectNode(i + 1, label, (x, y, x + 30.0, y + 30.0), class_id)
            for i, (x, y) in enumerate(xy.tolist())
            for label, class_id in [("person", 0) if i == 0 else ("cup/glass/bottle", 10)]
        ]
        n = self.n_objects
        relations = [
            Relation(1 + i, 1 + (i + k) % n, ("holding", "in_front_of", "looking_at")[k - 1], k, "", 0.9)
            for i in range(n)
            for k in (1, 2, 3)
            if n > 1 and (i + k) % n != i
        ]
        return SceneGraph(stamp_ns, index, objects=objects, relations=relations)

    def frames(self) -> Iterator[Frame]:
        period = 1.0 / self.fps
        start = time.perf_counter()
        origin = time.time_ns() if self.wall_clock_stamps else 0
        for index in range(self.n_frames):
            if self.rate_limited:
                delay = start + index * period - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            stamp = time.time_ns() if self.wall_clock_stamps else origin + round(index * period * 1e9)
            frame = Frame(index, stamp, self.image)
            frame.ground_truth = self.annotation(index, stamp)
            yield frame

    def close(self) -> None:
        """Nothing to release."""


class CostlyPredictor:
    """Ground-truth relations after ``cost_ms`` of simulated model time (sleep: frees the GIL like a GPU)."""

    def __init__(self, cost_ms: float) -> None:
        self.cost_ms = cost_ms
        self.model_id = f"synthetic-{cost_ms:g}ms"
        self._gt = GroundTruthPredictor()

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        if self.cost_ms > 0:
            time.sleep(self.cost_ms / 1e3)
        return self._gt.predict(frame, tracks)
