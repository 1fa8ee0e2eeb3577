"""L_rel (STTran heads), class-balanced L_PA (paper eq. 4) and triplet ranking L_PAM (eq. 7)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def relation_loss(
    logits: dict[str, Tensor],
    attention_target: Tensor,
    spatial_target: Tensor,
    contacting_target: Tensor,
    group_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> Tensor:
    """Only over matched pairs (the caller selects them): soft-target CE on attention (a weak label may
    name several attention predicates for one class, spread evenly), BCE on the multi-label groups.
    ``group_weights`` scale the attention, spatial and contacting terms (BCE averages over labels, so
    the 17-way contacting group otherwise gets a small gradient per label)."""
    if attention_target.shape[0] == 0:
        return logits["attention"].sum() * 0.0
    ce = -(attention_target * F.log_softmax(logits["attention"], dim=-1)).sum(-1).mean()
    spa = F.binary_cross_entropy_with_logits(logits["spatial"], spatial_target)
    con = F.binary_cross_entropy_with_logits(logits["contacting"], contacting_target)
    if group_weights == (1.0, 1.0, 1.0):
        return ce + spa + con
    wa, ws, wc = group_weights
    return wa * ce + ws * spa + wc * con


def balanced_pa_loss(
    affinity_logits: Tensor, positive: Tensor, negative: Tensor, weight: Tensor | None = None
) -> Tensor:
    """-1/2 (mean_{P+} log PA + mean_{P-} log(1 - PA)); each set averaged on its own so the far larger
    unmatched set cannot dominate. ``weight`` (per pair, e.g. temporal-distance decay) turns each mean
    into a weighted mean. An empty set contributes 0."""
    w = torch.ones_like(affinity_logits) if weight is None else weight
    log_pa = F.logsigmoid(affinity_logits)
    log_not = F.logsigmoid(-affinity_logits)
    total = affinity_logits.sum() * 0.0
    for mask, term in ((positive, log_pa), (negative, log_not)):
        wm = w * mask.to(w.dtype)
        if float(wm.sum()) > 0:
            total = total - 0.5 * (wm * term).sum() / wm.sum()
    return total


def pam_ranking_loss(p: Tensor, positive: Tensor, negative: Tensor, margin: float, reduction: str = "mean") -> Tensor:
    """max(0, G[a, b-] - G[a, b+] + m) over every anchor a and b+ (distinct matched pairs) and b-
    (unmatched) of one attention sequence, with G = P P^T. ``reduction`` "sum" is eq. 7 as printed;
    "mean" (default here) divides by the number of triplets so lambda does not scale with pair count."""
    g = p @ p.transpose(0, 1)
    pos = torch.nonzero(positive).flatten()
    neg = torch.nonzero(negative).flatten()
    if len(pos) < 2 or len(neg) == 0:
        return p.sum() * 0.0
    gp = g[pos][:, pos]  # [A, B+]
    gn = g[pos][:, neg]  # [A, B-]
    hinge = (gn[:, None, :] - gp[:, :, None] + margin).clamp(min=0)  # [A, B+, B-]
    distinct = ~torch.eye(len(pos), dtype=torch.bool, device=p.device)
    hinge = hinge * distinct[:, :, None].to(hinge.dtype)
    total = hinge.sum()
    if reduction == "sum":
        return total
    if reduction != "mean":
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    return total / (distinct.sum() * len(neg))
