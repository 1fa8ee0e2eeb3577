"""``python -m vsgg_training train --head traser`` / ``export``: TraSeR SFT on SynthRoom (or PVSG) on CPU.

A run folder holds ``resampler.pt`` (weights + ResamplerConfig), ``lm/`` (tiny LM config + weights),
``traser.json`` (the window settings the streaming head needs) and ``train.json`` (config, data, losses,
held-out TraSeR metrics, wall time). ``export`` turns a run into a head folder: ``model.onnx`` +
``io_spec.json`` + ``parity.npz`` for the resampler, plus ``lm/`` and ``traser.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import torch

RESAMPLER = "resampler.pt"
SETTINGS = "traser.json"
WINDOW_FRAMES = 8
WINDOW_STRIDE = 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vsgg_training traser")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="SFT of the dual resampler + tiny LM")
    train.add_argument("--data", choices=("synth", "pvsg"), default="synth")
    train.add_argument("--root", type=Path, help="dataset folder for --data pvsg")
    train.add_argument("--out", type=Path, required=True)
    train.add_argument("--epochs", type=int, default=1)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--videos", type=int, default=40, help="SynthRoom videos (every fifth is held out)")
    train.add_argument("--frames", type=int, default=160, help="frames per SynthRoom video (10 fps)")
    train.add_argument("--no-window", action="store_true", help="ablation: object-trajectory latents only")
    train.add_argument("--max-objects", type=int, default=5)
    train.add_argument("--footprint", type=int, default=28, help="token footprint in working-size pixels")
    train.add_argument("--pool", type=int, default=4, help="RGB cells per token side in the frozen encoder")
    train.add_argument(
        "--name-weight",
        type=float,
        default=0.0,
        help="auxiliary object-name loss on the object latents (not in the paper; 0 = off)",
    )
    train.add_argument("--lr-scale", type=float, default=20.0)
    train.add_argument("--max-minutes", type=float, default=None, help="stop training after this wall time")
    train.add_argument("--eval-windows", type=int, default=40, help="held-out windows decoded after training")
    export = sub.add_parser("export", help="resampler ONNX + parity, LM weights and settings into a head folder")
    export.add_argument("--run", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    return parser


def _samples(args: argparse.Namespace, clip: Any, split: str) -> list[Any]:
    from vsgg_training.traser.data import pvsg_samples, synth_samples

    window = {"window_frames": WINDOW_FRAMES, "stride": WINDOW_STRIDE}
    if args.data == "synth":
        return synth_samples(args.videos, args.frames, args.seed, clip, split, **window)
    if args.root is None:
        raise SystemExit("--data pvsg needs --root DIR (a folder holding pvsg.json)")
    return pvsg_samples(args.root, "train" if split == "train" else "val", clip, **window)


def train(args: argparse.Namespace) -> dict[str, Any]:
    from vsgg_training.traser.evaluate import evaluate_samples, torch_decoder
    from vsgg_training.traser.sft import SftConfig, build_sft_model, train_sft

    from vsgg_ros.heads.traser_clip import ClipConfig
    from vsgg_ros.vlm.traser_lm import save_lm

    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    clip = ClipConfig(max_objects=args.max_objects, footprint=args.footprint, pool=args.pool)
    train_set, test_set = _samples(args, clip, "train"), _samples(args, clip, "test")
    data_s = time.perf_counter() - t0
    cfg = SftConfig(epochs=args.epochs, seed=args.seed, use_windows=not args.no_window, lr_scale=args.lr_scale,
                    max_minutes=args.max_minutes, name_weight=args.name_weight)  # fmt: skip
    names = sorted({o.name for sample in train_set for o in sample.target.objects})
    model = build_sft_model(clip.feature_dim, cfg, names)
    history = train_sft(model, train_set, cfg)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.resampler.cfg.to_dict(), "state": model.resampler.state_dict()}, out / RESAMPLER)
    save_lm(model.lm, out / "lm")
    settings = {"clip": clip.to_dict(), "use_windows": cfg.use_windows, "vocabulary": "ag",
                "window_frames": WINDOW_FRAMES, "max_new_tokens": 1280}  # fmt: skip
    (out / SETTINGS).write_text(json.dumps(settings, indent=2) + "\n")
    t1 = time.perf_counter()
    metrics = evaluate_samples(torch_decoder(model), test_set[: args.eval_windows]) if args.eval_windows else None
    losses = history["losses"]
    report = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "sft": cfg.to_dict(),
        "data": {"train_windows": len(train_set), "test_windows": len(test_set), "seconds": round(data_s, 1)},
        "train": {"steps": history["steps"], "seconds": round(history["seconds"], 1),
                  "stopped_early": history["stopped_early"],
                  "first_loss": losses[0], "last_100_mean_loss": sum(losses[-100:]) / len(losses[-100:])},
        "eval": metrics,
        "eval_seconds": round(time.perf_counter() - t1, 1),
        "parameters": {"resampler": sum(p.numel() for p in model.resampler.parameters()),
                       "lm": sum(p.numel() for p in model.lm.parameters())},
    }  # fmt: skip
    (out / "train.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def load_resampler(run: Path) -> Any:
    from vsgg_training.traser.model import DualResampler, ResamplerConfig

    path = run / RESAMPLER
    if not path.is_file():
        raise FileNotFoundError(f"{run} is not a TraSeR run folder (no {RESAMPLER})")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = DualResampler(ResamplerConfig.from_dict(saved["config"]))
    model.load_state_dict(saved["state"])
    return model.eval()


def export(args: argparse.Namespace) -> dict[str, Any]:
    from vsgg_training.traser.export import export_model

    run: Path = args.run
    result = export_model(load_resampler(run), args.out)
    shutil.copytree(run / "lm", args.out / "lm", dirs_exist_ok=True)
    shutil.copy2(run / SETTINGS, args.out / SETTINGS)
    return result


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = _parser().parse_args(argv)
    report = train(args) if args.command == "train" else export(args)
    print(json.dumps(report if args.command == "export" else {k: report[k] for k in ("data", "train", "eval")},
                     indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
