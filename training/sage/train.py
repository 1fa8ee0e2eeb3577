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

    def classes(self, names: Sequence[str]) -> dict[str, torch.Tensor]:
        return tensors(class_inputs(names, self.encoder, self.cfg.model.max_words))


def prepare(cfg: TrainConfig, log: Callable[[str], None] = print) -> Setup:
    torch.manual_seed(cfg.seed)
    encoder = CachedEncoder(make_encoder(cfg.encoder), capacity=1 << 16)
    frozen = FrozenVisualEncoder(cfg.model.channels, seed=cfg.seed).eval()
    table = SentenceTable()
    t0 = time.time()
    train = load_videos(
        world_specs(cfg.train_videos, cfg.frames, cfg.seed, difficulty=cfg.difficulty), cfg.model, frozen, table
    )
    test = load_videos(
        world_specs(cfg.test_videos, cfg.test_frames, cfg.test_seed, difficulty=cfg.difficulty),
        cfg.model,
        frozen,
        table,
    )
    teacher = torch.from_numpy(encoder.encode(table.texts()))
    objects = torch.from_numpy(encoder.encode([readable(o) for o in VOCAB.objects]))
    log(
        f"data: {len(train)} train / {len(test)} test videos, {len(table.ids)} teacher sentences, "
        f"{time.time() - t0:.0f}s"
    )
    return Setup(cfg, encoder, train, test, teacher, objects)


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


def stage2(s: Setup, visual: SageVisual, prompt: str, log: Callable[[str], None] = print) -> PromptTextEncoder:
    cfg, m = s.cfg, s.cfg.model
    torch.manual_seed(cfg.seed + 1)
    text = PromptTextEncoder(m, prompt)
    base = s.classes(cfg.base)
    cols = torch.tensor([VOCAB.predicate_id(p) for p in cfg.base])
    with torch.no_grad():
        feats = [forward(visual, v, s.teacher)[0] for v in s.train]
    opt = torch.optim.AdamW(text.parameters(), lr=cfg.stage2_lr, weight_decay=cfg.weight_decay)
    for epoch in range(cfg.stage2_epochs):
        total = 0.0
        for i in torch.randperm(len(s.train)).tolist():
            v, v_vr = s.train[i], feats[i]
            if prompt == "class":
                cls = text(base["words"], base["word_mask"], base["w_clip"])
                l_kg = consistency_loss(cls, base["w_clip"])
            else:
                cls = text.instance(base["words"], base["word_mask"], base["w_clip"], v_vr)
                l_kg = consistency_loss(cls, base["w_clip"].expand_as(cls))
            l_rel = focal_loss(relation_scores(v_vr, cls, m.tau), v.targets[:, cols])
            loss = l_rel + cfg.gamma_kg * l_kg
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        log(f"stage 2 ({prompt}) epoch {epoch + 1}/{cfg.stage2_epochs}: loss {total / len(s.train):.4f}")
    return text.eval().requires_grad_(False)


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


def evaluate_split(
    s: Setup, visual: SageVisual, text: PromptTextEncoder | None, names: Sequence[str]
) -> dict[str, Any]:
    """VidVRD mAP / R@50 / R@100 over the test videos with the classifier built for ``names`` only."""
    keep = set(names)
    cls_in = s.classes(names)
    gt, pred = {}, {}
    with torch.no_grad():
        for v in s.test:
            v_vr, inter, _ = forward(visual, v, s.teacher)
            if text is None:
                cls = cls_in["w_clip"]
            elif text.prompt == "class":
                cls = text(cls_in["words"], cls_in["word_mask"], cls_in["w_clip"])
            else:
                cls = text.instance(cls_in["words"], cls_in["word_mask"], cls_in["w_clip"], v_vr)
            scores = relation_scores(v_vr, cls, s.cfg.model.tau).numpy()
            graphs = predicted_graphs(v, scores, inter.numpy(), names)
            truth = [dataclasses.replace(g, relations=[r for r in g.relations if r.predicate in keep]) for g in v.truth]
            gt[v.video_id] = instances_from_graphs(truth)
            pred[v.video_id] = instances_from_graphs(graphs)
    summary = evaluate_vidvrd(gt, pred)
    return {
        "mAP": round(100 * summary.mean_ap, 2),
        "R@50": round(100 * summary.recall[50], 2),
        "R@100": round(100 * summary.recall[100], 2),
        "gt_instances": summary.gt_relations,
        "videos": summary.videos,
    }


def evaluate(s: Setup, visual: SageVisual, text: PromptTextEncoder | None) -> dict[str, Any]:
    occurring = [p for p in VOCAB.predicates if p in s.cfg.base or p in s.cfg.novel]
    return {"novel": evaluate_split(s, visual, text, s.cfg.novel), "all": evaluate_split(s, visual, text, occurring)}


def run(cfg: TrainConfig, out: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train stage 1 once, stage 2 for class-aware and instance-conditioned prompts; save and report."""
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    s = prepare(cfg, log)
    visual = stage1(s, log)
    report: dict[str, Any] = {
        "config": cfg.to_dict(),
        "results": {"stage1 (W_clip classifier)": evaluate(s, visual, None)},
    }
    texts = {}
    for prompt in ("class", "instance"):
        texts[prompt] = stage2(s, visual, prompt, log)
        report["results"][f"{prompt}-conditioned prompts"] = evaluate(s, visual, texts[prompt])
        log(f"{prompt}: {report['results'][f'{prompt}-conditioned prompts']}")
    state = {"config": cfg.to_dict(), "visual": visual.state_dict(), "text": texts[cfg.prompt].state_dict()}
    torch.save(state, out / "model.pt")
    report["wall_s"] = round(time.time() - t0, 1)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
