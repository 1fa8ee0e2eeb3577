"""CenterNet training loss: penalty-reduced focal loss on heat-maps, L1 on size and offset, and GIoU on boxes.

The L1 terms measure errors in stride cells, so one cell off costs the same for a 6 px phone as for a
person, although it ruins the phone's IoU. The GIoU term scores the decoded box itself (scale-free,
TTFNet-style), which is what AP@0.5 rewards.
"""

from __future__ import annotations

import torch

LOG_SIZE_RANGE = (-3.0, 5.0)  # log cells: 0.05 to 148 cells; keeps exp() finite while the net is young


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


def cell_boxes(log_size: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """``[N, 4]`` boxes ``(x1, y1, x2, y2)`` in cells relative to their cell, from ``[N, 2]`` log size and offset."""
    half = torch.exp(log_size.clamp(*LOG_SIZE_RANGE)) / 2
    return torch.cat([offset - half, offset + half], dim=1)


def giou_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-box ``1 - GIoU`` of ``[N, 4]`` boxes (0 for identical boxes, up to 2 for far-apart ones)."""
    lt = torch.maximum(pred[:, :2], target[:, :2])
    rb = torch.minimum(pred[:, 2:], target[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=1)
    area_p = (pred[:, 2:] - pred[:, :2]).prod(dim=1)
    area_t = (target[:, 2:] - target[:, :2]).prod(dim=1)
    union = area_p + area_t - inter
    hull = (torch.maximum(pred[:, 2:], target[:, 2:]) - torch.minimum(pred[:, :2], target[:, :2])).prod(dim=1)
    giou = inter / union.clamp(min=1e-6) - (hull - union) / hull.clamp(min=1e-6)
    return 1 - giou


def box_giou(
    size: torch.Tensor, offset: torch.Tensor, t_size: torch.Tensor, t_offset: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """GIoU loss of the decoded boxes at the supervised cells, averaged with the ``mask`` weights."""
    keep = mask > 0
    if not bool(keep.any()):
        return size.sum() * 0.0

    def rows(t: torch.Tensor) -> torch.Tensor:
        return t.permute(0, 2, 3, 1)[keep]

    pred = cell_boxes(rows(size), rows(offset))
    target = cell_boxes(rows(t_size), rows(t_offset))
    weight = mask[keep]
    return (giou_loss(pred, target) * weight).sum() / weight.sum().clamp(min=1e-6)


def detection_loss(
    outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    targets: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    size_weight: float = 2.0,
    giou_weight: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    heat, size, offset = outputs
    t_heat, t_size, t_offset, mask = targets
    parts = {
        "heat": focal_loss(heat, t_heat),
        "size": centre_l1(size, t_size, mask),
        "offset": centre_l1(offset, t_offset, mask),
    }
    total = parts["heat"] + size_weight * parts["size"] + parts["offset"]
    if giou_weight > 0:
        parts["giou"] = box_giou(size, offset, t_size, t_offset, mask)
        total = total + giou_weight * parts["giou"]
    return total, {k: float(v.detach()) for k, v in parts.items()}
