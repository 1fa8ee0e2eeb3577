"""Hungarian matching and set loss (paper Eq. 10-11, OED's recipe).

A ground-truth entry is one (person, object) pair with its subject/object classes and boxes and a
26-wide multi-hot predicate vector. Matching cost: class cross-entropy for subject and object, focal
cost for the predicates, L1 + GIoU for both boxes; the loss uses the same terms on matched queries,
the no-object class (down-weighted) on the rest, and sigmoid focal loss over every query's predicates.
:func:`deep_set_loss` adds the same loss, matched separately, on every earlier decoder depth (DETR's
auxiliary losses, which OED keeps): they give the early layers a direct signal, which a few CPU
epochs need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor
from torch.nn import functional as F
from vsgg_training.vost.config import NUM_CLASSES, LossConfig
from vsgg_training.vost.model import cxcywh_to_xyxy


@dataclass
class FrameTargets:
    """GT pairs of one frame: classes [M], boxes [M, 4] normalised cxcywh, predicates [M, 26]."""

    sub_labels: Tensor
    obj_labels: Tensor
    sub_boxes: Tensor
    obj_boxes: Tensor
    predicates: Tensor

    def __len__(self) -> int:
        return int(self.sub_labels.shape[0])


def box_area(b: Tensor) -> Tensor:
    return (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)


def generalized_iou(a: Tensor, b: Tensor) -> Tensor:
    """Pairwise GIoU of xyxy boxes a [N, 4] and b [M, 4] -> [N, M]."""
    area_a, area_b = box_area(a), box_area(b)
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    iou = inter / union.clamp(min=1e-9)
    hull = (torch.max(a[:, None, 2:], b[None, :, 2:]) - torch.min(a[:, None, :2], b[None, :, :2])).clamp(min=0)
    hull_area = hull.prod(-1)
    return iou - (hull_area - union) / hull_area.clamp(min=1e-9)


def focal_cost(logits: Tensor, targets: Tensor, alpha: float, gamma: float) -> Tensor:
    """[N, C] logits vs [M, C] multi-hot -> [N, M]: mean over each GT's positives of (pos - neg) focal terms."""
    p = logits.sigmoid()
    pos = alpha * (1 - p) ** gamma * -(p + 1e-8).log()
    neg = (1 - alpha) * p**gamma * -(1 - p + 1e-8).log()
    diff = pos - neg
    return (diff @ targets.T) / targets.sum(-1).clamp(min=1)[None, :]


def sigmoid_focal_loss(logits: Tensor, targets: Tensor, alpha: float, gamma: float) -> Tensor:
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    a_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (a_t * (1 - p_t) ** gamma * ce).sum()


def cost_matrix(out: dict[str, Tensor], tgt: FrameTargets, w: LossConfig) -> Tensor:
    """[N, M] matching cost of one frame's N predictions (unbatched tensors) against its M GT pairs."""
    cost = w.cls * (
        -F.log_softmax(out["sub_logits"], -1)[:, tgt.sub_labels]
        - F.log_softmax(out["obj_logits"], -1)[:, tgt.obj_labels]
    )
    cost = cost + w.predicate * focal_cost(out["pred_logits"], tgt.predicates, w.focal_alpha, w.focal_gamma)
    for key, gt in (("sub_boxes", tgt.sub_boxes), ("obj_boxes", tgt.obj_boxes)):
        cost = cost + w.l1 * torch.cdist(out[key], gt, p=1)
        cost = cost - w.giou * generalized_iou(cxcywh_to_xyxy(out[key]), cxcywh_to_xyxy(gt))
    return cost


@torch.no_grad()
def hungarian(out: dict[str, Tensor], tgt: FrameTargets, w: LossConfig) -> tuple[np.ndarray, np.ndarray]:
    """(query indices, GT indices) of the minimum-cost one-to-one assignment."""
    if len(tgt) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, cols = linear_sum_assignment(cost_matrix(out, tgt, w).cpu().numpy())
    return rows.astype(np.int64), cols.astype(np.int64)


def set_loss(out: dict[str, Tensor], targets: list[FrameTargets], w: LossConfig) -> dict[str, Tensor]:
    """Loss of a batch: ``out`` tensors are [B, N, ...], ``targets`` one entry per frame."""
    b, n, _ = out["sub_logits"].shape
    device = out["sub_logits"].device
    sub_cls = torch.full((b, n), NUM_CLASSES, dtype=torch.long, device=device)
    obj_cls = sub_cls.clone()
    pred_t = torch.zeros_like(out["pred_logits"])
    l1 = giou = out["sub_logits"].new_zeros(())
    matched = 0
    for f, tgt in enumerate(targets):
        frame = {k: v[f] for k, v in out.items()}
        q, g = hungarian(frame, tgt, w)
        if len(q) == 0:
            continue
        qi, gi = torch.from_numpy(q), torch.from_numpy(g)
        sub_cls[f, qi], obj_cls[f, qi] = tgt.sub_labels[gi], tgt.obj_labels[gi]
        pred_t[f, qi] = tgt.predicates[gi]
        for key, gt in (("sub_boxes", tgt.sub_boxes), ("obj_boxes", tgt.obj_boxes)):
            pb, tb = frame[key][qi], gt[gi]
            l1 = l1 + (pb - tb).abs().sum()
            giou = giou + (1 - torch.diag(generalized_iou(cxcywh_to_xyxy(pb), cxcywh_to_xyxy(tb)))).sum()
        matched += len(q)
    norm = max(matched, 1)
    weight = torch.ones(NUM_CLASSES + 1, device=device)
    weight[NUM_CLASSES] = w.no_object
    ce = F.cross_entropy(out["sub_logits"].reshape(b * n, -1), sub_cls.reshape(-1), weight) + F.cross_entropy(
        out["obj_logits"].reshape(b * n, -1), obj_cls.reshape(-1), weight
    )
    focal = sigmoid_focal_loss(out["pred_logits"], pred_t, w.focal_alpha, w.focal_gamma) / norm
    losses = {"cls": w.cls * ce, "predicate": w.predicate * focal, "l1": w.l1 * l1 / norm, "giou": w.giou * giou / norm}
    losses["total"] = sum(losses.values())  # type: ignore[assignment]
    return losses


def deep_set_loss(outs: list[dict[str, Tensor]], targets: list[FrameTargets], w: LossConfig) -> dict[str, Tensor]:
    """``outs[-1]`` is the final output, the rest earlier depths; each is matched on its own (DETR).

    Returns the final output's terms, ``aux`` (the earlier depths' totals summed) and ``total``.
    """
    if not outs:
        raise ValueError("deep_set_loss needs at least the final output")
    losses = set_loss(outs[-1], targets, w)
    aux = losses["total"].new_zeros(())
    for out in outs[:-1]:
        aux = aux + set_loss(out, targets, w)["total"]
    losses["aux"] = aux
    losses["total"] = losses["total"] + aux
    return losses
