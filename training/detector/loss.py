"""CenterNet training loss: penalty-reduced focal loss on heat-maps, L1 on size and offset at centres."""

from __future__ import annotations

import torch


def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    """CenterNet's variant: negatives near a centre are down-weighted by (1 - target)^beta."""
    pred = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    pos_loss = torch.log(pred) * (1 - pred) ** alpha * pos
    neg_loss = torch.log(1 - pred) * pred**alpha * (1 - target) ** beta * (1 - pos)
    n = pos.sum().clamp(min=1.0)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def centre_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 averaged over the supervised cells, weighted by ``mask`` [B, h, w] (0 = unsupervised), both channels."""
    m = mask.unsqueeze(1)
    return (torch.abs(pred - target) * m).sum() / (2 * m.sum()).clamp(min=1.0)


def detection_loss(
    outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    targets: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    size_weight: float = 2.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    heat, size, offset = outputs
    t_heat, t_size, t_offset, mask = targets
    parts = {
        "heat": focal_loss(heat, t_heat),
        "size": centre_l1(size, t_size, mask),
        "offset": centre_l1(offset, t_offset, mask),
    }
    total = parts["heat"] + size_weight * parts["size"] + parts["offset"]
    return total, {k: float(v.detach()) for k, v in parts.items()}
