"""The plug points of the streaming engine.

Later pieces (SAM2, the association tracker, relation heads, the VLM, ROS publishers) implement these
protocols; the engine in `pipeline.py` knows nothing else about them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from vsgg_ros.graph import Box, Frame, Relation, SceneGraph, Track


@dataclass(slots=True)
class Detection:
    box: Box
    label: str
    class_id: int
    score: float


@dataclass(slots=True)
class ObjectLabel:
    """A predictor's opinion of what a tracked object is (the VLM and some heads name objects)."""

    label: str
    class_id: int = -1
    score: float = 1.0


@dataclass(slots=True)
class Prediction:
    """What a predictor says about one frame: relations keyed by track ids.

    ``distributions`` holds, per (subject, object) track pair, the full predicate score vector over the
    vocabulary; only evaluation asks for it (no-constraint recall needs every score, not the top few).
    """

    frame_index: int
    stamp_ns: int
    relations: list[Relation] = field(default_factory=list)
    labels: dict[int, ObjectLabel] = field(default_factory=dict)
    distributions: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


@runtime_checkable
class Source(Protocol):
    """Decodes (and optionally paces) frames; owns its file, socket or subscription."""

    def frames(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


@runtime_checkable
class Detector(Protocol):
    def detect(self, frame: Frame) -> list[Detection]: ...


@runtime_checkable
class Tracker(Protocol):
    """Runs at camera rate with bounded state; track ids only ever increase."""

    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]: ...

    def reset(self) -> None: ...


@runtime_checkable
class Predictor(Protocol):
    """Relation heads or the VLM. May be slow; the engine always hands it the newest frame."""

    model_id: str

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction: ...


@runtime_checkable
class Sink(Protocol):
    """ROS publisher, ZMQ PUB, MCAP writer, JSONL, renderer. ``close`` is always called and finalises."""

    def write(self, graph: SceneGraph, frame: Frame | None) -> None: ...

    def close(self) -> None: ...
