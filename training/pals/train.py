"""Training: backbone pre-training (RoI classification, the detector-feature stand-in), feature caching,
relation training with L_rel + lambda_PA L_PA + lambda_PAM L_PAM, checkpoints and resume, evaluation."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align
from tqdm import tqdm
from vsgg_training.pals.config import NUM_CLASSES, TrainConfig, model_for
from vsgg_training.pals.data import (
    FrameObjects,
    VideoData,
    _label_vectors,
    full_targets,
    load_videos,
    truth_view,
    weak_targets,
)
from vsgg_training.pals.losses import balanced_pa_loss, pam_ranking_loss, relation_loss
from vsgg_training.pals.model import GEOMETRY, NEG, STRIDE, PalsRelationModel, box_geometry, to_unit
from vsgg_training.pals.ram import GeometricGrounding

from vsgg_ros.synth import world_specs


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pretrain_backbone(
    model: PalsRelationModel, videos: list[VideoData], epochs: int, seed: int, relation_weight: float = 0.0
) -> None:
    """Train the CNN as an RoI classifier on truth boxes: what a detector's backbone would have learnt.

    ``relation_weight`` > 0 adds the relation-aware objective (``RelationProbe``: the truth pairs' AG
    labels from their RoI features) so the frozen maps also keep gaze and contact cues.
    Afterwards the backbone is frozen (STTran keeps its detector's features fixed)."""
    head = torch.nn.Linear(model.cfg.channels * model.cfg.roi**2, NUM_CLASSES)
    params = list(model.backbone.parameters()) + list(head.parameters())
    probe = RelationProbe(model.cfg.channels, model.cfg.roi) if relation_weight > 0 else None
    if probe is not None:
        params += list(probe.parameters())
    opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    model.backbone.train()
    for epoch in range(epochs):
        order = rng.permutation(len(videos))
        bar = tqdm(order, desc=f"backbone {epoch + 1}/{epochs}", unit="video", leave=False)
        for v in bar:
            video = videos[v]
            frames = rng.choice(len(video.images), size=min(6, len(video.images)), replace=False)
            feat = model.backbone(torch.from_numpy(video.images[frames]))
            rois, labels = [], []
            for b, f in enumerate(frames):
                gt = video.gt_objects[f]
                jitter = rng.normal(0, 0.05, gt.boxes.shape) * np.repeat(gt.boxes[:, 2:] - gt.boxes[:, :2], 2, 1)
                for box in (gt.boxes, gt.boxes + jitter):
                    rois.append(np.concatenate([np.full((len(box), 1), b), box], 1))
                    labels.append(gt.labels)
            r = torch.from_numpy(np.concatenate(rois).astype(np.float32))
            pooled = roi_align(feat, r, (model.cfg.roi, model.cfg.roi), 1.0 / STRIDE, 2, True).flatten(1)
            loss = F.cross_entropy(head(pooled), torch.from_numpy(np.concatenate(labels)))
            if probe is not None:
                loss = loss + relation_weight * probe.loss(feat, [video.truth[f] for f in frames])
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    model.backbone.eval()
    for p in model.backbone.parameters():
        p.requires_grad_(False)


class RelationProbe(torch.nn.Module):
    """Auxiliary pair classifier used only while pre-training the backbone: subject, object and union RoI
    features plus box geometry -> the AG labels of the truth pairs (relation-aware backbone objective)."""

    def __init__(self, channels: int, roi: int) -> None:
        super().__init__()
        self.roi = roi
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(3 * channels * roi * roi + GEOMETRY, 256), torch.nn.ReLU(), torch.nn.Linear(256, 26)
        )

    def loss(self, feat: Tensor, graphs: list[Any]) -> Tensor:
        """L_rel over every truth pair with labels in ``graphs`` (one graph per row of ``feat``)."""
        rows, sub, obj, att, spa, con = [], [], [], [], [], []
        for b, graph in enumerate(graphs):
            gt = FrameObjects.from_graph(graph)
            for s, o in gt.pairs():
                labels = _label_vectors(graph, int(gt.tracks[s]), int(gt.tracks[o]))
                if labels is not None:
                    rows.append(b)
                    sub.append(gt.boxes[s])
                    obj.append(gt.boxes[o])
                    for dst, x in zip((att, spa, con), labels, strict=True):
                        dst.append(x)
        if not rows:
            return feat.sum() * 0.0
        idx = torch.tensor(rows, dtype=torch.float32)[:, None]
        sb, ob = torch.from_numpy(np.stack(sub)), torch.from_numpy(np.stack(obj))
        ub = torch.cat([torch.minimum(sb[:, :2], ob[:, :2]), torch.maximum(sb[:, 2:], ob[:, 2:])], 1)
        pooled = [
            roi_align(feat, torch.cat([idx, b], 1), (self.roi, self.roi), 1.0 / STRIDE, 2, True).flatten(1)
            for b in (sb, ob, ub)
        ]
        logits = self.mlp(torch.cat([*pooled, box_geometry(sb, ob)], 1))
        split = {"attention": logits[:, :3], "spatial": logits[:, 3:9], "contacting": logits[:, 9:]}
        tensors = [torch.from_numpy(np.stack(x)) for x in (att, spa, con)]
        return relation_loss(split, *tensors)


@torch.no_grad()
def cache_features(model: PalsRelationModel, videos: list[VideoData]) -> dict[str, Tensor]:
    """Frozen-backbone feature maps per video (float16 to keep memory small)."""
    model.backbone.eval()
    out = {}
    for video in tqdm(videos, desc="features", unit="video", leave=False):
        maps = [model.backbone(torch.from_numpy(video.images[i : i + 10])) for i in range(0, len(video.images), 10)]
        out[video.video_id] = torch.cat(maps).to(torch.float16)
    return out


def history(objects: list[FrameObjects], pairs: list[np.ndarray], window: int) -> np.ndarray:
    """For each pair (frames concatenated), the flat indices of the same track pair in the previous
    ``window - 1`` frames (oldest first), -1 where it was absent."""
    keys = [[(int(o.tracks[s]), int(o.tracks[b])) for s, b in p] for o, p in zip(objects, pairs, strict=True)]
    offsets = np.cumsum([0] + [len(p) for p in pairs])
    index = [{k: offsets[f] + i for i, k in enumerate(ks)} for f, ks in enumerate(keys)]
    hist = np.full((offsets[-1], max(window - 1, 1)), -1, np.int64)
    for f, ks in enumerate(keys):
        for i, k in enumerate(ks):
            for w in range(1, window):
                if f - w >= 0:
                    hist[offsets[f] + i, window - 1 - w] = index[f - w].get(k, -1)
    return hist


def forward_clip(
    model: PalsRelationModel,
    feats: Tensor,
    objects: list[FrameObjects],
    pairs: list[np.ndarray],
    images: np.ndarray | None = None,
) -> tuple[dict[str, Tensor], Tensor, np.ndarray]:
    """Every frame of a clip at once, with the same causal semantics as the streaming graph.

    ``images`` (uint8 [F, H, W, 3], the same frames as ``feats``) only for a head-crop model.
    Returns raw head outputs for all pairs (frames concatenated), the final P, and per-frame offsets."""
    counts = [len(p) for p in pairs]
    offsets = np.cumsum([0, *counts])
    obj_off = np.cumsum([0] + [len(o.labels) for o in objects])
    rois = np.concatenate([np.concatenate([np.full((len(o.labels), 1), f), o.boxes], 1) for f, o in enumerate(objects)])
    labels = np.concatenate([o.labels for o in objects])
    gpairs = np.concatenate([p + obj_off[f] for f, p in enumerate(pairs)]).astype(np.int64)
    image, subjects = None, None
    if model.cfg.head_crop > 0 and images is not None:
        image = to_unit(torch.from_numpy(images))
        uniq, inverse = np.unique(gpairs[:, 0], return_inverse=True)
        subjects = (torch.from_numpy(uniq), torch.from_numpy(inverse.reshape(-1)))
    r0, p0 = model.init_pairs(
        feats.to(torch.float32),
        torch.from_numpy(rois.astype(np.float32)),
        torch.from_numpy(labels),
        torch.from_numpy(gpairs),
        image,
        subjects,
    )
    n_frames, pmax = len(pairs), max(counts)
    frame_of = np.repeat(np.arange(n_frames), counts)
    slot = np.arange(offsets[-1]) - offsets[frame_of]
    fi, si = torch.from_numpy(frame_of), torch.from_numpy(slot)
    rp = r0.new_zeros(n_frames, pmax, r0.shape[1]).index_put((fi, si), r0)
    pp = p0.new_zeros(n_frames, pmax, p0.shape[1]).index_put((fi, si), p0)
    valid = torch.zeros(n_frames, pmax).index_put((fi, si), torch.ones(len(fi)))
    rs, ps = model.spatial_step(rp, pp, (1.0 - valid) * NEG)
    r_flat, p_flat = rs[fi, si], ps[fi, si]
    hist = torch.from_numpy(history(objects, pairs, model.cfg.window))
    ok = (hist >= 0).to(torch.float32)
    past_r, past_p = r_flat[hist.clamp(min=0)], p_flat[hist.clamp(min=0)]
    rt, pt = model.temporal_step(r_flat, p_flat, past_r, past_p, ok)
    return model.decode(rt, pt), pt, offsets


def clip_loss(model: PalsRelationModel, out: dict[str, Tensor], p_final: Tensor, video: VideoData,
              offsets: np.ndarray, cfg: TrainConfig) -> dict[str, Tensor]:  # fmt: skip
    t = video.targets
    matched = torch.from_numpy(np.concatenate([x.matched for x in t]))
    unmatched = torch.from_numpy(np.concatenate([x.unmatched for x in t]))
    weight = torch.from_numpy(np.concatenate([x.weight for x in t]))
    sel = torch.nonzero(matched).flatten()
    logits = {k: v[sel] for k, v in out.items() if k != "affinity"}
    cat = lambda name: torch.from_numpy(np.concatenate([getattr(x, name) for x in t]))[sel]  # noqa: E731
    rel = relation_loss(logits, cat("attention"), cat("spatial"), cat("contacting"), cfg.group_weights)
    losses = {"rel": rel}
    zero = out["affinity"].sum() * 0.0
    losses["pa"], losses["pam"] = zero, zero
    if model.cfg.use_pals:
        losses["pa"] = balanced_pa_loss(out["affinity"], matched, unmatched, weight)
    if model.cfg.use_pam:
        terms = []
        for f in range(len(t)):
            a, b = int(offsets[f]), int(offsets[f + 1])
            if t[f].matched.sum() >= 2 and t[f].unmatched.any():
                w = float(t[f].weight.max())
                terms.append(w * pam_ranking_loss(p_final[a:b], matched[a:b], unmatched[a:b], cfg.pam_margin))
        if terms:
            losses["pam"] = torch.stack(terms).mean()
    losses["total"] = losses["rel"] + cfg.lambda_pa * losses["pa"] + cfg.lambda_pam * losses["pam"]
    return losses


def load_action_genome(cfg: TrainConfig) -> tuple[list[VideoData], list[VideoData]]:
    """AG's train split gives the training videos and, after them, the validation block; its test split the test
    videos. Each split is read in AG's order, ``frames`` annotated frames a video at most."""
    from vsgg_training.pals.ag import load_ag_videos

    pool = load_ag_videos(cfg.root, "train", cfg.seed, cfg.train_videos + cfg.val_videos, cfg.frames)
    if len(pool) <= cfg.train_videos and cfg.val_videos:
        raise ValueError(f"{cfg.root}: {len(pool)} train-split videos leave none for --val-videos {cfg.val_videos}")
    test = load_ag_videos(cfg.root, "test", cfg.test_seed + 1, cfg.test_videos, cfg.frames)
    if not pool or not test:
        raise ValueError(f"{cfg.root}: Action Genome train split has {len(pool)} videos, test split {len(test)}")
    return pool[: cfg.train_videos], test + pool[cfg.train_videos :]


def load_synthroom(cfg: TrainConfig) -> tuple[list[VideoData], list[VideoData]]:
    """Training videos (then ``extra_videos`` after the validation block) of the training seed; test videos of
    the test seed followed by the validation block."""
    n_specs = cfg.train_videos + (cfg.val_videos + cfg.extra_videos if cfg.extra_videos else 0)
    specs = world_specs(n_specs, cfg.frames, cfg.seed, difficulty=cfg.difficulty, annotation=cfg.annotation)
    extra = specs[cfg.train_videos + cfg.val_videos :]  # after the validation block: validation stays the same
    train = load_videos(specs[: cfg.train_videos] + extra, cfg.seed)
    test = load_videos(
        world_specs(cfg.test_videos, cfg.frames, cfg.test_seed, difficulty=cfg.difficulty, annotation=cfg.annotation),
        cfg.test_seed + 1,
    )
    if cfg.val_videos > 0:
        specs = world_specs(cfg.train_videos + cfg.val_videos, cfg.frames, cfg.seed, difficulty=cfg.difficulty,
                            annotation=cfg.annotation)  # fmt: skip
        test = test + load_videos(specs[cfg.train_videos :], cfg.seed + 2)
    return train, test


def prepare(cfg: TrainConfig) -> tuple[list[VideoData], list[VideoData]]:
    """Training videos with their targets, and the test videos followed by the validation ones."""
    train, test = load_action_genome(cfg) if cfg.data == "ag" else load_synthroom(cfg)
    grounding = GeometricGrounding() if cfg.uses_ram else None
    for v in tqdm(train, desc="targets", unit="video", leave=False):
        if cfg.supervision == "full":
            full_targets(v)
        else:
            weak_targets(v, grounding, cfg.tau_r, cfg.tau_gs, cfg.distance_alpha)
    return train, test


def train(cfg: TrainConfig, out: Path, resume: bool = False, backbone: Path | None = None) -> dict[str, Any]:
    """Run (or resume) one training; returns the final evaluation report."""
    from vsgg_training.pals.evaluate import evaluate_model, group_accuracy

    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    seed_all(cfg.seed + cfg.run_seed)
    model = PalsRelationModel(model_for(cfg.ablation, cfg.model) if cfg.supervision == "weak" else cfg.model)
    started = time.monotonic()
    train_videos, test_videos = prepare(cfg)
    test_videos, val_videos = test_videos[: cfg.test_videos], test_videos[cfg.test_videos :]
    if backbone is not None and backbone.exists():
        model.backbone.load_state_dict(torch.load(backbone, weights_only=True))
        model.backbone.eval().requires_grad_(False)
    else:
        pretrain_backbone(model, train_videos, cfg.backbone_epochs, cfg.seed, cfg.backbone_relation)
        if backbone is not None:
            backbone.parent.mkdir(parents=True, exist_ok=True)
            torch.save(model.backbone.state_dict(), backbone)
    feats = cache_features(model, train_videos + test_videos + val_videos)
    if cfg.model.head_crop == 0:  # the head crop reads the frames while training
        for v in train_videos:
            v.images = v.images[:0]
    views = [truth_view(v) for v in train_videos] if cfg.truth_pairs > 0 and cfg.supervision == "full" else []
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    start_epoch, elapsed_before = 0, 0.0
    if resume and ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        start_epoch, elapsed_before = state["epoch"], state.get("train_seconds", 0.0)
    rng = np.random.default_rng(cfg.seed + cfg.run_seed + start_epoch)
    log = (out / "metrics.jsonl").open("a")
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        model.backbone.eval()
        sums: dict[str, float] = {}
        bar = tqdm(rng.permutation(len(train_videos)), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="video")
        for i in bar:
            video = views[i] if views and rng.random() < cfg.truth_pairs else train_videos[i]
            pairs = [x.pairs for x in video.targets]
            if not any(x.matched.any() for x in video.targets) or min(len(p) for p in pairs) == 0:
                keep = [f for f, p in enumerate(pairs) if len(p)]
                if not keep or not any(video.targets[f].matched.any() for f in keep):
                    continue
            out_, p_final, offsets = _forward_video(model, feats[video.video_id], video)
            losses = clip_loss(model, out_, p_final, _nonempty(video), offsets, cfg)
            opt.zero_grad()
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            bar.set_postfix(loss=f"{float(losses['total'].detach()):.3f}")
        sched.step()
        record = {"epoch": epoch + 1, **{f"loss_{k}": v / len(train_videos) for k, v in sums.items()},
                  "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
        log.write(json.dumps(record) + "\n")
        log.flush()
        torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch + 1, "config": cfg.to_dict(),
                    "train_seconds": elapsed_before + time.monotonic() - started}, ckpt_path)  # fmt: skip
    model.eval()
    torch.save({"model": model.state_dict(), "config": cfg.to_dict()}, out / "model.pt")
    report = {
        "config": cfg.to_dict(),
        "train_seconds": round(elapsed_before + time.monotonic() - started, 1),
        "eval": evaluate_model(model, test_videos, feats),
        "pseudo_labels": _label_stats(train_videos),
    }
    if val_videos:
        report["val"] = {**evaluate_model(model, val_videos, feats), "groups": group_accuracy(model, val_videos, feats)}
    log.write(json.dumps({"final": report}) + "\n")
    log.close()
    (out / "report.json").write_text(json.dumps(report, indent=2))
    return report


def _nonempty(video: VideoData) -> VideoData:
    keep = [f for f, t in enumerate(video.targets) if len(t.pairs)]
    return VideoData(video.video_id, video.images, [video.truth[f] for f in keep],
                     [video.detections[f] for f in keep], [video.gt_objects[f] for f in keep],
                     [video.targets[f] for f in keep])  # fmt: skip


def _forward_video(
    model: PalsRelationModel, feats: Tensor, video: VideoData
) -> tuple[dict[str, Tensor], Tensor, np.ndarray]:
    """Frames without pairs are skipped: they give the temporal window nothing to attend to."""
    keep = [f for f, t in enumerate(video.targets) if len(t.pairs)]
    images = video.images[keep] if model.cfg.head_crop > 0 and len(video.images) else None  # only the crop reads them
    return forward_clip(
        model, feats[keep], [video.detections[f] for f in keep], [video.targets[f].pairs for f in keep], images
    )


def _label_stats(videos: list[VideoData]) -> dict[str, int]:
    stats: dict[str, int] = {}
    for v in videos:
        for k, n in v.stats.items():
            stats[k] = stats.get(k, 0) + n
        stats["matched_pairs"] = stats.get("matched_pairs", 0) + int(sum(t.matched.sum() for t in v.targets))
        stats["unmatched_pairs"] = stats.get("unmatched_pairs", 0) + int(sum(t.unmatched.sum() for t in v.targets))
    return stats
