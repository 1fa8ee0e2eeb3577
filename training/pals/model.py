"""The relation model: tiny CNN backbone, STTran-style pair representation, PAM-gated attention, heads.

Shapes: a frame has N objects (boxes xyxy in IMAGE_SIZE pixels, AG class ids) and P (person, object)
pairs. Spatial attention runs over the P pairs of a frame; temporal attention runs, per pair, from the
current frame to the same track pair's spatially refined embeddings in the previous ``window - 1``
frames (DSG-DETR-style grouping by track, causal so that it streams: one call per frame).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torchvision.ops import roi_align
from vsgg_training.pals.config import (
    IMAGE_SIZE,
    NUM_ATTENTION,
    NUM_CLASSES,
    NUM_CONTACTING,
    NUM_SPATIAL,
    ModelConfig,
)

STRIDE = 8
GEOMETRY = 12
NEG = -1e4  # additive mask value; finite so FP16 graphs stay NaN-free


class TinyBackbone(nn.Module):
    """Four 3x3 conv stages to stride 8; takes uint8 HWC RGB so callers need no preprocessing.

    A real-data run swaps this for a pretrained trunk with the same contract (image -> [1, C, H/8, W/8]),
    e.g. ``torchvision.models.resnet50(weights=...)`` cut after ``layer2`` (stride 8, 512 channels) or
    ``timm.create_model("resnet50", features_only=True, out_indices=(2,))``; ``channels`` then follows it.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()

        def stage(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

        self.body = nn.Sequential(
            stage(3, 16, 2), stage(16, 32, 2), stage(32, channels, 2), stage(channels, channels, 1)
        )

    def forward(self, image: Tensor) -> Tensor:
        return self.body(to_unit(image))


HEAD_CY, HEAD_HALF = 0.085, 0.12  # SynthRoom person boxes: head centre 0.085 h below the top, radius 0.062 h


def to_unit(image: Tensor) -> Tensor:
    """uint8 NHWC RGB -> float NCHW in [-0.5, 0.5] (what the backbone and the head crop read)."""
    return image.permute(0, 3, 1, 2).to(torch.float32) * (1.0 / 255.0) - 0.5


def head_boxes(rois: Tensor) -> Tensor:
    """[N, 5] (image index, person box) -> the square around where the head sits (centred, near the top),
    with margin for a detector's jitter; its side scales with the box height."""
    x0, y0, x1, y1 = rois[:, 1], rois[:, 2], rois[:, 3], rois[:, 4]
    h = (y1 - y0).clamp(min=1.0)
    cx, cy, half = (x0 + x1) * 0.5, y0 + HEAD_CY * h, HEAD_HALF * h
    return torch.stack([rois[:, 0], cx - half, cy - half, cx + half, cy + half], dim=1)


class HeadEncoder(nn.Module):
    """Small CNN over a full-resolution head crop: the face disc and eyes that decide attention are a few
    pixels wide, below one cell of the stride-8 trunk. Trained with the relation loss (no BatchNorm)."""

    def __init__(self, side: int, out: int = 64) -> None:
        super().__init__()
        self.side = side
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, 2, 1), nn.ReLU(),
        )  # fmt: skip
        cells = (side + 3) // 4
        self.proj = nn.Sequential(nn.Linear(32 * cells * cells, out), nn.ReLU())

    def forward(self, image: Tensor, rois: Tensor) -> Tensor:
        """``image`` float NCHW (``to_unit``); ``rois`` [N, 5] person boxes -> [N, out]."""
        crops = roi_align(image, head_boxes(rois), (self.side, self.side), 1.0, 2, True)
        return self.proj(self.body(crops).flatten(1))


def box_geometry(sub: Tensor, obj: Tensor) -> Tensor:
    """Relative placement of object to subject (normalised offsets, log size ratios) plus both boxes."""
    w, h = float(IMAGE_SIZE[0]), float(IMAGE_SIZE[1])
    sw = (sub[:, 2] - sub[:, 0]).clamp(min=1.0)
    sh = (sub[:, 3] - sub[:, 1]).clamp(min=1.0)
    ow = (obj[:, 2] - obj[:, 0]).clamp(min=1.0)
    oh = (obj[:, 3] - obj[:, 1]).clamp(min=1.0)
    scx, scy = (sub[:, 0] + sub[:, 2]) * 0.5, (sub[:, 1] + sub[:, 3]) * 0.5
    ocx, ocy = (obj[:, 0] + obj[:, 2]) * 0.5, (obj[:, 1] + obj[:, 3]) * 0.5
    rel = torch.stack(
        [(ocx - scx) / sw, (ocy - scy) / sh, torch.log(ow / sw), torch.log(oh / sh), (obj[:, 3] - sub[:, 3]) / sh],
        dim=1,
    )
    scale = sub.new_tensor([w, h, w, h])
    ix = (torch.minimum(sub[:, 2], obj[:, 2]) - torch.maximum(sub[:, 0], obj[:, 0])).clamp(min=0)
    iy = (torch.minimum(sub[:, 3], obj[:, 3]) - torch.maximum(sub[:, 1], obj[:, 1])).clamp(min=0)
    inside = (ix * iy / (ow * oh)).unsqueeze(1)
    centre = torch.stack([ocx / w, ocy / h], dim=1)
    return torch.cat([rel, inside, sub / scale, centre], dim=1)


def union_masks(sub: Tensor, obj: Tensor, size: int) -> Tensor:
    """STTran's two binary box masks (subject, object) rasterised inside the union box, [P, 2, size, size]."""
    ux0 = torch.minimum(sub[:, 0], obj[:, 0])
    uy0 = torch.minimum(sub[:, 1], obj[:, 1])
    ux1 = torch.maximum(sub[:, 2], obj[:, 2])
    uy1 = torch.maximum(sub[:, 3], obj[:, 3])
    steps = (torch.arange(size, dtype=sub.dtype, device=sub.device) + 0.5) / size
    xs = ux0[:, None] + (ux1 - ux0)[:, None] * steps[None, :]
    ys = uy0[:, None] + (uy1 - uy0)[:, None] * steps[None, :]

    def raster(b: Tensor) -> Tensor:
        inx = ((xs >= b[:, 0:1]) & (xs <= b[:, 2:3])).to(sub.dtype)
        iny = ((ys >= b[:, 1:2]) & (ys <= b[:, 3:4])).to(sub.dtype)
        return iny[:, :, None] * inx[:, None, :]

    return torch.stack([raster(sub), raster(obj)], dim=1)


class PairEncoder(nn.Module):
    """R0 from subject/object RoI features, the union feature (+ box masks), class embeddings, geometry."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        roi_dim = cfg.channels * cfg.roi * cfg.roi
        self.roi, self.mask_size = cfg.roi, cfg.mask_size
        self.obj_proj = nn.Sequential(nn.Linear(roi_dim, cfg.d_model), nn.ReLU())
        self.union_proj = nn.Sequential(nn.Linear(roi_dim + 2 * cfg.mask_size**2, cfg.d_model), nn.ReLU())
        self.embed = nn.Embedding(NUM_CLASSES, 32)
        self.geo = nn.Sequential(nn.Linear(GEOMETRY, 32), nn.ReLU())
        self.head = HeadEncoder(cfg.head_crop) if cfg.head_crop > 0 else None
        head_dim = 64 if self.head is not None else 0
        self.fuse = nn.Sequential(
            nn.Linear(3 * cfg.d_model + 2 * 32 + 32 + head_dim, cfg.d_model), nn.ReLU(), nn.LayerNorm(cfg.d_model)
        )
        if cfg.dropout > 0:  # only when asked: a p = 0 module would still draw from the RNG in training
            self.fuse.append(nn.Dropout(cfg.dropout))

    def forward(
        self,
        feat: Tensor,
        rois: Tensor,
        labels: Tensor,
        pairs: Tensor,
        pair_rois: Tensor,
        image: Tensor | None = None,
        subjects: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        """``rois``: [N, 5] (image index, box) per object; ``pair_rois``: [P, 5] (image index, union box);
        ``image``: the frames as float NCHW (``to_unit``), needed only with a head crop. ``subjects``
        (distinct subject object indices, each pair's row among them) lets training crop each person once
        instead of once per pair; the exported graph crops per pair (no Unique operator)."""
        scale = 1.0 / STRIDE
        obj = self.obj_proj(roi_align(feat, rois, (self.roi, self.roi), scale, 2, True).flatten(1))
        sub_box, obj_box = rois[pairs[:, 0], 1:], rois[pairs[:, 1], 1:]
        union = roi_align(feat, pair_rois, (self.roi, self.roi), scale, 2, True).flatten(1)
        union = self.union_proj(torch.cat([union, union_masks(sub_box, obj_box, self.mask_size).flatten(1)], 1))
        cls = self.embed(labels)
        parts = [obj[pairs[:, 0]], obj[pairs[:, 1]], union, cls[pairs[:, 0]], cls[pairs[:, 1]]]
        if self.head is not None:
            if image is None:
                raise ValueError("a head-crop model needs the image")
            if subjects is None:
                parts.append(self.head(image, rois[pairs[:, 0]]))
            else:
                parts.append(self.head(image, rois[subjects[0]])[subjects[1]])
        return self.fuse(torch.cat([*parts, self.geo(box_geometry(sub_box, obj_box))], 1))


def union_rois(rois: Tensor, pairs: Tensor) -> Tensor:
    s, o = rois[pairs[:, 0]], rois[pairs[:, 1]]
    return torch.cat([s[:, :1], torch.minimum(s[:, 1:3], o[:, 1:3]), torch.maximum(s[:, 3:5], o[:, 3:5])], dim=1)


def attention_weights(logits: Tensor, gate: Tensor | None, key_mask: Tensor | None = None) -> Tensor:
    """softmax(logits * sigmoid(G) + mask) over the last axis (paper eq. 6; plain when ``gate`` is None).

    ``logits`` [B, heads, Lq, Lk] = QK^T / sqrt(d_k); ``gate`` G = P_q P_k^T [B, Lq, Lk], shared by
    every head; ``key_mask`` [B, Lk] additive (0 or NEG), applied after gating so it stays NEG."""
    if gate is not None:
        logits = logits * torch.sigmoid(gate).unsqueeze(-3)
    if key_mask is not None:
        logits = logits + key_mask[:, None, None, :]
    return torch.softmax(logits, dim=-1)


class PamBlock(nn.Module):
    """One attention block updating R and P: softmax(QK^T/sqrt(d) * sigmoid(P P^T)) V (paper eq. 6).

    ``pam=False`` leaves the logits ungated (PALS without PAM, or the baseline without any P).
    R is updated through attention + FFN, P through a projection MLP of the attention output, both
    residual with LayerNorm (post-norm, as STTran's transformer).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.heads, self.dk = cfg.heads, cfg.d_model // cfg.heads
        self.q = nn.Linear(cfg.d_model, cfg.d_model)
        self.k = nn.Linear(cfg.d_model, cfg.d_model)
        self.v = nn.Linear(cfg.d_model, cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.ffn = nn.Sequential(nn.Linear(cfg.d_model, cfg.ffn), nn.ReLU(), nn.Linear(cfg.ffn, cfg.d_model))
        if cfg.dropout > 0:
            self.ffn.insert(2, nn.Dropout(cfg.dropout))
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.pals, self.pam = cfg.use_pals, cfg.use_pam
        if cfg.use_pals:
            self.p_proj = nn.Sequential(
                nn.Linear(cfg.d_model, cfg.d_affinity), nn.ReLU(), nn.Linear(cfg.d_affinity, cfg.d_affinity)
            )
            self.p_norm = nn.LayerNorm(cfg.d_affinity)

    def _split(self, x: Tensor) -> Tensor:
        return x.unflatten(-1, (self.heads, self.dk)).transpose(-3, -2)

    def forward(self, rq: Tensor, pq: Tensor, rk: Tensor, pk: Tensor, key_mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """Queries [B, Lq, d], keys [B, Lk, d]; ``key_mask`` [B, Lk] additive (0 or NEG) or None."""
        q, k, v = self._split(self.q(rq)), self._split(self.k(rk)), self._split(self.v(rk))
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.dk)
        gate = pq @ pk.transpose(-1, -2) if self.pam else None
        att = attention_weights(logits, gate, key_mask) @ v
        att = self.out(att.transpose(-3, -2).flatten(-2))
        r = self.norm1(rq + att)
        r = self.norm2(r + self.ffn(r))
        p = self.p_norm(pq + self.p_proj(att)) if self.pals else pq
        return r, p


class PalsRelationModel(nn.Module):
    """Backbone + pair encoder + spatial/temporal PAM blocks + AG predicate heads + pair affinity."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = TinyBackbone(cfg.channels)
        self.encoder = PairEncoder(cfg)
        dp = cfg.d_affinity
        self.p_init = nn.Sequential(nn.Linear(cfg.d_model, 64), nn.LayerNorm(64), nn.ReLU(), nn.Linear(64, dp))
        self.spatial = nn.ModuleList(PamBlock(cfg) for _ in range(cfg.spatial_layers))
        self.temporal = nn.ModuleList(PamBlock(cfg) for _ in range(cfg.temporal_layers))
        self.attention_head = nn.Linear(cfg.d_model, NUM_ATTENTION)
        self.spatial_head = nn.Linear(cfg.d_model, NUM_SPATIAL)
        self.contacting_head = nn.Linear(cfg.d_model, NUM_CONTACTING)
        self.pa_head = nn.Sequential(nn.Linear(dp, dp), nn.ReLU(), nn.Linear(dp, 1))

    def init_pairs(
        self,
        feat: Tensor,
        rois: Tensor,
        labels: Tensor,
        pairs: Tensor,
        image: Tensor | None = None,
        subjects: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """``image`` (float NCHW, ``to_unit``) and ``subjects`` are read only by the head crop."""
        r0 = self.encoder(feat, rois, labels, pairs, union_rois(rois, pairs), image, subjects)
        return r0, self.p_init(r0)

    def spatial_step(self, r: Tensor, p: Tensor, key_mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """Spatial attention over the pairs of each frame: r [F, P, d], p [F, P, dp]."""
        for block in self.spatial:
            r, p = block(r, p, r, p, key_mask)
        return r, p

    def temporal_step(
        self, r: Tensor, p: Tensor, past_r: Tensor, past_p: Tensor, past_valid: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Per pair, the current embedding attends to its own window: r [P, d], past_r [P, W-1, d]."""
        rq, pq = r.unsqueeze(1), p.unsqueeze(1)
        mask = torch.cat([(1.0 - past_valid) * NEG, torch.zeros_like(past_valid[:, :1])], dim=1)
        for block in self.temporal:
            rk = torch.cat([past_r, rq], dim=1)
            pk = torch.cat([past_p, pq], dim=1)
            rq, pq = block(rq, pq, rk, pk, mask)
        return rq.squeeze(1), pq.squeeze(1)

    def decode(self, r: Tensor, p: Tensor) -> dict[str, Tensor]:
        """Raw outputs (logits) of the four heads."""
        return {
            "attention": self.attention_head(r),
            "spatial": self.spatial_head(r),
            "contacting": self.contacting_head(r),
            "affinity": self.pa_head(p).squeeze(-1),
        }


class PalsStreamingGraph(nn.Module):
    """What the ONNX holds: one frame in, per-pair scores and the embeddings to carry out.

    Inputs: image uint8 [1, H, W, 3]; boxes float [N, 4]; labels int64 [N]; pairs int64 [P, 2]
    (subject, object indices into the objects); past_r [P, W-1, d], past_p [P, W-1, dp] and
    past_valid [P, W-1] (1 where the pair existed in that earlier frame). Outputs are probabilities
    (attention softmax, spatial/contacting sigmoid, affinity sigmoid) and the current frame's
    spatially refined r, p to carry into the next frames' windows.
    """

    def __init__(self, model: PalsRelationModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        image: Tensor,
        boxes: Tensor,
        labels: Tensor,
        pairs: Tensor,
        past_r: Tensor,
        past_p: Tensor,
        past_valid: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        m = self.model
        unit = to_unit(image)
        feat = m.backbone.body(unit)
        rois = torch.cat([torch.zeros_like(boxes[:, :1]), boxes], dim=1)
        r, p = m.init_pairs(feat, rois, labels, pairs, unit if m.cfg.head_crop > 0 else None)
        r, p = m.spatial_step(r.unsqueeze(0), p.unsqueeze(0), None)
        r, p = r.squeeze(0), p.squeeze(0)
        rt, pt = m.temporal_step(r, p, past_r, past_p, past_valid)
        out = m.decode(rt, pt)
        affinity = torch.sigmoid(out["affinity"]) if m.cfg.use_pals else torch.ones_like(out["affinity"])
        return (
            torch.softmax(out["attention"], dim=-1),
            torch.sigmoid(out["spatial"]),
            torch.sigmoid(out["contacting"]),
            affinity,
            r,
            p,
        )
