"""Train the tiny SynthRoom detector from scratch on the CPU (a few minutes) and save a checkpoint.

``python -m vsgg_training.detector.train --out WORK [--steps N] [--seed S]`` writes ``WORK/detector.pt``;
``python -m vsgg_training.detector.build`` turns it into ``models/detector-synth/``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from vsgg_training.detector.data import BoxSet, centernet_targets, load_boxset, render, save_boxset
from vsgg_training.detector.loss import detection_loss
from vsgg_training.detector.model import STRIDE, TinyCenterNet

from vsgg_ros.synth import world_specs
from vsgg_ros.vocab import load_vocabulary

SIZE = (320, 240)
TRAIN_WORLDS = ((1, 0.3), (2, 0.5), (3, 0.8))  # (seed, difficulty); the held-out world uses another seed
SMALL_AREA = 150.0  # px^2 at 320x240: the hand-held classes (cup, phone, medicine, sandwich) sit below it


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 900
    batch: int = 12
    lr: float = 2e-3
    weight_decay: float = 1e-4
    videos_per_world: int = 40
    frames_per_video: int = 30
    every: int = 2
    width: int = 24
    seed: int = 0
    threads: int = 2
    regress_radius: int = 1
    regress_region: float = 0.0
    size_weight: float = 2.0
    small_boost: float = 0.0
    giou_weight: float = 0.0
    balance: bool = False


def training_set(cfg: TrainConfig, cache: Path | None = None) -> BoxSet:
    """The rendered training frames; ``cache`` (an .npz) skips rendering when it holds the same selection."""
    key = f"{TRAIN_WORLDS}|{cfg.videos_per_world}|{cfg.frames_per_video}|{cfg.every}|{SIZE}"
    if cache is not None and cache.is_file():
        data = load_boxset(cache)
        if data[1] == key:
            return data[0]
    specs = [
        spec
        for seed, difficulty in TRAIN_WORLDS
        for spec in world_specs(cfg.videos_per_world, cfg.frames_per_video, seed, SIZE, difficulty)
    ]
    boxset = render(specs, cfg.every)
    if cache is not None:
        save_boxset(cache, boxset, key)
    return boxset


def sampling_weights(data: BoxSet, boost: float, small_area: float = SMALL_AREA) -> np.ndarray:
    """Per-frame sampling probabilities: 1 + ``boost`` x (number of boxes under ``small_area`` px^2).

    Small objects (cups, phones, dishes: a few pixels) are rare per frame and the ones a person handles,
    so frames holding them are drawn more often when ``boost`` > 0.
    """
    counts = np.array([int((((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])) < small_area).sum()) for b in data.boxes])
    weights = 1.0 + boost * counts
    return weights / weights.sum()


def batch_tensors(
    data: BoxSet,
    index: np.ndarray,
    rng: np.random.Generator,
    num_classes: int,
    radius: int = 1,
    region: float = 0.0,
    balance: bool = False,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Images in [0, 1] NCHW with random horizontal flips, and their CenterNet targets."""
    images, targets = [], []
    height, width = data.images.shape[1:3]
    for i in index:
        image, boxes = data.images[i], data.boxes[i].copy()
        if rng.random() < 0.5:
            image = image[:, ::-1]
            boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
        images.append(np.ascontiguousarray(image))
        targets.append(centernet_targets(boxes, num_classes, height, width, STRIDE, radius, region, balance))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div_(255.0)
    return x, tuple(torch.from_numpy(np.stack(t)) for t in zip(*targets, strict=True))


def train(cfg: TrainConfig, out: Path, init: Path | None = None, cache: Path | None = None) -> Path:
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    num_classes = len(load_vocabulary("ag").objects)
    t0 = time.perf_counter()
    data = training_set(cfg, cache)
    probabilities = sampling_weights(data, cfg.small_boost)
    render_s = time.perf_counter() - t0
    print(f"rendered {len(data.boxes)} frames in {render_s:.0f} s", flush=True)
    net = TinyCenterNet(num_classes, cfg.width)
    previous = None
    if init is not None:
        state = torch.load(init, map_location="cpu", weights_only=False)
        net.load_state_dict(state["state_dict"])
        previous = state["meta"]
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.steps, pct_start=0.05)
    net.train()
    for step in range(cfg.steps):
        index = rng.choice(len(data.boxes), cfg.batch, p=probabilities)
        x, targets = batch_tensors(data, index, rng, num_classes, cfg.regress_radius, cfg.regress_region, cfg.balance)
        loss, parts = detection_loss(net(x), targets, cfg.size_weight, cfg.giou_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == cfg.steps - 1:
            elapsed = time.perf_counter() - t0
            print(f"step {step} loss {float(loss.detach()):.3f} {json.dumps(parts)} {elapsed:.0f}s", flush=True)
        if (step + 1) % 100 == 0 or step == cfg.steps - 1:
            path = _save(net, num_classes, cfg, step + 1, time.perf_counter() - t0, out, previous)
    print(f"saved {path}", flush=True)
    return path


def _save(
    net: TinyCenterNet,
    num_classes: int,
    cfg: TrainConfig,
    steps_done: int,
    wall_s: float,
    out: Path,
    previous: dict | None,
) -> Path:
    """Checkpoint (overwritten every 100 steps, so a run cut short on a busy machine still leaves one).

    ``previous`` is the meta of the checkpoint this run started from, kept so the card can show the chain.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / "detector.pt"
    meta = {
        "config": asdict(cfg),
        "steps_done": steps_done,
        "train_worlds": TRAIN_WORLDS,
        "wall_s": round(wall_s, 1),
        "init_from": previous,
    }
    torch.save({"state_dict": net.state_dict(), "num_classes": num_classes, "meta": meta}, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="work folder for the checkpoint")
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--batch", type=int, default=TrainConfig.batch)
    parser.add_argument("--videos-per-world", type=int, default=TrainConfig.videos_per_world)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--regress-radius", type=int, default=TrainConfig.regress_radius)
    parser.add_argument("--regress-region", type=float, default=TrainConfig.regress_region)
    parser.add_argument("--size-weight", type=float, default=TrainConfig.size_weight)
    parser.add_argument("--small-boost", type=float, default=TrainConfig.small_boost)
    parser.add_argument("--giou-weight", type=float, default=TrainConfig.giou_weight, help="0 = no GIoU term")
    parser.add_argument("--balance", action="store_true", help="per-object regression weights log(1 + area) (TTFNet)")
    parser.add_argument("--threads", type=int, default=TrainConfig.threads)
    parser.add_argument("--cache", type=Path, help="npz of rendered training frames, written on first use")
    parser.add_argument("--init", type=Path, help="continue from this checkpoint (weights only; new schedule)")
    args = parser.parse_args(argv)
    cfg = TrainConfig(
        steps=args.steps,
        batch=args.batch,
        videos_per_world=args.videos_per_world,
        seed=args.seed,
        lr=args.lr,
        regress_radius=args.regress_radius,
        regress_region=args.regress_region,
        size_weight=args.size_weight,
        small_boost=args.small_boost,
        giou_weight=args.giou_weight,
        balance=args.balance,
        threads=args.threads,
    )
    train(cfg, args.out, args.init, args.cache)


if __name__ == "__main__":
    main()
