"""Train VOST-SGG on SynthRoom (CPU): clips of a target and its reference frames, set loss per frame.

Each clip's frames go through ``frame_layers`` together; frame j then aggregates over the
pre-aggregation triplets of the frames before it in the clip, exactly what the streaming export
receives from its reference buffer; earlier decoder depths get auxiliary losses. Some clips are shown
without cues (cue dropout, :func:`training_cues`). Checkpoint ``model.pt`` (state, optimiser, configs, epoch) is
written after every epoch, so ``--resume`` continues a run (only ``--epochs`` may change;
resuming at the epoch already reached just re-evaluates).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from vsgg_training.vost.config import TrainConfig
from vsgg_training.vost.data import GtPair, VideoData, load_videos, noisy_cues, stack_cues, targets
from vsgg_training.vost.evaluate import evaluate_model
from vsgg_training.vost.losses import deep_set_loss
from vsgg_training.vost.model import VostSGG

from vsgg_ros.heads.vost_cues import Cue
from vsgg_ros.heads.vost_encoders import HashedTextEncoder, RegionColorEncoder, encode_cues
from vsgg_ros.synth import world_specs


def reference_stack(tri: Tensor, valid: Tensor, refs: int) -> tuple[Tensor, Tensor]:
    """[B, L, N, D] clip triplets -> per frame j the R earlier ones, oldest first: [B*L, R, N, D], [B*L, R]."""
    b, length, n, d = tri.shape
    ref_tri = tri.new_zeros(b, length, refs, n, d)
    ref_valid = valid.new_zeros(b, length, refs)
    for j in range(length):
        for r in range(refs):
            src = j - refs + r
            if src >= 0:
                ref_tri[:, j, r] = tri[:, src]
                ref_valid[:, j, r] = valid[:, src]
    return ref_tri.reshape(b * length, refs, n, d), ref_valid.reshape(b * length, refs)


def training_cues(pairs: list[GtPair], rng: np.random.Generator, cfg: TrainConfig, clip_has_cues: bool) -> list[Cue]:
    """The noisy stand-in, minus cue dropout: none at all for a cue-free clip, else each cue kept w.p. 1 - cue_drop.

    The paper always trains with VLM cues; we also train without, so one model serves frames the VLM
    has not answered (streaming at its own rate, or no VLM) instead of collapsing there.
    """
    if not clip_has_cues:
        return []
    return [c for c in noisy_cues(pairs, rng, cfg.noise) if rng.random() >= cfg.cue_drop]


def clip_batch(videos: list[VideoData], starts: list[tuple[int, int]], cfg: TrainConfig, rng: np.random.Generator,
               text: HashedTextEncoder, visual: RegionColorEncoder) -> dict[str, Any]:  # fmt: skip
    mcfg = cfg.model()
    length = mcfg.ref_frames + 1
    images, cues, tgts, valid = [], [], [], []
    for v, t in starts:
        video = videos[v]
        has_cues = bool(rng.random() >= cfg.no_cue_clips)
        for j in range(length):
            f = t - length + 1 + j
            ok = f >= 0
            f = max(f, 0)
            images.append(video.model_images[f])
            frame_cue = training_cues(video.pairs[f], rng, cfg, has_cues)
            cues.append(encode_cues(frame_cue, video.images[f], text, visual))
            h, w = video.images.shape[1:3]
            tgts.append(targets(video.pairs[f], w, h))
            valid.append(float(ok))
    return {
        "image": torch.from_numpy(np.stack(images)),
        "cues": stack_cues(cues, mcfg.queries),
        "targets": tgts,
        "valid": torch.tensor(valid).reshape(len(starts), length),
    }


def forward_batch(model: VostSGG, batch: dict[str, Any], aux: bool = False) -> list[dict[str, Tensor]]:
    """Head outputs, final (after temporal aggregation) last; with ``aux`` the earlier decoder depths first."""
    c = batch["cues"]
    layers = model.frame_layers(batch["image"], c["text"], c["visual"], c["boxes"], c["valid"])
    tri = layers[-1]
    b, length = batch["valid"].shape
    ref_tri, ref_valid = reference_stack(tri.reshape(b, length, *tri.shape[1:]), batch["valid"], model.cfg.ref_frames)
    refs = model.references(c["boxes"], c["valid"])
    final = model.heads(model.aggregate(tri, ref_tri, ref_valid), refs)
    return [*(model.heads(t, refs) for t in layers[:-1] if aux), final]


def train(cfg: TrainConfig, out: Path, resume: bool = False, log: Any = print, threads: int = 1) -> dict[str, Any]:
    """Train (or resume) into ``out``; one torch thread by default: on a shared 2-core box it is ~5x faster."""
    torch.set_num_threads(threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    out.mkdir(parents=True, exist_ok=True)
    mcfg = cfg.model()
    t0 = time.perf_counter()
    train_videos = load_videos(
        world_specs(cfg.train_videos, cfg.frames, cfg.seed, difficulty=cfg.difficulty), mcfg.image_size
    )
    test_videos = load_videos(
        world_specs(cfg.test_videos, cfg.frames, cfg.test_seed, difficulty=cfg.difficulty), mcfg.image_size
    )
    log(f"rendered {len(train_videos)} + {len(test_videos)} videos in {time.perf_counter() - t0:.1f}s")
    model = VostSGG(mcfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start_epoch = 0
    ckpt = out / "model.pt"
    if resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if {**state["config"], "epochs": cfg.epochs} != cfg.to_dict():
            raise ValueError(f"{ckpt} was trained with a different config; drop --resume or match it")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start_epoch = int(state["epoch"])
        rng = np.random.default_rng([cfg.seed, start_epoch])
    text, visual = HashedTextEncoder(mcfg.text_dim, cfg.seed), RegionColorEncoder()
    if visual.dim != mcfg.visual_dim:
        raise ValueError(f"visual encoder gives {visual.dim}-d vectors, model expects {mcfg.visual_dim}")
    clips = [(v, t) for v, video in enumerate(train_videos) if any(video.pairs) for t in range(len(video.pairs))]
    history = []
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        for group in opt.param_groups:
            group["lr"] = cfg.lr * (0.1 if cfg.lr_drop and epoch >= cfg.lr_drop else 1.0)
        order = rng.permutation(len(clips))
        sums: dict[str, float] = {}
        for i in range(0, len(order), cfg.batch):
            batch = clip_batch(train_videos, [clips[k] for k in order[i : i + cfg.batch]], cfg, rng, text, visual)
            losses = deep_set_loss(forward_batch(model, batch, cfg.loss.aux), batch["targets"], cfg.loss)
            opt.zero_grad()
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
        steps = max(1, -(-len(order) // cfg.batch))
        row = {
            "epoch": epoch + 1,
            **{k: round(v / steps, 4) for k, v in sums.items()},
            "wall_s": round(time.perf_counter() - t0, 1),
        }
        history.append(row)
        log(json.dumps(row))
        torch.save(
            {
                "config": cfg.to_dict(),
                "model_config": dataclasses.asdict(mcfg),
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "epoch": epoch + 1,
            },
            ckpt,
        )
    metrics = evaluate_model(model, test_videos, cfg, text, visual)
    result = {
        "config": cfg.to_dict(),
        "history": history,
        "metrics": metrics,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
