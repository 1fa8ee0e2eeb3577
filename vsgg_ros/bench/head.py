"""`vsgg bench head`: a relation head's per-frame latency, ONNX Runtime (CPU) against torch eager.

Both run the same exported graph inputs (one frame, ``objects`` tracks of which two are persons, a
full temporal window) on one thread each, alternating rounds so machine load hits both alike; the
reported latency is the median. torch eager needs the training extra (torch + vsgg_training).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

MODELS = Path(__file__).resolve().parents[2] / "models"
GOAL_SPEEDUP = 2.0
HEADS = {"pals": "pals-synth"}


def _inputs(objects: int, spec: dict[str, Any], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    w, h = spec["image_size"]
    shapes = {i["name"]: i["shape"] for i in spec["inputs"]}
    window = int(spec.get("window_frames", 4)) - 1
    xy = rng.uniform([0, 0], [w * 0.8, h * 0.8], (objects, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 60, (objects, 2))], 1).astype(np.float32)
    labels = rng.integers(1, 36, objects).astype(np.int64)
    labels[:2] = 0
    pairs = np.array([(s, o) for s in (0, 1) for o in range(2, objects)], np.int64).reshape(-1, 2)
    p = len(pairs)
    return {
        "image": rng.integers(0, 256, (1, h, w, 3), dtype=np.uint8),
        "boxes": boxes,
        "labels": labels,
        "pairs": pairs,
        "past_r": rng.normal(0, 1, (p, window, int(shapes["past_r"][2]))).astype(np.float32),
        "past_p": rng.normal(0, 1, (p, window, int(shapes["past_p"][2]))).astype(np.float32),
        "past_valid": np.ones((p, window), np.float32),
    }


def run_head_bench(head: str, objects: int = 20, rounds: int = 200, warmup: int = 20) -> dict[str, Any]:
    """Median per-frame latency (ms) of ONNX Runtime CPU vs torch eager at ``objects`` tracks.

    Fairness: one intra-op thread each (torch's count restored after), ``warmup`` untimed calls each,
    rounds interleaved with the order swapped every round (neither always runs on a cache the other
    just warmed), the garbage collector off while timing. ``speedup`` is the ratio of the medians;
    ``speedup_paired`` the median of per-round ratios, which load drifting between rounds cancels from.
    """
    import gc
    import json

    if head not in HEADS:
        raise ValueError(f"unknown head {head!r}; known: {sorted(HEADS)}")
    if objects < 3:
        raise ValueError(f"objects must be >= 3 (two persons and at least one thing), got {objects}")
    folder = MODELS / HEADS[head]
    spec = json.loads((folder / "io_spec.json").read_text())
    inputs = _inputs(objects, spec)

    import onnxruntime as ort
    import torch
    from vsgg_training.pals.export import OUTPUTS, load_model
    from vsgg_training.pals.model import PalsStreamingGraph

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
    graph = PalsStreamingGraph(load_model(folder / "model.pt")).eval()
    torch_inputs = tuple(torch.from_numpy(v) for v in inputs.values())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    gc_was_enabled = gc.isenabled()
    try:

        def ort_once() -> None:
            session.run(list(OUTPUTS), inputs)

        def torch_once() -> None:
            with torch.inference_mode():
                graph(*torch_inputs)

        times: dict[str, list[float]] = {"ort": [], "torch": []}
        for _ in range(warmup):
            ort_once()
            torch_once()
        gc.collect()
        gc.disable()
        order = (("ort", ort_once), ("torch", torch_once))
        for i in range(rounds):
            for name, fn in order if i % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t0) * 1e3)
    finally:
        if gc_was_enabled:
            gc.enable()
        torch.set_num_threads(threads)
    ort_ms, torch_ms = statistics.median(times["ort"]), statistics.median(times["torch"])
    paired = statistics.median(t / o for o, t in zip(times["ort"], times["torch"], strict=True))
    return {
        "head": head,
        "objects": objects,
        "pairs": len(inputs["pairs"]),
        "window": int(inputs["past_r"].shape[1]),
        "image_size": spec["image_size"],
        "threads": 1,
        "rounds": rounds,
        "warmup": warmup,
        "ort_cpu_ms": round(ort_ms, 3),
        "torch_eager_ms": round(torch_ms, 3),
        "speedup": round(torch_ms / ort_ms, 2),
        "speedup_paired": round(paired, 2),
        "goal_speedup": GOAL_SPEEDUP,
        "meets_goal": torch_ms / ort_ms >= GOAL_SPEEDUP,
    }
