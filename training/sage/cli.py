"""``python -m vsgg_training train --head sage`` / ``export --head sage``: SAGE's train and export commands."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from vsgg_training.sage.config import TrainConfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vsgg_training sage")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="two-stage training on SynthRoom base predicates, all/novel evaluation")
    t.add_argument("--data", default="synth", choices=["synth"])
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--videos", type=int, default=TrainConfig.train_videos)
    t.add_argument("--frames", type=int, default=TrainConfig.frames)
    t.add_argument("--test-videos", type=int, default=TrainConfig.test_videos)
    t.add_argument("--val-videos", type=int, default=TrainConfig.val_videos)
    t.add_argument("--epochs", type=int, default=TrainConfig.stage1_epochs, help="stage-1 epochs")
    t.add_argument("--prompt-epochs", type=int, default=TrainConfig.stage2_epochs, help="stage-2 epochs")
    t.add_argument("--encoder", default=TrainConfig.encoder, choices=["minilm", "hash"])
    t.add_argument("--no-teacher", action="store_true", help="ablation: drop the semantic-teacher fusion")
    e = sub.add_parser("export", help="ONNX graphs + io_spec + parity from a training run")
    e.add_argument("--run", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        from vsgg_training.sage.train import run

        base = TrainConfig()
        cfg = dataclasses.replace(
            base, seed=args.seed, train_videos=args.videos, frames=args.frames,
            test_videos=args.test_videos, val_videos=args.val_videos, stage1_epochs=args.epochs,
            stage2_epochs=args.prompt_epochs, encoder=args.encoder,
            model=dataclasses.replace(base.model, use_teacher=not args.no_teacher),
        )  # fmt: skip
        report = run(cfg, args.out)
        print(json.dumps(report["results"], indent=2))
        return 0
    from vsgg_training.sage.export import export_run

    print(json.dumps(export_run(args.run, args.out), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
