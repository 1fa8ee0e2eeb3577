"""``vsgg bench head --head sage``: per-frame latency of the SAGE head and the cost of a vocabulary change."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.graph import Frame, Track
from vsgg_ros.heads.sage import SagePredictor

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "models" / "sage-synth"


def _tracks(objects: int, index: int, rng: np.random.Generator) -> list[Track]:
    labels = ["person", "cup/glass/bottle", "table", "chair", "book"]
    out = []
    for i in range(objects):
        x, y = rng.uniform(0, 260), rng.uniform(0, 180)
        out.append(Track(i + 1, (x + index % 5, y, x + 50 + index % 5, y + 50), labels[i % len(labels)], 0, 0.9))
    return out


def run_sage_bench(
    objects: int = 20, frames: int = 30, folder: Path | str = DEFAULT_FOLDER, backend: str = "ort-cpu",
    max_pairs: int = 256, encoder: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """Median/p95 predict() latency with ``objects`` tracks (all ordered pairs up to ``max_pairs``), and the
    set_vocabulary() time for the 26 AG predicates (sentence encoder + text graph, paid once per vocabulary)."""
    if objects < 2:
        raise ValueError(f"run_sage_bench needs objects >= 2, got {objects}")
    head = SagePredictor(folder, backend, encoder=encoder, max_pairs=max_pairs)
    from vsgg_ros.vocab import load_vocabulary

    t0 = time.perf_counter()
    head.set_vocabulary(load_vocabulary("ag").predicates)
    vocab_ms = (time.perf_counter() - t0) * 1e3
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    times = []
    for i in range(frames):
        frame = Frame(i, i * 33_000_000, image)
        t0 = time.perf_counter()
        pred = head.predict(frame, _tracks(objects, i, rng))
        times.append((time.perf_counter() - t0) * 1e3)
    warm = np.array(times[2:] or times)
    return {
        "head": "sage", "backend": backend, "objects": objects, "pairs": len(pred.distributions),
        "predicates": len(head.predicates), "frame_ms_median": float(np.median(warm)),
        "frame_ms_p95": float(np.percentile(warm, 95)), "set_vocabulary_ms": vocab_ms,
        "encoder": head.encoder.encoder.name, "tracked_pairs": len(head._state),
    }  # fmt: skip
