"""``python -m vsgg_training {train,export} --head NAME …``: train and export every head.

PALS is handled here; every other head has its own ``vsgg_training.<name>.cli.main`` with the same
``train``/``export`` flag style, and gets the arguments minus ``--head``. ``build_all`` (every head, every
step, resumable; training/build_all/) and ``manifest`` (models/manifest.yaml; training/manifest.py) have
their own parsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vsgg_training.pals.config import ABLATIONS, SUPERVISIONS, TrainConfig

OTHER_HEADS = {"vost": "vost", "sage": "sage", "vlm": "vlm", "detector": "detector"}
HEAD_CHOICES = ("pals", *OTHER_HEADS)
OWN_PARSER = {"build_all": "vsgg_training.build_all.cli", "manifest": "vsgg_training.manifest"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vsgg_training", description="Train and export vsgg_ros heads.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a head on SynthRoom")
    t.add_argument("--head", choices=HEAD_CHOICES, required=True, help="pals here; others use their own flags")
    t.add_argument("--data", choices=("synth",), default="synth")
    t.add_argument("--supervision", choices=SUPERVISIONS, default="full")
    t.add_argument("--ablation", choices=ABLATIONS, default="full")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--resume", action="store_true")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--videos", type=int, default=TrainConfig.train_videos)
    t.add_argument("--frames", type=int, default=TrainConfig.frames)
    t.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    t.add_argument("--difficulty", type=float, default=TrainConfig.difficulty)
    t.add_argument(
        "--backbone", type=Path, default=None, help="frozen backbone weights: loaded if present, else trained and saved"
    )
    e = sub.add_parser("export", help="export a trained head to ONNX + io_spec + parity")
    e.add_argument("--head", choices=HEAD_CHOICES, required=True)
    e.add_argument("--run", type=Path, required=True, help="training run folder (holds model.pt)")
    e.add_argument("--out", type=Path, required=True)
    return p


def _other_head(argv: list[str]) -> tuple[str, list[str]] | None:
    """(module, remaining argv) when ``--head`` names a head with its own CLI."""
    for i, arg in enumerate(argv):
        name = arg.partition("=")[2] if arg.startswith("--head=") else argv[i + 1] if arg == "--head" else None
        if name is not None and name in OTHER_HEADS:
            drop = 1 if arg.startswith("--head=") else 2
            return OTHER_HEADS[name], argv[:i] + argv[i + drop :]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in OWN_PARSER:
        import importlib

        return int(importlib.import_module(OWN_PARSER[argv[0]]).main(argv[1:]))
    other = _other_head(argv)
    if other is not None:
        import importlib

        module, rest = other
        return int(importlib.import_module(f"vsgg_training.{module}.cli").main(rest))
    args = _parser().parse_args(argv)
    if args.command == "train":
        from vsgg_training.pals.train import train

        cfg = TrainConfig(
            supervision=args.supervision, ablation=args.ablation, seed=args.seed, train_videos=args.videos,
            frames=args.frames, epochs=args.epochs, difficulty=args.difficulty,
        )  # fmt: skip
        report = train(cfg, args.out, resume=args.resume, backbone=args.backbone)
        print(json.dumps(report["eval"], indent=2))
        return 0
    from vsgg_training.pals.export import export_run

    print(json.dumps(export_run(args.run, args.out), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
