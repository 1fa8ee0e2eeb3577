"""SAGE losses (eqs. 10-15): focal relation and interaction losses, object CE, knowledge-guided consistency."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


def focal_loss(prob: Tensor, target: Tensor, alpha: float = 0.25, gamma: float = 2.0) -> Tensor:
    """Sigmoid focal loss on probabilities, summed over classes (last axis if 2-D), averaged over samples.

    FL = -a_t (1 - p_t)^gamma log p_t with p_t = p for positives, 1 - p for negatives, a_t = alpha or 1 - alpha.
    """
    p = prob.clamp(1e-6, 1.0 - 1e-6)
    p_t = torch.where(target > 0.5, p, 1.0 - p)
    a_t = torch.where(target > 0.5, torch.full_like(p, alpha), torch.full_like(p, 1.0 - alpha))
    loss = -a_t * (1.0 - p_t) ** gamma * torch.log(p_t)
    return loss.sum(-1).mean() if loss.dim() > 1 else loss.mean()


def object_loss(sub_logits: Tensor, sub_labels: Tensor, obj_logits: Tensor, obj_labels: Tensor) -> Tensor:
    """L_obj = CE(subject) + CE(object) (eq. 13)."""
    return F.cross_entropy(sub_logits, sub_labels) + F.cross_entropy(obj_logits, obj_labels)


def consistency_loss(enhanced: Tensor, w_clip: Tensor) -> Tensor:
    """L_kg = 1 - mean_i cos(F'_L,i, W_clip,i) (eq. 15)."""
    return 1.0 - F.cosine_similarity(enhanced, w_clip, dim=-1).mean()


def total_loss(
    l_rel: Tensor, l_obj: Tensor, l_int: Tensor, l_kg: Tensor, alpha: float, beta: float, gamma: float
) -> Tensor:
    """L = L_rel + alpha L_obj + beta L_int + gamma L_kg (eq. 10)."""
    return l_rel + alpha * l_obj + beta * l_int + gamma * l_kg
