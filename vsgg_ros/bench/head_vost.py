"""`vsgg bench head --head vost`: VOST-SGG ms/frame on the CPU, tiny and default sizes, against PALS.

Every contender gets the same frame (320x240) with ``objects`` tracks (two persons) and, for VOST-SGG,
one VLM cue per (person, object) pair up to the query count, and is timed through its whole
per-frame call (cue embedding, buffer, graph, track matching). Rounds alternate between contenders
so machine load hits all alike; one thread each; medians reported. The tiny size runs the committed
export on ONNX Runtime and in torch eager; the default size (6 layers, N = 100) is untrained and only
run in torch eager (its timing does not depend on its weights).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.graph import Frame, Track
from vsgg_ros.heads.vost_cues import Cue

MODELS = Path(__file__).resolve().parents[2] / "models"


def bench_frame(objects: int, seed: int = 0) -> tuple[Frame, list[Track], list[Cue]]:
    from vsgg_ros.vocab import load_vocabulary

    vocab = load_vocabulary("ag")
    rng = np.random.default_rng(seed)
    w, h = 320, 240
    xy = rng.uniform([0, 0], [w * 0.8, h * 0.8], (objects, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 60, (objects, 2))], 1)
    labels = rng.integers(1, 36, objects)
    labels[:2] = 0
    tracks = [
        Track(i + 1, tuple(float(v) for v in boxes[i]), vocab.objects[int(labels[i])], int(labels[i]))  # type: ignore[arg-type]
        for i in range(objects)
    ]
    cues = [
        Cue("person", t.label, ("looking_at", "in_front_of", "holding"), tracks[s].box, t.box)
        for s in (0, 1)
        for t in tracks[2:]
    ]
    frame = Frame(0, 0, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return frame, tracks, cues


class _FixedCues:
    def __init__(self, cues: list[Cue]) -> None:
        self._cues = cues

    def cues(self, frame: Frame) -> list[Cue]:
        return self._cues


def _eager_predictor(size: str, cues: list[Cue], folder: Path) -> Callable[[Frame, list[Track]], Any]:
    import torch
    from vsgg_training.vost.config import sized
    from vsgg_training.vost.evaluate import shape_of, torch_runner
    from vsgg_training.vost.export import load_model
    from vsgg_training.vost.model import VostSGG

    from vsgg_ros.heads.vost import VostStream, map_to_tracks
    from vsgg_ros.heads.vost_encoders import HashedTextEncoder, RegionColorEncoder

    torch.manual_seed(0)
    model = load_model(folder / "model.pt") if size == "tiny" else VostSGG(sized("default")).eval()
    stream = VostStream(torch_runner(model), shape_of(model.cfg, model.cfg.queries),
                        HashedTextEncoder(model.cfg.text_dim), RegionColorEncoder())  # fmt: skip

    def once(frame: Frame, tracks: list[Track]) -> Any:
        out = stream.step(frame.image, cues)
        pairs = [(s, o) for s in (0, 1) for o in range(2, len(tracks))]
        return map_to_tracks(out, tracks, pairs)

    return once


def run_vost_bench(objects: int = 20, rounds: int = 20) -> dict[str, Any]:
    """Median ms/frame: VOST tiny (ORT, eager), VOST default (eager), PALS (ORT), and the ratios to PALS."""
    if objects < 3:
        raise ValueError(f"objects must be >= 3 (two persons and at least one thing), got {objects}")
    import torch

    from vsgg_ros.heads.pals import PalsPredictor
    from vsgg_ros.heads.vost import VostPredictor

    frame, tracks, cues = bench_frame(objects)
    folder = MODELS / "vost-synth"
    vost = VostPredictor(folder, cues=_FixedCues(cues), threads=1)
    pals = PalsPredictor(MODELS / "pals-synth")
    contenders: dict[str, Callable[[Frame, list[Track]], Any]] = {
        "vost_tiny_ort_ms": vost.predict,
        "vost_tiny_eager_ms": _eager_predictor("tiny", cues, folder),
        "vost_default_eager_ms": _eager_predictor("default", cues, folder),
        "pals_ort_ms": pals.predict,
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    times: dict[str, list[float]] = {k: [] for k in contenders}
    try:
        for fn in contenders.values():
            fn(frame, tracks)
        for r in range(rounds):
            frame.index = r + 1
            for name, fn in contenders.items():
                t0 = time.perf_counter()
                fn(frame, tracks)
                times[name].append((time.perf_counter() - t0) * 1e3)
    finally:
        torch.set_num_threads(threads)
    med = {k: round(statistics.median(v), 3) for k, v in times.items()}
    spec = vost.runtime.io_spec
    return {
        "head": "vost",
        "objects": objects,
        "cues": min(len(cues), int(spec["dynamic_axes"]["num_cues"][2])),
        "pals_pairs": 2 * (objects - 2),
        "threads": 1,
        "rounds": rounds,
        **med,
        "ratio_tiny_ort_to_pals": round(med["vost_tiny_ort_ms"] / med["pals_ort_ms"], 2),
        "ratio_default_eager_to_pals": round(med["vost_default_eager_ms"] / med["pals_ort_ms"], 2),
    }
