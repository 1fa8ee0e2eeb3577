"""``python -m vsgg_training {train,export,bound} --head pals …``: PALS training with every TrainConfig knob.

``train`` runs (or resumes) one training run, ``export`` turns a run into a head folder (export.py), and
``bound`` prints the with-constraint recall bound of a SynthRoom test world (bound.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vsgg_training.pals.config import ABLATIONS, DATASETS, SUPERVISIONS, ModelConfig, TrainConfig

from vsgg_ros.synth import ANNOTATIONS, iter_video, world_specs


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vsgg_training ... --head pals", description="Train and export PALS.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train (or resume) one PALS run")
    t.add_argument("--data", choices=DATASETS, default="synth",
                   help="synth: SynthRoom rendered in memory; ag: Action Genome under --root")  # fmt: skip
    t.add_argument("--root", type=Path, help="Action Genome folder (annotations/ + frames/) for --data ag")
    t.add_argument("--supervision", choices=SUPERVISIONS, default="full")
    t.add_argument("--ablation", choices=ABLATIONS, default="full")
    t.add_argument("--annotation", choices=ANNOTATIONS, default=TrainConfig.annotation,
                   help="SynthRoom pairs with relation GT, train and test worlds (involved = AG-like)")  # fmt: skip
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--resume", action="store_true")
    t.add_argument("--seed", type=int, default=TrainConfig.seed, help="training world seed")
    t.add_argument("--run-seed", type=int, default=TrainConfig.run_seed, help="init/order seed on the same world")
    t.add_argument("--test-seed", type=int, default=TrainConfig.test_seed)
    t.add_argument("--videos", type=int, default=TrainConfig.train_videos)
    t.add_argument("--extra-videos", type=int, default=TrainConfig.extra_videos,
                   help="more training videos of the training seed, after the validation block")  # fmt: skip
    t.add_argument("--test-videos", type=int, default=TrainConfig.test_videos)
    t.add_argument("--val-videos", type=int, default=TrainConfig.val_videos,
                   help="unseen training-seed videos to report on (tune here, never on test)")  # fmt: skip
    t.add_argument("--frames", type=int, default=TrainConfig.frames)
    t.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    t.add_argument("--lr", type=float, default=TrainConfig.lr)
    t.add_argument("--truth-pairs", type=float, default=TrainConfig.truth_pairs,
                   help="full supervision: share of steps on truth-box pairs instead of detections")  # fmt: skip
    t.add_argument("--difficulty", type=float, default=TrainConfig.difficulty)
    t.add_argument("--backbone-epochs", type=int, default=TrainConfig.backbone_epochs)
    t.add_argument("--backbone-relation", type=float, default=TrainConfig.backbone_relation,
                   help="relation-aware objective weight (truth pairs' labels) in backbone pre-training")  # fmt: skip
    t.add_argument("--group-weights", type=float, nargs=3, default=TrainConfig.group_weights,
                   metavar=("ATT", "SPA", "CON"), help="L_rel weights: attention, spatial, contacting")  # fmt: skip
    t.add_argument("--roi", type=int, default=ModelConfig.roi, help="RoIAlign side (STTran: 7)")
    t.add_argument("--mask-size", type=int, default=ModelConfig.mask_size, help="union box-mask side (STTran: 27)")
    t.add_argument("--dropout", type=float, default=ModelConfig.dropout, help="dropout on R0 and in the FFNs")
    t.add_argument("--window", type=int, default=ModelConfig.window, help="frames the temporal attention sees")
    t.add_argument("--head-crop", type=int, default=ModelConfig.head_crop,
                   help="side of the subject's full-resolution head crop (0 = off)")  # fmt: skip
    t.add_argument("--backbone", type=Path, default=None, help="frozen backbone: loaded if present, else trained+saved")
    e = sub.add_parser("export", help="export a run to ONNX (+FP16) + io_spec + parity")
    e.add_argument("--run", type=Path, required=True, help="training run folder (holds model.pt)")
    e.add_argument("--out", type=Path, required=True)
    b = sub.add_parser("bound", help="with-constraint R@K upper bound of a SynthRoom world's ground truth")
    b.add_argument("--annotation", choices=ANNOTATIONS, default=TrainConfig.annotation)
    b.add_argument("--seed", type=int, default=TrainConfig.test_seed)
    b.add_argument("--videos", type=int, default=TrainConfig.test_videos)
    b.add_argument("--frames", type=int, default=TrainConfig.frames)
    b.add_argument("--difficulty", type=float, default=TrainConfig.difficulty)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "bound":
        from vsgg_training.pals.bound import recall_bound

        specs = world_specs(args.videos, args.frames, args.seed, difficulty=args.difficulty, annotation=args.annotation)
        try:
            bound = recall_bound(g for s in specs for _, g in iter_video(s))
        except ValueError as err:
            raise SystemExit(f"bound: {err} (seed {args.seed}, {args.videos} videos x {args.frames} frames)") from err
        print(json.dumps(bound, indent=2))
        return 0
    if args.command == "export":
        from vsgg_training.pals.export import export_run

        print(json.dumps(export_run(args.run, args.out), indent=2))
        return 0
    from vsgg_training.pals.train import train

    if args.data == "ag" and args.root is None:
        raise SystemExit("train: --data ag needs --root <Action Genome folder>")
    cfg = TrainConfig(
        data=args.data, root=str(args.root or ""), supervision=args.supervision, ablation=args.ablation,
        annotation=args.annotation, seed=args.seed,
        run_seed=args.run_seed, test_seed=args.test_seed, train_videos=args.videos, test_videos=args.test_videos,
        val_videos=args.val_videos, extra_videos=args.extra_videos, truth_pairs=args.truth_pairs,
        frames=args.frames, epochs=args.epochs, lr=args.lr, difficulty=args.difficulty,
        group_weights=tuple(args.group_weights), backbone_epochs=args.backbone_epochs,
        backbone_relation=args.backbone_relation,
        model=ModelConfig(roi=args.roi, mask_size=args.mask_size, window=args.window, dropout=args.dropout,
                          head_crop=args.head_crop),
    )  # fmt: skip
    report = train(cfg, args.out, resume=args.resume, backbone=args.backbone)
    print(json.dumps({k: report[k] for k in ("train_seconds", "eval", "val") if k in report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
