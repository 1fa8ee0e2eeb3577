"""The VOST-SGG network (paper Sec. 3.3-3.5) on the OED layout, written for batch B and ONNX export.

One frame -> triplet representation (``frame_forward``): backbone + image encoder; subject-object
decoder whose N queries carry DSQI content (Linear(concat(sub_t, obj_t)) on the first x queries, zero
elsewhere) plus learned position queries; predicate decoder with Linear(pred_t) content and the
subject-object outputs as position queries, cross-attending to the multi-modal encoder's output
(MMFB) or, without MMFB, to the image memory as in OED; Q_tri = concat(Q_so', Q_p').
Then ``aggregate`` lets the target frame's triplets attend to the reference frames' triplets
(temporal aggregation) and the heads read boxes, classes and the three AG predicate groups.
Attention is a hand-written module with additive masks (no key_padding_mask), so every masked
memory also holds one learned null token and a softmax never sees an all-masked row.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn
from vsgg_training.vost.config import NUM_ATTENTION, NUM_CLASSES, NUM_CONTACTING, NUM_SPATIAL, ModelConfig

NEG = -1e4  # additive mask for padded keys; finite so fp16 export stays finite


def spatial_features(boxes: Tensor) -> Tensor:
    """Eq. 8's 12 numbers from [..., 8] normalised (subject xyxy, object xyxy) boxes.

    concat(b_sub, b_obj, c_sub - c_obj, a_sub, a_obj): 4 + 4 + 2 + 1 + 1.
    """
    sub, obj = boxes[..., :4], boxes[..., 4:]
    c_sub = (sub[..., :2] + sub[..., 2:]) / 2
    c_obj = (obj[..., :2] + obj[..., 2:]) / 2
    a_sub = ((sub[..., 2] - sub[..., 0]) * (sub[..., 3] - sub[..., 1])).unsqueeze(-1)
    a_obj = ((obj[..., 2] - obj[..., 0]) * (obj[..., 3] - obj[..., 1])).unsqueeze(-1)
    return torch.cat([sub, obj, c_sub - c_obj, a_sub, a_obj], -1)


def sine_1d(positions: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding of float positions [...] -> [..., dim]."""
    half = dim // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / max(half, 1)))
    angles = positions.unsqueeze(-1) * freq
    return torch.cat([angles.sin(), angles.cos()], -1)


def sine_2d(h: int, w: int, dim: int) -> Tensor:
    """DETR-style 2-D sinusoidal position of an h x w map, flattened to [h*w, dim]."""
    ys = torch.arange(h, dtype=torch.float32).unsqueeze(1).expand(h, w).reshape(-1)
    xs = torch.arange(w, dtype=torch.float32).unsqueeze(0).expand(h, w).reshape(-1)
    return torch.cat([sine_1d(ys, dim // 2), sine_1d(xs, dim // 2)], -1)


def assign_to_queries(content: Tensor, queries: int) -> Tensor:
    """[B, K, d] cue rows -> [B, N, d]: cue k fills query k, queries past K stay zero, cues past N drop."""
    k = content.shape[1]
    onehot = (torch.arange(k).unsqueeze(1) == torch.arange(queries).unsqueeze(0)).to(content.dtype)
    return torch.einsum("kn,bkd->bnd", onehot, content)


class Attention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None = None) -> Tensor:
        b, n, d = q.shape
        h = self.heads

        def split(x: Tensor) -> Tensor:
            return x.reshape(b, x.shape[1], h, d // h).transpose(1, 2)

        scores = split(self.q(q)) @ split(self.k(k)).transpose(-1, -2) / math.sqrt(d // h)
        if bias is not None:
            scores = scores + bias[:, None, None, :]
        out = torch.softmax(scores, -1) @ split(self.v(v))
        return self.o(out.transpose(1, 2).reshape(b, n, d))


class EncoderLayer(nn.Module):
    def __init__(self, d: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.attn = Attention(d, heads)
        self.ffn = nn.Sequential(nn.Linear(d, ffn), nn.ReLU(), nn.Linear(ffn, d))
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, x: Tensor, pos: Tensor, bias: Tensor | None = None) -> Tensor:
        x = self.n1(x + self.attn(x + pos, x + pos, x, bias))
        return self.n2(x + self.ffn(x))


class DecoderLayer(nn.Module):
    """DETR decoder layer: position queries added to queries and keys at every layer (Eq. 3a, 3b)."""

    def __init__(self, d: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.self_attn, self.cross_attn = Attention(d, heads), Attention(d, heads)
        self.ffn = nn.Sequential(nn.Linear(d, ffn), nn.ReLU(), nn.Linear(ffn, d))
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, tgt: Tensor, pos: Tensor, mem: Tensor, mem_pos: Tensor, bias: Tensor | None = None) -> Tensor:
        q = tgt + pos
        tgt = self.n1(tgt + self.self_attn(q, q, tgt))
        tgt = self.n2(tgt + self.cross_attn(tgt + pos, mem + mem_pos, mem, bias))
        return self.n3(tgt + self.ffn(tgt))


def mlp(d_in: int, d_hidden: int, d_out: int, layers: int = 3) -> nn.Sequential:
    mods: list[nn.Module] = []
    dims = [d_in] + [d_hidden] * (layers - 1)
    for a, b in itertools.pairwise(dims):
        mods += [nn.Linear(a, b), nn.ReLU()]
    mods.append(nn.Linear(dims[-1], d_out))
    return nn.Sequential(*mods)


def conv_block(c_in: int, c_out: int, norm: bool) -> list[nn.Module]:
    """3x3 stride-2 convolution (+ BatchNorm, which folds into the convolution at export) + ReLU."""
    if norm:
        return [nn.Conv2d(c_in, c_out, 3, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    return [nn.Conv2d(c_in, c_out, 3, 2, 1), nn.ReLU()]


class Backbone(nn.Module):
    """Stride-2 convolutions (four for stride 16, three for 8): a stand-in for the paper's ResNet-50 (no hub
    weights here). BatchNorm (``norm``) is what lets this from-scratch stack learn in a few CPU epochs.
    """

    def __init__(self, channels: int, d: int, norm: bool = True, stride: int = 16) -> None:
        super().__init__()
        c = channels
        widths = [3, c // 2, c, c, c][: 1 + {8: 3, 16: 4}[stride]]
        blocks = [m for a, b in itertools.pairwise(widths) for m in conv_block(a, b, norm)]
        self.body = nn.Sequential(*blocks, nn.Conv2d(c, d, 1))

    def forward(self, image: Tensor) -> Tensor:
        x = image.permute(0, 3, 1, 2).float() / 255.0 - 0.5
        return self.body(x)


class VostSGG(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d, h, f = cfg.d_model, cfg.heads, cfg.ffn
        self.backbone = Backbone(cfg.channels, d, cfg.backbone_norm, cfg.stride)
        self.encoder = nn.ModuleList(EncoderLayer(d, h, f) for _ in range(cfg.encoder_layers))
        self.query_pos = nn.Parameter(torch.randn(cfg.queries, d) * 0.1)  # W in Eq. 6
        self.so_content = nn.Linear(2 * cfg.text_dim, d)  # Eq. 6
        self.p_content = nn.Linear(cfg.text_dim, d)  # Eq. 7
        self.so_decoder = nn.ModuleList(DecoderLayer(d, h, f) for _ in range(cfg.so_layers))
        self.p_decoder = nn.ModuleList(DecoderLayer(d, h, f) for _ in range(cfg.predicate_layers))
        self.text_proj = nn.Linear(cfg.text_dim, d)
        self.visual_proj = nn.Linear(cfg.visual_dim, d)
        self.spatial = nn.Linear(12, d)  # Eq. 8
        self.token_type = nn.Parameter(torch.randn(7, d) * 0.1)  # sub_t obj_t pred_t sub_v obj_v pred_v s
        self.mm_null = nn.Parameter(torch.zeros(1, 1, d))
        self.mm_encoder = nn.ModuleList(EncoderLayer(d, h, f) for _ in range(cfg.mm_layers))
        self.temporal = nn.ModuleList(DecoderLayer(2 * d, h, 2 * f) for _ in range(cfg.temporal_layers))
        self.ref_null = nn.Parameter(torch.zeros(1, 1, 2 * d))
        self.sub_cls = nn.Linear(d, NUM_CLASSES + 1)
        self.obj_cls = nn.Linear(d, NUM_CLASSES + 1)
        self.sub_box = mlp(d, d, 4)
        self.obj_box = mlp(d, d, 4)
        # Learned per-query reference boxes (logit cxcywh); the box heads predict offsets from them.
        # Centres spread uniformly over the image so the queries start on different places.
        ref = torch.cat([torch.rand(cfg.queries, 2) * 0.8 + 0.1, torch.full((cfg.queries, 2), 0.15)], -1)
        self.sub_ref = nn.Parameter(torch.logit(ref))
        self.obj_ref = nn.Parameter(torch.logit(ref.roll(1, 0)))
        self.ref_scale = 1.0 if cfg.ref_boxes else 0.0  # 0: plain DETR boxes, sigmoid(MLP)
        self.anchor_pos = mlp(8, d, d) if cfg.cue_anchors else None
        self.attention = nn.Linear(d, NUM_ATTENTION)
        self.spatial_cls = nn.Linear(d, NUM_SPATIAL)
        self.contacting = nn.Linear(d, NUM_CONTACTING)
        prior = -math.log((1 - 0.01) / 0.01)  # focal-loss prior: start predicate scores near 0.01
        for head in (self.attention, self.spatial_cls, self.contacting):
            nn.init.constant_(head.bias, prior)

    def encode_image(self, image: Tensor) -> tuple[Tensor, Tensor]:
        feat = self.backbone(image)
        b, d, h, w = feat.shape
        mem = feat.flatten(2).transpose(1, 2)
        pos = sine_2d(h, w, d).unsqueeze(0)
        for layer in self.encoder:
            mem = layer(mem, pos)
        return mem, pos.expand(b, -1, -1)

    def content_queries(self, text: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        """DSQI (Eq. 6, 7): per-cue content for the subject-object and predicate queries, [B, N, d] each."""
        b, n, d = text.shape[0], self.cfg.queries, self.cfg.d_model
        if not self.cfg.use_dsqi:
            zero = text.new_zeros(b, n, d)
            return zero, zero
        gate = valid.unsqueeze(-1)
        so = self.so_content(torch.cat([text[:, :, 0], text[:, :, 1]], -1)) * gate
        p = self.p_content(text[:, :, 2]) * gate
        return assign_to_queries(so, n), assign_to_queries(p, n)

    def feature_bank(self, text: Tensor, visual: Tensor, boxes: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        """Eq. 9 then the multi-modal encoder: F_MM [B, 1 + 7K, d] and its additive key mask."""
        b, k, _ = boxes.shape
        d = self.cfg.d_model
        tokens = torch.cat(
            [self.text_proj(text), self.visual_proj(visual), self.spatial(spatial_features(boxes))[:, :, None]], 2
        )
        tokens = tokens + self.token_type
        cue_pos = sine_1d(torch.arange(k, dtype=torch.float32), d)[None, :, None, :]
        tokens = tokens.reshape(b, k * 7, d)
        pos = cue_pos.expand(b, k, 7, d).reshape(b, k * 7, d)
        tokens = torch.cat([self.mm_null.expand(b, 1, d), tokens], 1)
        pos = torch.cat([pos.new_zeros(b, 1, d), pos], 1)
        keep = torch.cat([valid.new_ones(b, 1), valid.unsqueeze(-1).expand(b, k, 7).reshape(b, k * 7)], 1)
        bias = (1.0 - keep) * NEG
        for layer in self.mm_encoder:
            tokens = layer(tokens, pos, bias)
        return tokens, bias

    def references(self, boxes: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        """Subject and object reference boxes (logit cxcywh) per query, [B, N, 4] each.

        Learned per query; with ``cue_anchors`` a cued query starts from its cue's boxes instead (the VLM's
        boxes, as two-stage DETRs start queries from proposals), so the query that carries "person, cup"
        also looks where the VLM saw them. Queries without a valid cue keep their learned boxes.
        """
        b, n = boxes.shape[0], self.cfg.queries
        sub, obj = self.sub_ref.expand(b, n, 4), self.obj_ref.expand(b, n, 4)
        if not self.cfg.cue_anchors:
            return sub, obj
        cued = assign_to_queries(valid.unsqueeze(-1), n)  # [B, N, 1]: 1 where a valid cue fills the query

        def logit_cxcywh(xyxy: Tensor) -> Tensor:
            cx, cy = (xyxy[..., 0] + xyxy[..., 2]) / 2, (xyxy[..., 1] + xyxy[..., 3]) / 2
            w, h = xyxy[..., 2] - xyxy[..., 0], xyxy[..., 3] - xyxy[..., 1]
            return torch.logit(torch.stack([cx, cy, w, h], -1).clamp(1e-3, 1 - 1e-3))

        cue_sub = assign_to_queries(logit_cxcywh(boxes[..., :4]), n)
        cue_obj = assign_to_queries(logit_cxcywh(boxes[..., 4:]), n)
        return cued * cue_sub + (1 - cued) * sub, cued * cue_obj + (1 - cued) * obj

    def frame_layers(self, image: Tensor, text: Tensor, visual: Tensor, boxes: Tensor, valid: Tensor) -> list[Tensor]:
        """Q_tri after every decoder depth, [B, N, 2d] each; the last is the frame's output (Eq. 5).

        Depth i pairs subject-object layer min(i, L_so - 1) with predicate layer min(i, L_p - 1); the
        earlier depths only feed the auxiliary losses (DETR / OED supervise every decoder layer).
        """
        mem, mem_pos = self.encode_image(image)
        so_content, p_content = self.content_queries(text, valid)
        pos = self.query_pos.unsqueeze(0).expand(image.shape[0], -1, -1)
        if self.anchor_pos is not None:  # cued queries' positions also encode the cue's boxes
            pos = pos + assign_to_queries(self.anchor_pos(boxes) * valid.unsqueeze(-1), self.cfg.queries)
        so_outs, so = [], so_content
        for layer in self.so_decoder:
            so = layer(so, pos, mem, mem_pos)
            so_outs.append(so)
        if self.cfg.use_mmfb:
            bank, bias = self.feature_bank(text, visual, boxes, valid)
            p_mem, p_pos, p_bias = bank, torch.zeros_like(bank), bias
        else:
            p_mem, p_pos, p_bias = mem, mem_pos, None
        p_outs, p = [], p_content
        for layer in self.p_decoder:
            p = layer(p, so, p_mem, p_pos, p_bias)
            p_outs.append(p)
        depth = max(len(so_outs), len(p_outs))
        return [
            torch.cat([so_outs[min(i, len(so_outs) - 1)], p_outs[min(i, len(p_outs) - 1)]], -1) for i in range(depth)
        ]

    def frame_forward(self, image: Tensor, text: Tensor, visual: Tensor, boxes: Tensor, valid: Tensor) -> Tensor:
        """One frame's triplet representation Q_tri = concat(Q_so', Q_p'), [B, N, 2d] (Eq. 5)."""
        return self.frame_layers(image, text, visual, boxes, valid)[-1]

    def aggregate(self, tri: Tensor, ref_tri: Tensor, ref_valid: Tensor) -> Tensor:
        """Temporal aggregation: target triplets [B, N, 2d] attend to reference triplets [B, R, N, 2d]."""
        b, r, n, d2 = ref_tri.shape
        age = (r - torch.arange(r, dtype=torch.float32)).reshape(1, r, 1).expand(b, r, n)
        mem_pos = torch.cat([tri.new_zeros(b, 1, d2), sine_1d(age, d2).reshape(b, r * n, d2)], 1)
        mem = torch.cat([self.ref_null.expand(b, 1, d2), ref_tri.reshape(b, r * n, d2)], 1)
        keep = torch.cat([ref_valid.new_ones(b, 1), ref_valid.unsqueeze(-1).expand(b, r, n).reshape(b, r * n)], 1)
        bias = (1.0 - keep) * NEG
        pos = torch.cat([self.query_pos, self.query_pos], -1).unsqueeze(0)
        out = tri
        for layer in self.temporal:
            out = layer(out, pos, mem, mem_pos, bias)
        return out

    def heads(self, tri: Tensor, refs: tuple[Tensor, Tensor] | None = None) -> dict[str, Tensor]:
        """Class, box and predicate outputs; ``refs`` from :meth:`references` (None: the learned boxes)."""
        d = self.cfg.d_model
        so, p = tri[..., :d], tri[..., d:]
        sub_ref, obj_ref = (self.sub_ref, self.obj_ref) if refs is None else refs
        return {
            "sub_logits": self.sub_cls(so),
            "obj_logits": self.obj_cls(so),
            "sub_boxes": (self.sub_box(so) + sub_ref * self.ref_scale).sigmoid(),  # normalised cx, cy, w, h
            "obj_boxes": (self.obj_box(so) + obj_ref * self.ref_scale).sigmoid(),
            "pred_logits": torch.cat([self.attention(p), self.spatial_cls(p), self.contacting(p)], -1),
        }


def cxcywh_to_xyxy(b: Tensor) -> Tensor:
    cx, cy, w, h = b.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


class VostStreamingGraph(nn.Module):
    """The exported per-frame call: batch 1, probabilities out, boxes as normalised xyxy."""

    def __init__(self, model: VostSGG) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, image: Tensor, cue_text: Tensor, cue_visual: Tensor, cue_boxes: Tensor, cue_valid: Tensor,
        ref_tri: Tensor, ref_valid: Tensor,
    ) -> tuple[Tensor, ...]:  # fmt: skip
        m = self.model
        tri = m.frame_forward(image, cue_text[None], cue_visual[None], cue_boxes[None], cue_valid[None])
        refs = m.references(cue_boxes[None], cue_valid[None])
        out = m.heads(m.aggregate(tri, ref_tri[None], ref_valid[None]), refs)
        return (
            torch.softmax(out["sub_logits"][0], -1),
            torch.softmax(out["obj_logits"][0], -1),
            cxcywh_to_xyxy(out["sub_boxes"][0]),
            cxcywh_to_xyxy(out["obj_boxes"][0]),
            torch.sigmoid(out["pred_logits"][0]),
            tri[0],
        )
