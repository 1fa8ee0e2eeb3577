"""Two-stage SAGE training on SynthRoom base predicates and VidVRD-protocol evaluation on all/novel splits.

Stage 1 trains the visual side (Psi_st) against the frozen class embeddings W_clip; stage 2 freezes it and
trains the prompt side (context tokens, TKE, prompted text encoder) with L_rel + gamma L_kg. Stage 2 runs
once per prompt strategy from the same stage-1 weights, so the class-aware / instance-conditioned
comparison differs in nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vsgg_training.sage.config import TrainConfig
from vsgg_training.sage.data import VOCAB, SentenceTable, VideoTensors, load_videos
from vsgg_training.sage.losses import consistency_loss, focal_loss, object_loss, total_loss
from vsgg_training.sage.model import FrozenVisualEncoder, PromptTextEncoder, SageVisual, relation_scores

from vsgg_ros.eval.video import instances_from_graphs
from vsgg_ros.eval.vidvrd import evaluate_vidvrd
from vsgg_ros.graph import Relation, SceneGraph
from vsgg_ros.heads.sage_text import CachedEncoder, class_inputs, make_encoder, readable
from vsgg_ros.synth import world_specs

Classifier = Callable[[torch.Tensor], torch.Tensor]
TOP_PER_PAIR = 3


def tensors(d: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in d.items()}


def forward(visual: SageVisual, v: VideoTensors, teacher: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """V_vr, interaction, subject/object embeddings of every pair of a video (teacher-forced history)."""
    spatial = visual.spatial_stage(v.regions, v.history, teacher[v.teacher])
    past = spatial[v.past.clamp(min=0)]
    streams = visual.temporal_stage(spatial, past, (v.past >= 0).to(torch.float32))
    return visual.heads(streams, spatial)


@dataclasses.dataclass
class Setup:
    cfg: TrainConfig
    encoder: CachedEncoder
    train: list[VideoTensors]
    test: list[VideoTensors]
    teacher: torch.Tensor
    objects: torch.Tensor
    val: list[VideoTensors] = dataclasses.field(default_factory=list)

    def classes(self, names: Sequence[str]) -> dict[str, torch.Tensor]:
        return tensors(class_inputs(names, self.encoder, self.cfg.model.max_words))


def prepare(cfg: TrainConfig, log: Callable[[str], None] = print) -> Setup:
    torch.manual_seed(cfg.seed)
    encoder = CachedEncoder(make_encoder(cfg.encoder), capacity=1 << 16)
    frozen = FrozenVisualEncoder(cfg.model.channels, seed=cfg.seed).eval()
    table = SentenceTable()
    t0 = time.time()

    def world(videos: int, frames: int, seed: int) -> list[VideoTensors]:
        specs = world_specs(videos, frames, seed, difficulty=cfg.difficulty) if videos else []
        return load_videos(specs, cfg.model, frozen, table)

    train = world(cfg.train_videos, cfg.frames, cfg.seed)
    test = world(cfg.test_videos, cfg.test_frames, cfg.test_seed)
    val = world(cfg.val_videos, cfg.test_frames, cfg.val_seed)
    teacher = torch.from_numpy(encoder.encode(table.texts()))
    objects = torch.from_numpy(encoder.encode([readable(o) for o in VOCAB.objects]))
    log(
        f"data: {len(train)} train / {len(val)} validation / {len(test)} test videos, "
        f"{len(table.ids)} teacher sentences, {time.time() - t0:.0f}s"
    )
    return Setup(cfg, encoder, train, test, teacher, objects, val)


def stage1(s: Setup, log: Callable[[str], None] = print) -> SageVisual:
    cfg, m = s.cfg, s.cfg.model
    visual = SageVisual(m)
    base = s.classes(cfg.base)["w_clip"]
    cols = torch.tensor([VOCAB.predicate_id(p) for p in cfg.base])
    opt = torch.optim.AdamW(visual.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    for epoch in range(cfg.stage1_epochs):
        total = 0.0
        for i in torch.randperm(len(s.train)).tolist():
            v = s.train[i]
            v_vr, inter, objs = forward(visual, v, s.teacher)
            y = v.targets[:, cols]
            l_rel = focal_loss(relation_scores(v_vr, base, m.tau), y)
            l_obj = object_loss(
                objs[:, 0] @ s.objects.t() / m.tau, v.sub_labels, objs[:, 1] @ s.objects.t() / m.tau, v.obj_labels
            )
            l_int = focal_loss(inter, (y.sum(1) > 0).to(torch.float32))
            loss = total_loss(l_rel, l_obj, l_int, torch.zeros(()), cfg.alpha_obj, cfg.beta_int, 0.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        log(f"stage 1 epoch {epoch + 1}/{cfg.stage1_epochs}: loss {total / len(s.train):.4f}")
    return visual.eval().requires_grad_(False)


def sample_pairs(n: int, k: int, gen: torch.Generator) -> torch.Tensor | None:
    """Sorted indices of ``k`` of ``n`` rows drawn without replacement from ``gen``; None (= every row) when
    ``k`` is 0 or at least ``n``. Stage 2 draws from a generator seeded the same way for both prompt
    strategies, so the class-aware and instance-conditioned runs see the same pairs at every step."""
    if k <= 0 or k >= n:
        return None
    return torch.randperm(n, generator=gen)[:k].sort().values


def prompt_scores(
    text: PromptTextEncoder | None, cls_in: dict[str, torch.Tensor], v_vr: torch.Tensor, tau: float, chunk: int
) -> torch.Tensor:
    """[P, C] relation scores of ``v_vr`` against the classifier of ``text`` (None: plain W_clip). The
    instance-conditioned classifier is per pair ([P, C, D] through the text encoder), so it is built ``chunk``
    pairs at a time; every pair's classifier depends on that pair only, so chunking changes no value."""
    words, mask, w_clip = cls_in["words"], cls_in["word_mask"], cls_in["w_clip"]
    if text is None:
        return relation_scores(v_vr, w_clip, tau)
    if text.prompt == "class":
        return relation_scores(v_vr, text(words, mask, w_clip), tau)
    parts = [
        relation_scores(v_vr[i : i + chunk], text.instance(words, mask, w_clip, v_vr[i : i + chunk]), tau)
        for i in range(0, v_vr.shape[0], chunk)
    ]
    return torch.cat(parts) if parts else v_vr.new_zeros((0, w_clip.shape[0]))


def stage2(
    s: Setup, visual: SageVisual, prompt: str, log: Callable[[str], None] = print
) -> tuple[PromptTextEncoder, list[dict[str, float]]]:
    """Prompt-side training; returns the encoder and per epoch the train loss and the validation L_rel on base
    predicates (over a fixed ``stage2_pairs`` sample of each validation video)."""
    cfg, m = s.cfg, s.cfg.model
    torch.manual_seed(cfg.seed + 1)
    text = PromptTextEncoder(m, prompt)
    base = s.classes(cfg.base)
    cols = torch.tensor([VOCAB.predicate_id(p) for p in cfg.base])
    with torch.no_grad():
        feats = [forward(visual, v, s.teacher)[0] for v in s.train]
        val_gen = torch.Generator().manual_seed(cfg.seed + 3)
        val = []
        for v in s.val:
            v_vr = forward(visual, v, s.teacher)[0]
            idx = sample_pairs(len(v_vr), cfg.stage2_pairs, val_gen)
            y = v.targets[:, cols]
            val.append((v_vr, y) if idx is None else (v_vr[idx], y[idx]))
    gen = torch.Generator().manual_seed(cfg.seed + 2)
    opt = torch.optim.AdamW(text.parameters(), lr=cfg.stage2_lr, weight_decay=cfg.weight_decay)

    def val_l_rel() -> dict[str, float]:
        with torch.no_grad():
            losses = [float(focal_loss(prompt_scores(text, base, x, m.tau, cfg.eval_chunk), y)) for x, y in val]
        return {"val_l_rel": round(float(np.mean(losses)), 5)} if losses else {}

    curve = [{"epoch": 0, **val_l_rel()}]  # epoch 0: the untrained encoder, i.e. the plain W_clip classifier
    for epoch in range(cfg.stage2_epochs):
        total = 0.0
        text.train()
        for i in torch.randperm(len(s.train)).tolist():
            v_vr, y = feats[i], s.train[i].targets[:, cols]
            idx = sample_pairs(len(v_vr), cfg.stage2_pairs, gen)
            if idx is not None:
                v_vr, y = v_vr[idx], y[idx]
            if prompt == "class":
                cls = text(base["words"], base["word_mask"], base["w_clip"])
                l_kg = consistency_loss(cls, base["w_clip"])
            else:
                cls = text.instance(base["words"], base["word_mask"], base["w_clip"], v_vr)
                l_kg = consistency_loss(cls, base["w_clip"].expand_as(cls))
            l_rel = focal_loss(relation_scores(v_vr, cls, m.tau), y)
            loss = l_rel + cfg.gamma_kg * l_kg
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        text.eval()
        point = {"epoch": epoch + 1, "train_loss": round(total / len(s.train), 5), **val_l_rel()}
        curve.append(point)
        log(f"stage 2 ({prompt}) epoch {epoch + 1}/{cfg.stage2_epochs}: {point}")
    return text.eval().requires_grad_(False), curve


def predicted_graphs(v: VideoTensors, scores: np.ndarray, inter: np.ndarray, names: Sequence[str]) -> list[SceneGraph]:
    """Per frame: the truth objects and each pair's top predicates, score = relation score x interaction."""
    rels: dict[int, list[Relation]] = {}
    for n, (f, s, o) in enumerate(v.keys):
        for c in np.argsort(-scores[n])[:TOP_PER_PAIR]:
            score = float(scores[n, c] * inter[n])
            rels.setdefault(f, []).append(Relation(s, o, names[c], int(c), "", score, float(inter[n])))
    return [
        SceneGraph(g.stamp_ns, g.frame_index, objects=g.objects, relations=rels.get(g.frame_index, [])) for g in v.truth
    ]


def split_metrics(
    videos: Sequence[VideoTensors], scores: Sequence[np.ndarray], inter: Sequence[np.ndarray], names: Sequence[str]
) -> dict[str, Any]:
    """VidVRD mAP / R@50 / R@100 over ``videos`` with per-video scores [N, len(names)] for ``names`` only."""
    keep = set(names)
    gt, pred = {}, {}
    for v, sc, it in zip(videos, scores, inter, strict=True):
        truth = [dataclasses.replace(g, relations=[r for r in g.relations if r.predicate in keep]) for g in v.truth]
        gt[v.video_id] = instances_from_graphs(truth)
        pred[v.video_id] = instances_from_graphs(predicted_graphs(v, sc, it, names))
    summary = evaluate_vidvrd(gt, pred)
    return {
        "mAP": round(100 * summary.mean_ap, 2),
        "R@50": round(100 * summary.recall[50], 2),
        "R@100": round(100 * summary.recall[100], 2),
        "gt_instances": summary.gt_relations,
        "videos": summary.videos,
    }


def evaluate(
    s: Setup, visual: SageVisual, text: PromptTextEncoder | None, videos: Sequence[VideoTensors] | None = None
) -> dict[str, Any]:
    """Novel split (classifier over the novel predicates, GT = novel instances) and all split (classifier over
    every base or novel predicate). Each class's classifier row depends on that class only, so one scoring over
    all occurring predicates serves both splits (the novel split takes its columns)."""
    videos = s.test if videos is None else videos
    occurring = [p for p in VOCAB.predicates if p in s.cfg.base or p in s.cfg.novel]
    cls_in = s.classes(occurring)
    scores, inter = [], []
    with torch.no_grad():
        for v in videos:
            v_vr, it, _ = forward(visual, v, s.teacher)
            scores.append(prompt_scores(text, cls_in, v_vr, s.cfg.model.tau, s.cfg.eval_chunk).numpy())
            inter.append(it.numpy())
    novel = [p for p in occurring if p in s.cfg.novel]
    cols = [occurring.index(p) for p in novel]
    return {
        "novel": split_metrics(videos, [sc[:, cols] for sc in scores], inter, novel),
        "all": split_metrics(videos, scores, inter, occurring),
    }


def run(cfg: TrainConfig, out: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train stage 1 once, stage 2 for class-aware and instance-conditioned prompts; save and report (test
    results under ``results``, validation results under ``validation``, same keys)."""
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    timing: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        timing[name] = round(time.time() - since, 1)
        return time.time()

    s = prepare(cfg, log)
    t = lap("data_s", t0)
    visual = stage1(s, log)
    t = lap("stage1_s", t)
    report: dict[str, Any] = {"config": cfg.to_dict(), "results": {}, "validation": {}, "stage2_curves": {}}

    def score(name: str, text: PromptTextEncoder | None, t: float) -> float:
        report["results"][name] = evaluate(s, visual, text)
        if s.val:
            report["validation"][name] = evaluate(s, visual, text, s.val)
        log(f"{name}: test {report['results'][name]} validation {report['validation'].get(name)}")
        return lap(f"eval {name}_s", t)

    t = score("stage1 (W_clip classifier)", None, t)
    texts = {}
    for prompt in ("class", "instance"):
        texts[prompt], report["stage2_curves"][prompt] = stage2(s, visual, prompt, log)
        t = lap(f"stage2 {prompt}_s", t)
        t = score(f"{prompt}-conditioned prompts", texts[prompt], t)
    state = {"config": cfg.to_dict(), "visual": visual.state_dict(), "text": texts[cfg.prompt].state_dict()}
    torch.save(state, out / "model.pt")
    report["timing"] = timing
    report["wall_s"] = round(time.time() - t0, 1)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
