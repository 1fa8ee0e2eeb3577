"""``vsgg bench head --head traser``: TraSeR-protocol quality and per-window latency of an exported head.

Renders the held-out SynthRoom windows (every fifth video of the world the model was trained on,
``models/traser-synth/card.md``), decodes each through the exported resampler on HeadRuntime and the LM
through transformers (greedy), and scores them with the TraSeR protocol (strict matching, ground-truth
trajectories given). Latency is split into the resampler call and the LM generation, per window.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "models" / "traser-synth"


def run_traser_bench(
    folder: Path | str = DEFAULT_FOLDER,
    videos: int = 100,
    frames: int = 160,
    seed: int = 0,
    windows: int | None = 20,
    backend: str = "ort-cpu",
    threads: int = 1,
) -> dict[str, Any]:
    """Metrics and timings on up to ``windows`` held-out windows of world (``videos``, ``frames``, ``seed``)."""
    import torch
    from vsgg_training.traser.data import synth_samples
    from vsgg_training.traser.evaluate import evaluate_samples

    from vsgg_ros.heads.traser import SETTINGS, open_decoder
    from vsgg_ros.heads.traser_clip import ClipConfig
    from vsgg_ros.heads.traser_decode import resampler_inputs

    folder = Path(folder)
    if not (folder / SETTINGS).is_file():
        raise FileNotFoundError(f"TraSeR head folder {folder} has no {SETTINGS}")
    torch.set_num_threads(threads)
    settings = json.loads((folder / SETTINGS).read_text())
    clip = ClipConfig.from_dict(settings["clip"])
    t0 = time.perf_counter()
    samples = synth_samples(videos, frames, seed, clip, "test", window_frames=int(settings.get("window_frames", 8)))
    samples = samples[:windows] if windows is not None else samples
    data_s = time.perf_counter() - t0
    decoder = open_decoder(folder, backend, bool(settings["use_windows"]), int(settings.get("max_new_tokens", 768)))
    resampler_ms = []
    for sample in samples:
        t1 = time.perf_counter()
        decoder.runner(resampler_inputs(sample.clip))
        resampler_ms.append((time.perf_counter() - t1) * 1e3)
    quality = evaluate_samples(decoder, samples)
    return {
        "head": "traser",
        "folder": str(folder),
        "backend": backend,
        "threads": threads,
        "use_windows": bool(settings["use_windows"]),
        "world": {"videos": videos, "frames": frames, "seed": seed, "split": "test", "windows": len(samples)},
        "data_seconds": round(data_s, 1),
        "resampler_ms": {"median": statistics.median(resampler_ms), "max": max(resampler_ms)} if samples else None,
        **quality,
    }
