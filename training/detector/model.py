"""The network: a thin strided CNN with a top-down merge to stride 4, and a CenterNet head.

Why this shape: SynthRoom objects range from ~6 px (a phone) to most of the frame (a person up close),
so the head must sit at stride 4; everything deeper stays narrow so a 320x240 frame costs a few ms on
two CPU cores. The decoder (peak picking + fixed-K top-k) is part of the exported graph, which keeps
data-dependent shapes out of it (TensorRT-friendly: no NonZero, no NMS op).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

STRIDE = 4
TOP_K = 100


def _conv(cin: int, cout: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class TinyCenterNet(nn.Module):
    """Raw outputs at stride 4: class heat-map logits, log box size (in stride units), centre offset."""

    def __init__(self, num_classes: int, width: int = 24) -> None:
        super().__init__()
        w = width
        self.num_classes = num_classes
        self.s2 = _conv(3, w // 2, 2)
        self.s4 = nn.Sequential(_conv(w // 2, w, 2), _conv(w, w))
        self.s8 = nn.Sequential(_conv(w, 2 * w, 2), _conv(2 * w, 2 * w))
        self.s16 = nn.Sequential(_conv(2 * w, 3 * w, 2), _conv(3 * w, 3 * w))
        self.s32 = nn.Sequential(_conv(3 * w, 4 * w, 2), _conv(4 * w, 4 * w))
        self.lat16 = _conv(3 * w, 2 * w, kernel=1)
        self.top32 = _conv(4 * w, 2 * w, kernel=1)
        self.lat8 = _conv(2 * w, 2 * w, kernel=1)
        self.top16 = _conv(2 * w, w, kernel=1)
        self.lat4 = _conv(w, w, kernel=1)
        self.smooth = _conv(w, w)
        self.heat = nn.Conv2d(w, num_classes, 1)
        self.size = nn.Conv2d(w, 2, 1)
        self.offset = nn.Conv2d(w, 2, 1)
        nn.init.constant_(self.heat.bias, -4.6)  # prior 1% foreground: the focal loss starts stable

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c4 = self.s4(self.s2(images))
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        p16 = self.lat16(c16) + F.interpolate(self.top32(c32), size=c16.shape[-2:], mode="nearest")
        p8 = self.lat8(c8) + F.interpolate(p16, size=c8.shape[-2:], mode="nearest")
        p4 = self.lat4(c4) + F.interpolate(self.top16(p8), size=c4.shape[-2:], mode="nearest")
        p4 = self.smooth(p4)
        return self.heat(p4), self.size(p4), self.offset(p4)


class EndToEnd(nn.Module):
    """Raw network + decoding to ``[B, K, 6]`` rows ``(x1, y1, x2, y2, score, class)`` in input pixels.

    The class heat-map ``[B, C, H/4, W/4]`` is a second output so that parity checks compare the dense
    network numerics: the top-k order of near-equal low scores may legitimately differ between
    backends (TF32/fp16 kernels), while the decode after it is exact integer logic.
    """

    def __init__(self, net: TinyCenterNet, top_k: int = TOP_K) -> None:
        super().__init__()
        self.net = net
        self.top_k = top_k

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, log_size, offset = self.net(images)
        batch, _, height, width = logits.shape
        heat = torch.sigmoid(logits)
        peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).to(heat.dtype)
        scores, index = torch.topk(peaks.reshape(batch, -1), self.top_k, dim=1)
        cells = height * width
        cls = torch.div(index, cells, rounding_mode="floor")
        pixel = index - cls * cells
        ys = torch.div(pixel, width, rounding_mode="floor")
        xs = pixel - ys * width
        gather = pixel.unsqueeze(1).expand(-1, 2, -1)
        size = torch.exp(torch.gather(log_size.reshape(batch, 2, cells), 2, gather)) * STRIDE
        off = torch.gather(offset.reshape(batch, 2, cells), 2, gather)
        cx = (xs.to(heat.dtype) + off[:, 0]) * STRIDE
        cy = (ys.to(heat.dtype) + off[:, 1]) * STRIDE
        half_w, half_h = size[:, 0] / 2, size[:, 1] / 2
        rows = [cx - half_w, cy - half_h, cx + half_w, cy + half_h, scores, cls.to(heat.dtype)]
        return torch.stack(rows, dim=2), heat
