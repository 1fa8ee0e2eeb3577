"""The models behind the node: built like `vsgg run` builds them, and guarded for service calls.

Services (reset, add/remove objects, set vocabulary) arrive on the ROS executor thread while the engine
steps the same tracker and predictor on its own threads. The guards serialise both sides with one lock
per model, so a service call waits for the current step to finish and never sees half-updated state.

Optional capabilities are duck-typed: a tracker that can be prompted implements
``add_object(*, box, label) -> int`` and ``remove_object(track_id) -> bool`` (the SAM2 tracker's API,
vsgg_ros.tracking.sam2_stream); a predictor or
detector that can change its label set implements ``set_vocabulary(vocabulary)``. Models without them
make the matching service answer ``success: false`` with the reason.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from vsgg_ros import run
from vsgg_ros.graph import Box, Frame, Track, Vocabulary
from vsgg_ros.interfaces import Detection, Detector, Prediction, Predictor, Tracker
from vsgg_ros.pipeline import EngineConfig
from vsgg_ros.ros.params import run_config_from_params


@runtime_checkable
class PromptableTracker(Protocol):
    def add_object(self, *, box: Box | None = None, label: str = "") -> int: ...

    def remove_object(self, track_id: int) -> bool: ...


@runtime_checkable
class VocabularyAware(Protocol):
    def set_vocabulary(self, vocabulary: Vocabulary) -> None: ...


class GuardedTracker:
    """A Tracker whose ``step`` and control calls never overlap."""

    def __init__(self, tracker: Tracker) -> None:
        self.inner = tracker
        self.lock = threading.Lock()

    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]:
        with self.lock:
            return self.inner.step(frame, detections)

    def reset(self) -> None:
        with self.lock:
            self.inner.reset()

    def call(self, fn: Callable[[Any], Any]) -> Any:
        with self.lock:
            return fn(self.inner)


class GuardedPredictor:
    """A Predictor whose ``predict`` and control calls never overlap."""

    def __init__(self, predictor: Predictor) -> None:
        self.inner = predictor
        self.lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        with self.lock:
            return self.inner.predict(frame, tracks)

    def call(self, fn: Callable[[Any], Any]) -> Any:
        with self.lock:
            return fn(self.inner)


@dataclass
class Models:
    tracker: GuardedTracker
    predictor: GuardedPredictor | None
    detector: Detector | None


def build_models(values: Mapping[str, Any]) -> tuple[Models, EngineConfig]:
    """Tracker, predictor (and detector, when `vsgg run` builds one) plus the engine schedule."""
    config = run_config_from_params(values)
    built = run.build_models(config)
    tracker, predictor = built[0], built[1]
    detector = built[2] if len(built) > 2 else None
    guarded = GuardedPredictor(predictor) if predictor is not None else None
    return Models(GuardedTracker(tracker), guarded, detector), run.engine_config(config)


def release_accelerator_memory() -> None:
    """Return cached GPU memory after the models were dropped (no-op without torch/CUDA)."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
