"""`vsgg bench e2e`: SynthRoom frames -> detector -> association tracker -> relation head, through the engine.

Frames are rendered before timing starts (rendering is SynthRoom's cost, not the robot's), then
replayed through :class:`Pipeline` in ``sync`` mode so every frame runs every stage. Reported: frames
per second, mean per-stage milliseconds, and the engine's own overhead (wall time per frame minus the
time spent in the stages that do model work) as a share of the frame. Goal: >= 25 fps at 320x240.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.interfaces import Detector, Predictor, Tracker
from vsgg_ros.pipeline import EngineConfig, Pipeline
from vsgg_ros.synth import VideoSpec, iter_steps

log = logging.getLogger(__name__)
DEFAULT_DETECTOR = Path("models/detector-synth")
DEFAULT_PALS = Path("models/pals-synth")
GOAL_FPS = 25.0
MODEL_STAGES = ("decode", "detect", "track", "predict")
VIDEO_FRAMES = 100


class ReplaySource:
    """Pre-rendered frames, handed out as fast as the engine takes them."""

    def __init__(self, frames: list[Frame]) -> None:
        self._frames = frames

    def frames(self) -> Iterator[Frame]:
        yield from self._frames

    def close(self) -> None:
        """Nothing to release."""


class _CountingSink:
    """Counts what was published (objects, relations) so the report shows the stages did real work."""

    def __init__(self) -> None:
        self.graphs = self.objects = self.relations = 0

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        self.graphs += 1
        self.objects += len(graph.objects)
        self.relations += len(graph.relations)

    def close(self) -> None:
        """Nothing to finalise."""


def render_frames(frames: int, size: tuple[int, int], seed: int = 0) -> list[Frame]:
    """``frames`` SynthRoom frames at ``size`` from consecutive videos of world ``seed`` (stamps kept increasing)."""
    out: list[Frame] = []
    index = 0
    while len(out) < frames:
        spec = VideoSpec(seed=seed, index=index, frames=min(VIDEO_FRAMES, frames - len(out)), size=size)
        for step in iter_steps(spec):
            frame = step.frame
            n = len(out)
            out.append(Frame(n, round(n * 1e9 / spec.fps), frame.image, source_id="synthroom"))
        index += 1
    return out


def default_predictor(folder: Path = DEFAULT_PALS) -> Predictor | None:
    """PALS from ``models/pals-synth`` when that folder and its adapter exist, else no predictor."""
    if not folder.is_dir():
        return None
    try:
        from vsgg_ros.heads.pals import PalsPredictor
    except ImportError:
        log.warning("models/pals-synth exists but vsgg_ros.heads.pals is not importable; benchmarking without it")
        return None
    return PalsPredictor(folder)


def run_e2e_bench(
    frames: int = 300,
    size: tuple[int, int] = (320, 240),
    *,
    detector: Detector | None = None,
    tracker: Tracker | None = None,
    predictor: Predictor | str | None = "auto",
    detector_folder: Path = DEFAULT_DETECTOR,
    backend: str = "ort-cpu",
    warmup: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the full camera path on ``frames`` SynthRoom frames; ``predictor="auto"`` picks PALS if present."""
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    from vsgg_ros.detection.detector import OnnxDetector
    from vsgg_ros.tracking.association import AssociationTracker

    detector = detector if detector is not None else OnnxDetector(detector_folder, backend)
    tracker = tracker if tracker is not None else AssociationTracker()
    if predictor == "auto":
        predictor = default_predictor()
    elif isinstance(predictor, str):
        raise ValueError(f"predictor must be a Predictor, None or 'auto', got {predictor!r}")
    replay = render_frames(frames + warmup, size, seed)
    for frame in replay[:warmup]:  # first calls allocate (onnxruntime arenas, thread pools)
        tracks = tracker.step(frame, detector.detect(frame))
        if predictor is not None:
            predictor.predict(frame, tracks)
    tracker.reset()
    reset = getattr(predictor, "reset", None)
    if reset is not None:
        reset()
    sink = _CountingSink()
    pipeline = Pipeline(
        ReplaySource(replay[warmup:]),
        tracker,
        predictor,
        [sink],
        EngineConfig(predictor_mode="sync", latency_from="arrival"),
        detector=detector,
    )
    t0 = time.perf_counter()
    stats = pipeline.run()
    wall_ms = (time.perf_counter() - t0) * 1e3 / frames
    stages = {name: s["mean_ms"] for name, s in stats["stages_ms"].items()}  # type: ignore[union-attr]
    model_ms = sum(stages.get(s, 0.0) for s in MODEL_STAGES)
    overhead = max(wall_ms - model_ms, 0.0)
    fps = 1000.0 / wall_ms
    return {
        "frames": frames,
        "size": f"{size[0]}x{size[1]}",
        "detector": type(detector).__name__,
        "tracker": type(tracker).__name__,
        "predictor": getattr(predictor, "model_id", None),
        "fps": round(fps, 2),
        "wall_ms_per_frame": round(wall_ms, 3),
        "stages_mean_ms": {k: round(v, 3) for k, v in stages.items()},
        "latency_ms": stats["latency_ms"],
        "engine_overhead_ms": round(overhead, 3),
        "engine_overhead_share": round(overhead / wall_ms, 4),
        "objects_per_frame": round(sink.objects / max(sink.graphs, 1), 2),
        "relations_per_frame": round(sink.relations / max(sink.graphs, 1), 2),
        "goal_fps": GOAL_FPS,
        "goal_met": fps >= GOAL_FPS,
        "machine": platform.processor() or platform.machine(),
    }
