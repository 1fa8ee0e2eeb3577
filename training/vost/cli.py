"""``python -m vsgg_training train|export --head vost``: train on SynthRoom, export to an ONNX head folder."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from vsgg_training.vost.config import ABLATIONS, SIZES, TrainConfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vsgg_training --head vost", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on SynthRoom")
    t.add_argument("--data", default="synth", choices=["synth"])
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--resume", action="store_true")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--videos", type=int, default=TrainConfig.train_videos)
    t.add_argument("--test-videos", type=int, default=TrainConfig.test_videos)
    t.add_argument("--frames", type=int, default=TrainConfig.frames)
    t.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    t.add_argument("--batch", type=int, default=TrainConfig.batch)
    t.add_argument("--lr", type=float, default=TrainConfig.lr)
    t.add_argument("--lr-drop", type=int, default=TrainConfig.lr_drop, help="epoch after which lr /= 10; 0 = never")
    t.add_argument("--grad-clip", type=float, default=TrainConfig.grad_clip)
    t.add_argument("--no-cue-clips", type=float, default=TrainConfig.no_cue_clips, help="share of cue-free clips")
    t.add_argument("--cue-drop", type=float, default=TrainConfig.cue_drop, help="extra per-cue drop probability")
    t.add_argument("--cue-anchors", action="store_true",
                   help="cued queries start from their cue's boxes (not in the paper)")  # fmt: skip
    t.add_argument("--ablation", choices=ABLATIONS, default="full")
    t.add_argument("--size", choices=SIZES, default="tiny")
    t.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("export", help="export a run to model.onnx + io_spec.json + parity.npz")
    e.add_argument("--run", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        from vsgg_training.vost.train import train

        if args.data != "synth":
            print(f"--data {args.data!r}: only 'synth' is supported", file=sys.stderr)
            return 2
        cfg = dataclasses.replace(
            TrainConfig(), ablation=args.ablation, size=args.size, seed=args.seed, train_videos=args.videos,
            test_videos=args.test_videos, frames=args.frames, epochs=args.epochs, batch=args.batch, lr=args.lr,
            lr_drop=args.lr_drop, grad_clip=args.grad_clip, no_cue_clips=args.no_cue_clips, cue_drop=args.cue_drop,
            cue_anchors=args.cue_anchors,
        )  # fmt: skip
        result = train(cfg, args.out, resume=args.resume, threads=args.threads)
        print(json.dumps(result["metrics"], indent=2))
        return 0
    from vsgg_training.vost.export import export_run

    print(json.dumps(export_run(args.run, args.out), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
