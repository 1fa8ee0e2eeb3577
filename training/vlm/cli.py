"""``python -m vsgg_training train --head vlm``: build SFT/GRPO data, run SFT then GRPO, export a checkpoint.

``train --data synth|action_genome|pvsg|psg [--root DIR] --out DIR [--seed] [--videos] [--frames]
[--steps] [--stages sft,grpo] [--model tiny|CKPT] [--gpu]`` writes ``train.jsonl``, the trainer logs and
``run.json``; ``export --run DIR --out DIR`` writes a checkpoint folder that ``vllm serve`` loads.
Without ``--gpu`` this is a CPU wiring run (tiny random VLM unless ``--model`` names a checkpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from vsgg_training.vlm.data import SampleOptions, dataset_images, synthroom_videos, video_samples, write_jsonl

from vsgg_ros.vlm.schema import build_schema
from vsgg_ros.vocab import load_vocabulary

DATASET_SCHEMA = {
    "synth": ("closed", "ag"),
    "action_genome": ("ag", "ag"),
    "pvsg": ("closed", "pvsg"),
    "psg": ("closed", "psg"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vsgg_training --head vlm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train")
    train.add_argument("--data", choices=sorted(DATASET_SCHEMA), default="synth")
    train.add_argument("--root", type=Path, help="dataset root (not for synth)")
    train.add_argument("--split", default="train")
    train.add_argument("--out", type=Path, required=True)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--videos", type=int, default=2)
    train.add_argument("--frames", type=int, default=40)
    train.add_argument("--steps", type=int, default=2)
    train.add_argument("--stages", default="sft,grpo")
    train.add_argument("--model", default="tiny")
    train.add_argument("--max-pixels", type=int, default=112 * 84)
    train.add_argument("--corrupt-share", type=float, default=0.3)
    train.add_argument("--max-completion", type=int, default=64)
    train.add_argument("--gpu", action="store_true")
    train.add_argument("--resume", action="store_true", help="reuse an existing train.jsonl in --out")
    export = sub.add_parser("export")
    export.add_argument("--run", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    return parser


def _videos(args: argparse.Namespace) -> Iterator[tuple[object, object]]:
    if args.data == "synth":
        for video, images in synthroom_videos(args.videos, args.frames, args.seed):
            yield video, (lambda g, images=images: images[g.frame_index])
        return
    if args.root is None:
        raise SystemExit(f"--root is required for --data {args.data}")
    from vsgg_ros.eval.readers import read_ground_truth

    truth = read_ground_truth(args.root, args.data, args.split, mode="sgdet")
    for video in truth.videos[: args.videos]:
        yield video, dataset_images(args.data, args.root, video)


def _load_model(name: str, seed: int) -> tuple[object, object]:
    if name == "tiny":
        from vsgg_ros.vlm.tiny import build_tiny_vlm

        tiny = build_tiny_vlm(seed)
        return tiny.model, tiny.processor
    from transformers import AutoModelForImageTextToText, AutoProcessor

    return AutoModelForImageTextToText.from_pretrained(name), AutoProcessor.from_pretrained(name)


def train(args: argparse.Namespace) -> dict[str, object]:
    from vsgg_training.vlm.trainer import run_grpo, run_sft

    kind, vocab = DATASET_SCHEMA[args.data]
    schema = build_schema(kind, load_vocabulary(vocab))
    rank = int(os.environ.get("RANK", "0"))  # set by torchrun; every rank builds the same data, in its own folder
    root = args.out if int(os.environ.get("WORLD_SIZE", "1")) == 1 else args.out / f"data-rank{rank}"
    data = root / "train.jsonl"
    if not (args.resume and data.is_file()):
        rng = np.random.default_rng(args.seed)
        options = SampleOptions(max_pixels=args.max_pixels, corrupt_share=args.corrupt_share, seed=args.seed)
        samples = (s for v, img in _videos(args) for s in video_samples(v, img, schema, root, options, rng))
        if write_jsonl(samples, data) == 0:
            raise SystemExit(f"no training samples from --data {args.data}")
    model, processor = _load_model(args.model, args.seed)
    report: dict[str, object] = {"data": args.data, "schema": kind, "vocabulary": vocab, "seed": args.seed}
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    t0 = time.perf_counter()
    if "sft" in stages:
        report["sft"] = run_sft(model, processor, data, args.out / "sft", args.steps, args.seed, args.gpu)
    if "grpo" in stages:
        report["grpo"] = run_grpo(
            model, processor, data, args.out / "grpo", args.steps, args.seed, args.gpu, args.max_completion
        )
    report["wall_s"] = time.perf_counter() - t0
    if rank != 0:
        return report
    model.save_pretrained(args.out / "checkpoint")
    processor.save_pretrained(args.out / "checkpoint")
    (args.out / "run.json").write_text(json.dumps(report, indent=2, default=float))
    return report


def export(args: argparse.Namespace) -> dict[str, object]:
    """Copy the run's checkpoint (weights, config, processor, chat template) to ``--out`` for vLLM."""
    import shutil

    source = args.run / "checkpoint"
    if not (source / "config.json").is_file():
        raise SystemExit(f"{source} holds no checkpoint (run `train` first)")
    shutil.copytree(source, args.out, dirs_exist_ok=True)
    return {"checkpoint": str(args.out), "files": sorted(p.name for p in args.out.iterdir())}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        args.out.mkdir(parents=True, exist_ok=True)
        result = train(args)
    else:
        result = export(args)
    print(json.dumps(result, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
