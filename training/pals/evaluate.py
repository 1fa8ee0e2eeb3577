"""Action Genome protocol (vsgg_ros.eval) on held-out SynthRoom videos: PREDCLS and SGDET, with and
without constraint. Each pair's 26 scores are PC (softmax attention, sigmoid spatial/contacting) times
PA when the model has PALS; the evaluator multiplies in conf_s * conf_o, giving paper eq. 5."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor
from vsgg_training.pals.data import VOCAB, FrameObjects, VideoData
from vsgg_training.pals.model import PalsRelationModel

from vsgg_ros.eval.evaluate import EvalConfig, run_ag
from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import ObjectNode, SceneGraph


def pair_scores(out: dict[str, Tensor], use_pals: bool) -> tuple[np.ndarray, np.ndarray]:
    """[P, 26] predicate scores (already multiplied by PA) and the PA column."""
    pc = torch.cat(
        [torch.softmax(out["attention"], -1), torch.sigmoid(out["spatial"]), torch.sigmoid(out["contacting"])], -1
    )
    pa = torch.sigmoid(out["affinity"]) if use_pals else torch.ones_like(out["affinity"])
    return (pc * pa[:, None]).numpy().astype(np.float64), pa.numpy()


@torch.no_grad()
def predict_video(
    model: PalsRelationModel,
    feats: Tensor,
    objects: list[FrameObjects],
    video_id: str,
    images: np.ndarray | None = None,
) -> tuple[list[SceneGraph], dict[tuple[str, int], dict[tuple[int, int], np.ndarray]]]:
    from vsgg_training.pals.train import forward_clip

    pairs = [o.pairs() for o in objects]
    keep = [f for f, p in enumerate(pairs) if len(p)]
    dists: dict[tuple[str, int], dict[tuple[int, int], np.ndarray]] = {}
    if keep:
        frames = images[keep] if model.cfg.head_crop > 0 and images is not None and len(images) else None
        out, _, offsets = forward_clip(model, feats[keep], [objects[f] for f in keep], [pairs[f] for f in keep], frames)
        scores, _ = pair_scores(out, model.cfg.use_pals)
        for n, f in enumerate(keep):
            o = objects[f]
            dists[(video_id, f)] = {
                (int(o.tracks[s]), int(o.tracks[b])): scores[offsets[n] + i] for i, (s, b) in enumerate(pairs[f])
            }
    graphs = []
    for f, o in enumerate(objects):
        nodes = [
            ObjectNode(int(t), VOCAB.objects[int(c)], tuple(float(x) for x in box), int(c), float(s))  # type: ignore[arg-type]
            for box, c, s, t in zip(o.boxes, o.labels, o.scores, o.tracks, strict=True)
        ]
        graphs.append(SceneGraph(stamp_ns=f, frame_index=f, source_id=video_id, objects=nodes))
    return graphs, dists


def evaluate_model(model: PalsRelationModel, videos: list[VideoData], feats: dict[str, Tensor]) -> dict[str, Any]:
    """R@10/20/50 (with / no constraint) for PREDCLS (truth boxes) and SGDET (the detector's boxes)."""
    model.eval()
    report: dict[str, Any] = {}
    gt = [VideoGraphs(v.video_id, v.truth) for v in videos]
    for mode, source in (("predcls", "gt_objects"), ("sgdet", "detections")):
        preds, dists = [], {}
        for v in videos:
            graphs, d = predict_video(model, feats[v.video_id], getattr(v, source), v.video_id, v.images)
            preds.append(graphs)
            dists.update(d)
        for constraint in ("with", "no"):
            res = run_ag(gt, preds, EvalConfig(mode=mode, constraint=constraint), dists)
            report[f"{mode}/{constraint}"] = {k: round(float(x), 4) for k, x in res["metrics"]["R@K"].items()}
    return report


@torch.no_grad()
def group_accuracy(model: PalsRelationModel, videos: list[VideoData], feats: dict[str, Tensor]) -> dict[str, float]:
    """PREDCLS diagnostics over GT pairs: how often each group's argmax is one of the pair's GT labels,
    and how often a GT pair's PA outranks a non-GT pair's of the same frame (PA ranking AUC)."""
    from vsgg_training.pals.data import CONTACT0, SPATIAL0, _label_vectors

    model.eval()
    hits = {"attention": 0, "spatial": 0, "contacting": 0}
    n_pairs, auc_num, auc_den = 0, 0.0, 0
    for v in videos:
        _, dists = predict_video(model, feats[v.video_id], v.gt_objects, v.video_id, v.images)
        for (_, f), scores in dists.items():
            pos, neg = [], []
            for (s, o), vec in scores.items():
                labels = _label_vectors(v.truth[f], s, o)
                pa = float(vec[:SPATIAL0].sum())  # the attention softmax sums to 1, leaving PA
                if labels is None:
                    neg.append(pa)
                    continue
                pos.append(pa)
                n_pairs += 1
                for name, part, target in zip(
                    hits, (vec[:SPATIAL0], vec[SPATIAL0:CONTACT0], vec[CONTACT0:]), labels, strict=True
                ):
                    hits[name] += int(target[int(np.argmax(part))] > 0)
            for a in pos:
                auc_num += sum(1.0 if a > b else 0.5 if a == b else 0.0 for b in neg)
                auc_den += len(neg)
    out = {name: round(h / max(n_pairs, 1), 4) for name, h in hits.items()}
    out["pa_rank_auc"] = round(auc_num / max(auc_den, 1), 4)
    out["gt_pairs"] = float(n_pairs)
    return out
