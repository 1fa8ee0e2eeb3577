"""Action Genome Recall@K, mean Recall@K, Precision@K and F1@K (STTran / OED / SceneGraphVLM lineage).

Per frame (reference notes §1.2–1.5, §1.7):

1. Ground truth is a list of triplets ``(subject node, object node, predicate id)`` over the frame's
   boxes. Attention and contacting triplets point person -> object, spatial triplets object -> person.
2. Each predicted (person, object) pair carries three score vectors (attention 3, spatial 6,
   contacting 17) and expands into three rows: attention and contacting on the pair, spatial on the
   reversed pair. The constraint turns rows into candidate triplets:
   ``with`` one triplet per row (its argmax), ``semi`` the attention argmax plus every spatial or
   contacting label scoring strictly above the threshold (0.9), ``no`` every cell, keeping the top
   100 by score.
3. Triplet score = subject score x object score x predicate score; candidates are ranked by it.
4. A GT triplet is hit by a prediction with identical (subject class, predicate, object class) whose
   subject and object boxes both reach IoU >= 0.5. Matching is many-to-many; R@K counts the GT
   triplets hit by any of the top K (each GT once).

Precision@K / F1@K follow SceneGraphVLM's extended evaluator: walking the ranked top K, a prediction
is a true positive if it can still claim an unclaimed GT it hits (GT in order); P@K = TP / min(K, #pred),
and F1@K uses that one-to-one TP for its recall as well.

Corner-case decisions (docs/evaluation.md):
- ties in score keep generation order: all attention rows (pair order), then spatial, then
  contacting; within a row by predicate id (the references' unstable sorts leave ties unspecified);
- a candidate whose triplet score is 0 is not a prediction (``keep_zero_scores`` restores the
  references, whose all-zero rows still emit predicate 0 and count in P@K's denominator);
- in ``semi`` the row's group is known, not guessed from its first two columns as STTran does;
- frames without GT triplets are left out of every average and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np

from vsgg_ros.eval.geometry import IouConvention, as_boxes, box_iou
from vsgg_ros.graph import Vocabulary
from vsgg_ros.vocab import load_vocabulary

Constraint = Literal["with", "semi", "no"]
Mode = Literal["predcls", "sgcls", "sgdet"]
CONSTRAINTS: tuple[Constraint, ...] = ("with", "semi", "no")
MODES: tuple[Mode, ...] = ("predcls", "sgcls", "sgdet")
AG_KS: tuple[int, ...] = (10, 20, 50, 100)
GROUPS: tuple[str, ...] = ("attention", "spatial", "contacting")


@cache
def ag_vocabulary() -> Vocabulary:
    return load_vocabulary("ag")


def group_slices() -> dict[str, slice]:
    """Global predicate-id slice of each AG group: attention [0,3), spatial [3,9), contacting [9,26)."""
    vocab = ag_vocabulary()
    return {name: slice(vocab.group(name).start, vocab.group(name).stop) for name in GROUPS}


def num_predicates() -> int:
    return len(ag_vocabulary().predicates)


@dataclass(frozen=True)
class AgOptions:
    """How triplets are formed and matched. Defaults: STTran/OED with constraint, IoU >= 0.5, continuous
    boxes (OED, SceneGraphVLM; ``"pixel"`` gives STTran's +1 convention)."""

    constraint: Constraint = "with"
    iou_threshold: float = 0.5
    iou_convention: IouConvention = "continuous"
    semi_threshold: float = 0.9
    no_constraint_top: int = 100
    ks: tuple[int, ...] = AG_KS
    keep_zero_scores: bool = False

    def __post_init__(self) -> None:
        if self.constraint not in CONSTRAINTS:
            raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {self.constraint!r}")
        if not 0.0 < self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be in (0, 1], got {self.iou_threshold}")
        if self.no_constraint_top < 1:
            raise ValueError(f"no_constraint_top must be >= 1, got {self.no_constraint_top}")
        if not self.ks or any(k < 1 for k in self.ks):
            raise ValueError(f"ks must be positive integers, got {self.ks}")


@dataclass
class AgFrameGT:
    """One frame's ground truth: boxes (N, 4) xyxy, class ids (N,), relations (R, 3) as
    (subject node, object node, global predicate id)."""

    boxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray
    key: object = None

    def __post_init__(self) -> None:
        self.boxes = as_boxes(self.boxes, "ground-truth boxes")
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        rel = np.asarray(self.relations, dtype=np.int64)
        self.relations = rel.reshape(-1, 3) if rel.size else np.zeros((0, 3), dtype=np.int64)
        if len(self.labels) != len(self.boxes):
            raise ValueError(f"frame {self.key}: {len(self.boxes)} GT boxes but {len(self.labels)} labels")
        if len(self.relations):
            if self.relations[:, :2].min() < 0 or self.relations[:, :2].max() >= len(self.boxes):
                raise ValueError(f"frame {self.key}: GT relation refers to a node outside 0..{len(self.boxes) - 1}")
            if self.relations[:, 2].min() < 0 or self.relations[:, 2].max() >= num_predicates():
                raise ValueError(f"frame {self.key}: GT predicate id outside 0..{num_predicates() - 1}")


@dataclass
class AgFramePrediction:
    """One frame's prediction: boxes (M, 4), class ids (M,), object scores (M,), (person, object) node
    pairs (P, 2) and their score vectors: attention (P, 3) softmax probabilities, spatial (P, 6) and
    contacting (P, 17) sigmoid scores."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    pairs: np.ndarray
    attention: np.ndarray
    spatial: np.ndarray
    contacting: np.ndarray
    key: object = None

    def __post_init__(self) -> None:
        self.boxes = as_boxes(self.boxes, "predicted boxes")
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        pairs = np.asarray(self.pairs, dtype=np.int64)
        self.pairs = pairs.reshape(-1, 2) if pairs.size else np.zeros((0, 2), dtype=np.int64)
        n, p = len(self.boxes), len(self.pairs)
        if len(self.labels) != n or len(self.scores) != n:
            raise ValueError(f"frame {self.key}: {n} boxes, {len(self.labels)} labels, {len(self.scores)} scores")
        if p and (self.pairs.min() < 0 or self.pairs.max() >= n):
            raise ValueError(f"frame {self.key}: a pair refers to a node outside 0..{n - 1}")
        slices = group_slices()
        for name in GROUPS:
            width = slices[name].stop - slices[name].start
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.size == 0 and p == 0:
                arr = arr.reshape(0, width)
            if arr.shape != (p, width):
                raise ValueError(f"frame {self.key}: {name} scores must have shape ({p}, {width}), got {arr.shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"frame {self.key}: {name} scores must be finite and >= 0 (probabilities, not logits)")
            setattr(self, name, arr)
        if not np.all(np.isfinite(self.scores)) or np.any(self.scores < 0):
            raise ValueError(f"frame {self.key}: object scores must be finite and >= 0")


@dataclass(frozen=True)
class RankedTriplets:
    """Candidate triplets in rank order: node indices, predicate ids and triplet scores."""

    subjects: np.ndarray
    objects: np.ndarray
    predicates: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def _rows(pred: AgFramePrediction) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(group, subject nodes, object nodes, group-local scores) in STTran's concatenation order."""
    s, o = pred.pairs[:, 0], pred.pairs[:, 1]
    return [
        ("attention", s, o, pred.attention),
        ("spatial", o, s, pred.spatial),
        ("contacting", s, o, pred.contacting),
    ]


def rank_triplets(pred: AgFramePrediction, options: AgOptions) -> RankedTriplets:
    """Expand a prediction into candidate triplets under ``options.constraint`` and rank them."""
    slices = group_slices()
    n_pred = num_predicates()
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for group, s, o, scores in _rows(pred):
        start = slices[group].start
        if len(scores) == 0:
            continue
        if options.constraint == "with" or (options.constraint == "semi" and group == "attention"):
            best = scores.argmax(axis=1)
            top = scores[np.arange(len(scores)), best]
            ids = start + best
            if options.keep_zero_scores:
                ids = np.where(top > 0, ids, 0)  # the references' argmax over an all-zero 26-wide row
            parts.append((s, o, ids, top, np.ones(len(ids), dtype=bool)))
        elif options.constraint == "semi":
            rows, cols = np.nonzero(scores > options.semi_threshold)
            parts.append((s[rows], o[rows], start + cols, scores[rows, cols], np.ones(len(rows), dtype=bool)))
        else:
            full = np.zeros((len(scores), n_pred))
            full[:, slices[group]] = scores
            rows, cols = np.divmod(np.arange(full.size), n_pred)
            in_group = (cols >= slices[group].start) & (cols < slices[group].stop)
            parts.append((s[rows], o[rows], cols, full.reshape(-1), in_group))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return RankedTriplets(empty, empty, empty, np.zeros(0))
    s_all, o_all, p_all = (np.concatenate([part[i] for part in parts]).astype(np.int64) for i in range(3))
    score = pred.scores[s_all] * pred.scores[o_all] * np.concatenate([part[3] for part in parts])
    if not options.keep_zero_scores:
        keep = np.concatenate([part[4] for part in parts]) & (score > 0)
        s_all, o_all, p_all, score = s_all[keep], o_all[keep], p_all[keep], score[keep]
    order = np.argsort(-score, kind="stable")
    if options.constraint == "no":
        order = order[: options.no_constraint_top]
    return RankedTriplets(s_all[order], o_all[order], p_all[order], score[order])


def match_triplets(
    gt: AgFrameGT, pred: AgFramePrediction, ranked: RankedTriplets, options: AgOptions
) -> list[list[int]]:
    """For each ranked prediction, the GT relation indices (ascending) it hits; many-to-many."""
    if len(ranked) == 0:
        return []
    if len(gt.relations) == 0:
        return [[] for _ in range(len(ranked))]
    iou = box_iou(pred.boxes, gt.boxes, options.iou_convention)
    gs, go, gp = gt.relations[:, 0], gt.relations[:, 1], gt.relations[:, 2]
    same = (
        (pred.labels[ranked.subjects][:, None] == gt.labels[gs][None, :])
        & (ranked.predicates[:, None] == gp[None, :])
        & (pred.labels[ranked.objects][:, None] == gt.labels[go][None, :])
    )
    thr = options.iou_threshold
    hit = same & (iou[ranked.subjects][:, gs] >= thr) & (iou[ranked.objects][:, go] >= thr)
    return [np.flatnonzero(row).tolist() for row in hit]


@dataclass(frozen=True)
class AgFrameMatches:
    """What the summary needs from one frame: GT predicate ids and the ranked predictions' hits."""

    gt_predicates: np.ndarray
    pred_to_gt: list[list[int]]
    key: object = None


def evaluate_ag_frame(gt: AgFrameGT, pred: AgFramePrediction | None, options: AgOptions) -> AgFrameMatches:
    """Rank one frame's candidates and match them to its GT (a missing prediction matches nothing)."""
    if pred is None:
        return AgFrameMatches(gt.relations[:, 2].copy(), [], gt.key)
    ranked = rank_triplets(pred, options)
    return AgFrameMatches(gt.relations[:, 2].copy(), match_triplets(gt, pred, ranked, options), gt.key)


def greedy_one_to_one(pred_to_gt: Sequence[Sequence[int]], k: int) -> int:
    """True positives among the top ``k``: each prediction claims the first still-unclaimed GT it hits."""
    claimed: set[int] = set()
    for candidates in pred_to_gt[:k]:
        for g in candidates:
            if g not in claimed:
                claimed.add(g)
                break
    return len(claimed)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


@dataclass
class AgSummary:
    """Dataset-level AG numbers, all in [0, 1]. ``mean_recall_per_frame`` is OED's way 1 (per-frame class
    recall averaged over the frames holding the class), ``mean_recall_pooled`` TEMPURA's way 2 (hits and
    counts pooled over the set); both divide by all 26 predicates."""

    recall: dict[int, float]
    precision: dict[int, float]
    f1: dict[int, float]
    micro_precision: dict[int, float]
    micro_recall: dict[int, float]
    micro_f1: dict[int, float]
    mean_recall_per_frame: dict[int, float]
    mean_recall_pooled: dict[int, float]
    per_predicate_recall_per_frame: dict[int, list[float]]
    per_predicate_recall_pooled: dict[int, list[float]]
    gt_counts: list[int]
    frames: int
    frames_without_gt: int
    gt_relations: int


def summarize_ag(
    frames: Sequence[AgFrameMatches], ks: Sequence[int] = AG_KS, n_predicates: int | None = None
) -> AgSummary:
    """Average per-frame results into R@K (frame macro), P@K/F1@K (frame macro and micro) and both mR@K."""
    n_pred_cls = num_predicates() if n_predicates is None else n_predicates
    used = [f for f in frames if len(f.gt_predicates)]
    gt_counts = np.zeros(n_pred_cls, dtype=np.int64)
    for f in used:
        gt_counts += np.bincount(f.gt_predicates, minlength=n_pred_cls)[:n_pred_cls]
    out = AgSummary(
        {},
        {},
        {},
        {},
        {},
        {},
        {},
        {},
        {},
        {},
        gt_counts.tolist(),
        len(used),
        len(frames) - len(used),
        int(gt_counts.sum()),
    )
    for k in ks:
        recalls, precisions, f1s = [], [], []
        tp_total = pred_total = 0
        per_frame_class: list[list[float]] = [[] for _ in range(n_pred_cls)]
        hits_pooled = np.zeros(n_pred_cls, dtype=np.int64)
        for f in used:
            n_gt = len(f.gt_predicates)
            hit = sorted({g for cand in f.pred_to_gt[:k] for g in cand})
            recalls.append(len(hit) / n_gt)
            tp = greedy_one_to_one(f.pred_to_gt, k)
            n_pred = min(k, len(f.pred_to_gt))
            p = tp / n_pred if n_pred else 0.0
            precisions.append(p)
            f1s.append(_f1(p, tp / n_gt))
            tp_total += tp
            pred_total += n_pred
            hits = (
                np.bincount(f.gt_predicates[hit], minlength=n_pred_cls)[:n_pred_cls]
                if hit
                else np.zeros(n_pred_cls, dtype=np.int64)
            )
            counts = np.bincount(f.gt_predicates, minlength=n_pred_cls)[:n_pred_cls]
            hits_pooled += hits
            for c in np.flatnonzero(counts):
                per_frame_class[c].append(hits[c] / counts[c])
        way1 = [float(np.mean(v)) if v else 0.0 for v in per_frame_class]
        way2 = [float(hits_pooled[c] / gt_counts[c]) if gt_counts[c] else 0.0 for c in range(n_pred_cls)]
        out.recall[k] = float(np.mean(recalls)) if recalls else 0.0
        out.precision[k] = float(np.mean(precisions)) if precisions else 0.0
        out.f1[k] = float(np.mean(f1s)) if f1s else 0.0
        mp = tp_total / pred_total if pred_total else 0.0
        mr = tp_total / out.gt_relations if out.gt_relations else 0.0
        out.micro_precision[k], out.micro_recall[k], out.micro_f1[k] = mp, mr, _f1(mp, mr)
        out.mean_recall_per_frame[k] = sum(way1) / n_pred_cls
        out.mean_recall_pooled[k] = sum(way2) / n_pred_cls
        out.per_predicate_recall_per_frame[k] = way1
        out.per_predicate_recall_pooled[k] = way2
    return out
