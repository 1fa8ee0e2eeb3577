"""Checkpoint -> ``models/detector-synth/``: ONNX export, io_spec.json, parity.npz, held-out AP and card.md.

``python -m vsgg_training.detector.build --checkpoint WORK/detector.pt --out models/detector-synth``
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from vsgg_training.detector.model import STRIDE, TOP_K, EndToEnd, TinyCenterNet

from vsgg_ros.detection.detector import OnnxDetector
from vsgg_ros.detection.metrics import ScoredBox, per_class_ap
from vsgg_ros.graph import Frame
from vsgg_ros.heads.parity import ParityCase, write_parity
from vsgg_ros.synth import iter_steps, world_specs
from vsgg_ros.vocab import load_vocabulary

SIZE = (320, 240)
EVAL_SEED = 1000  # never used for training (train.TRAIN_WORLDS uses seeds 1-3)
EVAL_DIFFICULTY = 0.5
FORBIDDEN_OPS = {"NonZero", "Loop", "If", "Unique", "Scan", "SequenceConstruct", "NonMaxSuppression"}
SCORE_THRESHOLD = 0.3
NMS_IOU = 0.5  # class-wise NMS after the in-graph peak picking (see vsgg_ros.detection.formats)


def load_model(checkpoint: Path) -> tuple[EndToEnd, dict[str, Any]]:
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    width = int(state["meta"]["config"]["width"])
    net = TinyCenterNet(int(state["num_classes"]), width)
    net.load_state_dict(state["state_dict"])
    return EndToEnd(net).eval(), state["meta"]


def export(model: EndToEnd, path: Path) -> None:
    example = torch.zeros(1, 3, SIZE[1], SIZE[0])
    batch = torch.export.Dim("batch", min=1, max=8)
    torch.onnx.export(
        model,
        (example,),
        str(path),
        dynamo=True,
        opset_version=18,
        input_names=["images"],
        output_names=["detections", "heat"],
        dynamic_shapes={"images": {0: batch}},
        external_data=False,
    )
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    bad = sorted({n.op_type for n in proto.graph.node} & FORBIDDEN_OPS)
    if bad:
        raise RuntimeError(f"exported detector uses TensorRT-hostile ops {bad}")


def io_spec(num_classes: int) -> dict[str, Any]:
    h, w = SIZE[1] // STRIDE, SIZE[0] // STRIDE
    return {
        "head": "detector-synth",
        "version": "1",
        "inputs": [{"name": "images", "dtype": "float32", "shape": ["batch", 3, SIZE[1], SIZE[0]]}],
        "outputs": [
            {"name": "detections", "dtype": "float32", "shape": ["batch", TOP_K, 6]},
            {"name": "heat", "dtype": "float32", "shape": ["batch", num_classes, h, w]},
        ],
        "dynamic_axes": {"batch": [1, 1, 8]},
        "detector": {
            "format": "yolo-end2end",
            "input": "images",
            "output": "detections",
            "input_size": list(SIZE),
            "resize": "stretch",
            "classes": list(load_vocabulary("ag").objects),
            "label_map": "identity",
            "vocabulary": "ag",
            "score_threshold": SCORE_THRESHOLD,
            "nms": True,
            "iou_threshold": NMS_IOU,
        },
    }


def held_out(videos: int, frames: int) -> list[tuple[Frame, list[ScoredBox]]]:
    out = []
    for spec in world_specs(videos, frames, EVAL_SEED, SIZE, EVAL_DIFFICULTY):
        for step in iter_steps(spec):
            image_id = len(out)
            truth = [ScoredBox(image_id, o.label, o.box) for o in step.graph.objects]
            out.append((step.frame, truth))
    return out


def parity_cases(model: EndToEnd, frames: list[Frame]) -> list[ParityCase]:
    def case(name: str, images: list[np.ndarray]) -> ParityCase:
        x = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        with torch.no_grad():
            _, heat = model(torch.from_numpy(x))
        return ParityCase(name, {"images": x}, {"heat": heat.numpy()})

    return [case("single", [frames[0].image]), case("batch2", [f.image for f in frames[5:7]])]


def box_ap(folder: Path, data: list[tuple[Frame, list[ScoredBox]]], iou: float) -> dict[str, float]:
    """Per-class AP at ``iou`` of the detector in ``folder`` (its own decode and NMS, score threshold 0.01)."""
    detector = OnnxDetector(folder, score_threshold=0.01, threads=2)
    dets: list[ScoredBox] = []
    for image_id, (frame, _) in enumerate(data):
        dets += [ScoredBox(image_id, d.label, d.box, d.score) for d in detector.detect(frame)]
    return per_class_ap(dets, [g for _, gts in data for g in gts], iou)


def evaluate(folder: Path, data: list[tuple[Frame, list[ScoredBox]]], baseline: Path | None = None) -> dict[str, Any]:
    """Held-out AP at IoU 0.5 and 0.3 (0.3 separates recognition from localisation), speed, and ``baseline``'s AP."""
    truth = [g for _, gts in data for g in gts]
    ap = box_ap(folder, data, 0.5)
    ap30 = box_ap(folder, data, 0.3)
    previous = box_ap(baseline, data, 0.5) if baseline is not None else None
    timer = OnnxDetector(folder, threads=2)
    for frame, _ in data[:10]:
        timer.detect(frame)
    times = []
    for frame, _ in data[: min(len(data), 200)]:
        t0 = time.perf_counter()
        timer.detect(frame)
        times.append((time.perf_counter() - t0) * 1e3)
    counts = Counter(g.label for g in truth)
    return {
        "ap50": ap,
        "map50": float(np.nanmean(list(ap.values()))),
        "ap30": ap30,
        "map30": float(np.nanmean(list(ap30.values()))),
        "baseline_ap50": previous,
        "baseline_map50": float(np.nanmean(list(previous.values()))) if previous else None,
        "gt_counts": dict(counts),
        "ms_per_frame_median": statistics.median(times),
        "ms_per_frame_p90": float(np.percentile(times, 90)),
        "ms_per_frame_min": min(times),
        "frames": len(data),
    }


def _stages(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The training runs that led to this checkpoint, oldest first (``--init`` chains them)."""
    chain = []
    while meta is not None:
        chain.append(meta)
        meta = meta.get("init_from")
    return chain[::-1]


def _stage_line(k: int, meta: dict[str, Any]) -> str:
    cfg = meta["config"]
    radius, size_weight = cfg["regress_radius"], cfg["size_weight"]
    region, boost = cfg.get("regress_region", 0.0), cfg.get("small_boost", 0.0)
    giou, balance = cfg.get("giou_weight", 0.0), cfg.get("balance", False)
    return (
        f"{k}. {cfg['videos_per_world']} videos per world, {meta.get('steps_done', cfg['steps'])} steps, "
        f"batch {cfg['batch']}, AdamW lr {cfg['lr']} one-cycle, "
        f"seed {cfg['seed']}, box regression radius {radius}, regression region {region}, "
        f"size-loss weight {size_weight}, small-object boost {boost}, GIoU weight {giou}, "
        f"per-object balance {'on' if balance else 'off'}, {cfg['threads']} torch thread(s); "
        f"wall time {meta['wall_s']:.0f} s (rendering included)"
    )


def card(meta: dict[str, Any], result: dict[str, Any], commands: list[str], export_s: float) -> str:
    stages = _stages(meta)
    cfg = stages[0]["config"]
    previous = result.get("baseline_ap50") or {}
    rows = "\n".join(
        f"| {label} | {result['gt_counts'][label]} | {ap:.3f} | {result['ap30'][label]:.3f} | {previous[label]:.3f} |"
        if label in previous
        else f"| {label} | {result['gt_counts'][label]} | {ap:.3f} | {result['ap30'][label]:.3f} | - |"
        for label, ap in sorted(result["ap50"].items(), key=lambda kv: -result["gt_counts"][kv[0]])
    )
    baseline = (
        f" The previous model (the `--baseline` folder) scored mAP@0.5 {result['baseline_map50']:.3f}"
        " on the same frames."
        if result.get("baseline_map50") is not None
        else ""
    )
    worlds = ", ".join(f"seed {s} (difficulty {d})" for s, d in meta["train_worlds"])
    runs = "\n".join(_stage_line(k + 1, m) for k, m in enumerate(stages))
    chained = " (each starts from the previous run's weights)" if len(stages) > 1 else " (from scratch)"
    total_s = sum(m["wall_s"] for m in stages)
    shell = "\n".join(commands)
    machine = platform.processor() or platform.machine()
    return f"""# detector-synth — tiny CenterNet-style detector for SynthRoom

A single-stage detector (strided CNN + top-down merge to stride 4, CenterNet heat-map / size / offset
heads, {cfg["width"]} base channels) trained from scratch on SynthRoom so that SGDET runs without any
downloaded weights. Classes are the 36 Action Genome objects (label map `identity`).

- **Output**: `detections` `[batch, {TOP_K}, 6]` rows `x1, y1, x2, y2, score, class` in input pixels (the
  `yolo-end2end` layout of `vsgg_ros.detection`; peak picking + top-k are inside the graph, no NMS op)
  and `heat` (class heat-map, stride 4). Input `images` `[batch, 3, 240, 320]` RGB in [0, 1].
  `io_spec.json` asks the runtime for class-wise NMS at IoU {NMS_IOU} after decoding (`"nms": true`): the
  in-graph 3x3 peak picking leaves several peaks along a tall object's flat heat-map.
- **Parity**: `parity.npz` holds torch outputs of `heat` for a single frame and a batch of two;
  the decode after it is exact integer logic, whose top-k order among near-equal low scores may
  legitimately differ between backends.
- **Training data**: N videos (per run, below) x {cfg["frames_per_video"]} frames (every
  {cfg["every"]}nd frame) from each of {worlds}; horizontal flips; on a shared 2-core machine
  (other trainings running beside it).
- **Loss**: CenterNet focal loss on the heat-map, L1 on log size and offset, plus (where the GIoU weight
  is > 0) GIoU on the box decoded at every supervised cell; with per-object balance each object's
  regression weights sum to log(1 + its area in cells) instead of one per cell.
- **Training runs**{chained}:
{runs}
  Total wall time {total_s:.0f} s.
- **Export**: torch.onnx dynamo, opset 18, {export_s:.0f} s.
- **Commands**:

```bash
{shell}
```

## Held-out evaluation

World seed {EVAL_SEED}, difficulty {EVAL_DIFFICULTY}, {result["frames"]} frames (never seen in training).
Box AP at IoU 0.5 (COCO-style 101-point interpolation, score threshold 0.01,
`vsgg_ros.detection.metrics.per_class_ap`, checked against pycocotools in the tests):
**mAP@0.5 = {result["map50"]:.3f}** (mAP@0.3 {result["map30"]:.3f}) over the {len(result["ap50"])} classes
present.{baseline} AP@0.3 much above AP@0.5 means found but badly placed; both low means not found.

| class | GT boxes | AP@0.5 | AP@0.3 | previous AP@0.5 |
|---|---|---|---|---|
{rows}

Speed (ONNX Runtime CPU, 2 threads, full `OnnxDetector.detect` incl. pre/post-processing, default
threshold {SCORE_THRESHOLD}) over 200 frames: median {result["ms_per_frame_median"]:.1f} ms/frame, fastest
{result["ms_per_frame_min"]:.1f} ms, p90 {result["ms_per_frame_p90"]:.1f} ms on {machine}
(shared with other jobs while measured, so the median is pessimistic).
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--eval-videos", type=int, default=10)
    parser.add_argument("--eval-frames", type=int, default=30)
    parser.add_argument(
        "--train-command",
        action="append",
        help="training command(s) that produced the checkpoint, recorded in card.md (repeatable)",
    )
    parser.add_argument("--baseline", type=Path, help="an earlier detector folder to compare AP@0.5 with")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    model, meta = load_model(args.checkpoint)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    export(model, args.out / "model.onnx")
    export_s = time.perf_counter() - t0
    (args.out / "io_spec.json").write_text(json.dumps(io_spec(model.net.num_classes), indent=1) + "\n")
    data = held_out(args.eval_videos, args.eval_frames)
    write_parity(args.out / "parity.npz", parity_cases(model, [f for f, _ in data]))
    result = evaluate(args.out, data, args.baseline)
    build = f"python -m vsgg_training.detector.build --checkpoint {args.checkpoint} --out {args.out}"
    build += f" --baseline {args.baseline}" if args.baseline else ""
    (args.out / "card.md").write_text(card(meta, result, [*(args.train_command or []), build], export_s))
    print(json.dumps({k: v for k, v in result.items() if k not in ("gt_counts", "baseline_ap50")}, indent=1))


if __name__ == "__main__":
    main()
