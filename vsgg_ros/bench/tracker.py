"""`vsgg bench tracker`: the streaming SAM2 tracker's cost per frame and its memory on a long stream.

- speed: ms/frame (median and min over the frames after the prompts) against the number of objects, at each
  model input size, with the SAM2.1 tiny architecture and random weights (cost is architecture-bound; the
  masks are meaningless). All objects are prompted on frame 0, so they share a memory layout and run as one
  batch; the image encoder runs once per frame whatever the number of objects.
- memory: a long stream on the micro model with objects added and removed mid-stream; tracker state bytes
  and process RSS after the warm-up and at the end. Goal: state constant once the windows are full, RSS
  growth < 5%.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from vsgg_ros.bench.pipeline import rss_bytes
from vsgg_ros.graph import Frame
from vsgg_ros.tracking.sam2_config import Sam2TrackerConfig
from vsgg_ros.tracking.sam2_model import Sam2ModelConfig, build_sam2_model, describe, micro_config
from vsgg_ros.tracking.sam2_stream import Sam2StreamTracker

FRAME_SIZE = (480, 640)


def _frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """A few textured frames reused in a loop (decoding is not what is measured)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (*FRAME_SIZE, 3), dtype=np.uint8)
    return [np.roll(base, 7 * i, axis=1) for i in range(min(n, 8))]


def _boxes(n: int) -> list[tuple[float, float, float, float]]:
    height, width = FRAME_SIZE
    cols = 4
    cw, ch = width / cols, height / 2
    return [
        ((i % cols) * cw + 10, (i // cols % 2) * ch + 10, (i % cols + 1) * cw - 10, (i // cols % 2 + 1) * ch - 10)
        for i in range(n)
    ]


def measure_speed(model: Any, image_size: int, n_objects: int, frames: int, batch: bool = True) -> dict[str, Any]:
    config = Sam2TrackerConfig(
        model=Sam2ModelConfig(image_size=image_size, device="cpu"),
        max_lost_sec=None,
        max_mask_fraction=1.0,
        batch_objects=batch,
        max_objects=max(n_objects, 1),
    )
    tracker = Sam2StreamTracker(config, model=model)
    images = _frames(frames)
    for box in _boxes(n_objects):
        tracker.add_object(box=box)
    times = []
    for i in range(frames):
        t0 = time.perf_counter()
        tracker.step(Frame(index=i, stamp_ns=i * 33_333_333, image=images[i % len(images)]), None)
        times.append((time.perf_counter() - t0) * 1e3)
    tracked = times[1:] or times
    return {
        "image_size": image_size,
        "objects": n_objects,
        "batched": batch,
        "prompt_frame_ms": round(times[0], 2),
        "median_ms_per_frame": round(statistics.median(tracked), 2),
        "min_ms_per_frame": round(min(tracked), 2),
        "fps_at_median": round(1000.0 / statistics.median(tracked), 2),
    }


def measure_memory(frames: int, image_size: int = 64) -> dict[str, Any]:
    """Objects join every 50 frames and the oldest leaves when four are live; state must stay bounded."""
    model_cfg = micro_config(image_size)
    tracker = Sam2StreamTracker(
        Sam2TrackerConfig(model=model_cfg, max_lost_sec=None, max_mask_fraction=1.0, max_objects=8),
        model=build_sam2_model(model_cfg),
    )
    images = [img[:120, :160] for img in _frames(8)]
    warm = min(100, frames // 2)
    samples: dict[str, Any] = {}
    for i in range(frames):
        if i % 50 == 0:
            if len(tracker.live_ids()) >= 4:
                tracker.remove_object(tracker.live_ids()[0])
            x = 10.0 + (i // 50) % 5 * 25
            tracker.add_object(box=(x, 20.0, x + 30.0, 90.0))
        tracker.step(Frame(index=i, stamp_ns=i * 33_333_333, image=images[i % len(images)]), None)
        if i + 1 in (warm, frames):
            gc.collect()
            samples[str(i + 1)] = {
                "live_tracks": len(tracker.live_ids()),
                "memory_entries": tracker.memory_entries(),
                "state_bytes": tracker.state_nbytes(),
                "rss_bytes": rss_bytes(),
            }
    first, last = samples[str(warm)], samples[str(frames)]
    growth = (last["rss_bytes"] - first["rss_bytes"]) / first["rss_bytes"]
    per_track_cap = tracker.horizon + tracker.config.max_cond_frames
    return {
        "frames": frames,
        "image_size": image_size,
        "samples": samples,
        "entries_cap_per_track": per_track_cap,
        "entries_within_cap": last["memory_entries"] <= last["live_tracks"] * per_track_cap,
        "rss_growth": round(growth, 4),
        "goal_rss_growth": 0.05,
        "goal_met": growth < 0.05 and last["memory_entries"] <= last["live_tracks"] * per_track_cap,
        "discovered": tracker.stats["discovered"],
    }


def run_tracker_bench(
    sizes: Sequence[int] = (128, 256),
    objects: Sequence[int] = (1, 4, 8),
    frames: int = 20,
    memory_frames: int = 500,
    threads: int | None = None,
) -> dict[str, Any]:
    """Speed per (size, objects) with the tiny SAM2.1 architecture on CPU, plus the long-stream memory check."""
    import torch

    if frames < 2:
        raise ValueError(f"frames must be >= 2 (the first frame is the prompt), got {frames}")
    if threads is not None:
        torch.set_num_threads(threads)
    speed = []
    models = {}
    for size in sizes:
        model = build_sam2_model(Sam2ModelConfig(size="t", image_size=size, device="cpu"))
        models[str(size)] = describe(model)
        speed += [measure_speed(model, size, n, frames) for n in objects]
        del model
    result: dict[str, Any] = {
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
        "model": "sam2.1_hiera_t (random weights)",
        "frame_size": list(FRAME_SIZE),
        "models": models,
        "speed": speed,
    }
    if memory_frames:
        result["memory"] = measure_memory(memory_frames)
    return result
