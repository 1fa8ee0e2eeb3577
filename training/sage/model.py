"""SAGE networks: frozen region features, semantic-teacher fusion, spatio-temporal transformers, prompt encoder.

Per frame a graph sees P ordered (subject, object) pairs. Each pair has four visual streams (subject, object,
union, background = full frame; RoIAlign on a frozen encoder), a motion token (normalised box history and
spatial configuration through an MLP) and four teacher sentences (F_text). Fusion follows eqs. 4-5
(self-attention per modality, cross-attention with F_text as queries, F_vis + F_att); a spatial transformer
over the streams and the motion token feeds object classification (subject/object streams) and, per stream,
a causal temporal transformer over the pair's streams in the ``window`` previous frames. V_vr is the
concatenation of the four streams (eq. 6), scored against the text classifier by cosine / tau (eq. 11).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchvision.ops import roi_align
from vsgg_training.sage.config import IMAGE_SIZE, ModelConfig

STRIDE = 8
STREAMS = 4
SPATIAL = 8
NEG = -1e4  # additive mask value; finite so FP16 graphs stay NaN-free
RESIDUAL = 0.1  # prompt output scale: keeps Adam's first steps from throwing F'_L far off W_clip


class FrozenVisualEncoder(nn.Module):
    """Stand-in for CLIP's image tower on a CPU: a seeded random conv stack, never trained (the paper freezes
    CLIP). A GPU run swaps in ``open_clip``/``transformers`` CLIP with the same contract (image -> [1, C, h, w]).
    """

    def __init__(self, channels: int, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        convs = []
        for cin, cout in ((3, 16), (16, 32), (32, channels)):
            conv = nn.Conv2d(cin, cout, 3, 2, 1)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * math.sqrt(2.0 / (cin * 9)))
                conv.bias.zero_()
            convs += [conv, nn.ReLU()]
        self.body = nn.Sequential(*convs)
        self.requires_grad_(False)

    def forward(self, image: Tensor) -> Tensor:
        x = image.permute(0, 3, 1, 2).to(torch.float32) * (1.0 / 255.0) - 0.5
        return self.body(x)


def region_features(feat: Tensor, boxes: Tensor, pairs: Tensor, roi: int) -> Tensor:
    """[P, 4, C*roi*roi]: RoIAlign of subject, object, union and whole-frame boxes."""
    w, h = IMAGE_SIZE
    sub, obj = boxes[pairs[:, 0]], boxes[pairs[:, 1]]
    union = torch.cat([torch.minimum(sub[:, :2], obj[:, :2]), torch.maximum(sub[:, 2:], obj[:, 2:])], 1)
    frame = torch.zeros_like(sub) + sub.new_tensor([0.0, 0.0, w - 1.0, h - 1.0])
    stacked = torch.stack([sub, obj, union, frame], 1).reshape(-1, 4)
    rois = torch.cat([torch.zeros_like(stacked[:, :1]), stacked], 1)
    out = roi_align(feat, rois, (roi, roi), 1.0 / STRIDE, 2, True)
    return out.reshape(sub.shape[0], STREAMS, -1)


def spatial_config(sub: Tensor, obj: Tensor) -> Tensor:
    """[P, 8]: object relative to subject (offsets, log size ratios), overlap share, bottom gap, distance."""
    sw, sh = (sub[:, 2] - sub[:, 0]).clamp(min=1.0), (sub[:, 3] - sub[:, 1]).clamp(min=1.0)
    ow, oh = (obj[:, 2] - obj[:, 0]).clamp(min=1.0), (obj[:, 3] - obj[:, 1]).clamp(min=1.0)
    dx = ((obj[:, 0] + obj[:, 2]) - (sub[:, 0] + sub[:, 2])) * 0.5 / sw
    dy = ((obj[:, 1] + obj[:, 3]) - (sub[:, 1] + sub[:, 3])) * 0.5 / sh
    ix = (torch.minimum(sub[:, 2], obj[:, 2]) - torch.maximum(sub[:, 0], obj[:, 0])).clamp(min=0)
    iy = (torch.minimum(sub[:, 3], obj[:, 3]) - torch.maximum(sub[:, 1], obj[:, 1])).clamp(min=0)
    inside = ix * iy / (ow * oh)
    parts = [dx, dy, torch.log(ow / sw), torch.log(oh / sh), inside, (obj[:, 3] - sub[:, 3]) / sh]
    parts += [torch.sqrt(dx * dx + dy * dy + 1e-6), ix * iy / (sw * sh)]
    return torch.stack(parts, 1)


def motion_input(history: Tensor) -> Tensor:
    """[P, K*8 + 16] from ``history`` [P, K, 8] (subject and object xyxy per frame, oldest first, pixels)."""
    w, h = IMAGE_SIZE
    scale = history.new_tensor([w, h, w, h, w, h, w, h])
    norm = history / scale
    delta = norm - norm[:, -1:, :]
    cur = history[:, -1]
    return torch.cat([delta.flatten(1), norm[:, -1], spatial_config(cur[:, :4], cur[:, 4:])], 1)


class Attention(nn.Module):
    """Multi-head attention with an additive key mask; plain ops so the ONNX graph stays TensorRT-friendly."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads, self.dk = heads, d // heads
        self.q, self.k, self.v, self.o = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, q: Tensor, kv: Tensor, key_mask: Tensor | None = None) -> Tensor:
        b, lq, d = q.shape
        lk = kv.shape[1]
        qh = self.q(q).reshape(b, lq, self.heads, self.dk).transpose(1, 2)
        kh = self.k(kv).reshape(b, lk, self.heads, self.dk).transpose(1, 2)
        vh = self.v(kv).reshape(b, lk, self.heads, self.dk).transpose(1, 2)
        logits = qh @ kh.transpose(-1, -2) * (1.0 / math.sqrt(self.dk))
        if key_mask is not None:
            logits = logits + key_mask[:, None, None, :]
        out = torch.softmax(logits, -1) @ vh
        return self.o(out.transpose(1, 2).reshape(b, lq, d))


class Block(nn.Module):
    """Pre-norm transformer block; ``kv`` defaults to the queries (self-attention)."""

    def __init__(self, d: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, ffn), nn.GELU(), nn.Linear(ffn, d))

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> Tensor:
        y = self.n1(x)
        x = x + self.attn(y, y, key_mask)
        return x + self.ff(self.n2(x))


class SageVisual(nn.Module):
    """Psi_st: region + motion + teacher features of P pairs -> V_vr, interaction, object embeddings, state."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.vis_proj = nn.Sequential(nn.Linear(cfg.channels * cfg.roi * cfg.roi, d), nn.LayerNorm(d))
        self.stream_embed = nn.Parameter(torch.randn(STREAMS, d) * 0.02)
        self.text_proj = nn.Sequential(nn.Linear(cfg.text_dim, d), nn.LayerNorm(d))
        self.motion = nn.Sequential(nn.Linear(cfg.motion_frames * 8 + 16, d), nn.GELU(), nn.Linear(d, d))
        self.text_self = Block(d, cfg.heads, cfg.ffn)
        self.vis_self = Block(d, cfg.heads, cfg.ffn)
        self.cross = Attention(d, cfg.heads)
        self.cross_norm = nn.LayerNorm(d)
        self.spatial = Block(d, cfg.heads, cfg.ffn)
        self.time_embed = nn.Parameter(torch.randn(cfg.window + 1, d) * 0.02)
        self.temporal = Block(d, cfg.heads, cfg.ffn)
        self.vr = nn.Linear(STREAMS * d, cfg.text_dim)
        self.obj = nn.Linear(d, cfg.text_dim)
        self.interaction = nn.Sequential(nn.Linear(STREAMS * d, d), nn.GELU(), nn.Linear(d, 1))

    def spatial_stage(self, regions: Tensor, history: Tensor, teacher: Tensor) -> Tensor:
        """[P, 4, d] spatially refined streams (eqs. 4-5, then the spatial transformer)."""
        f_vis = self.vis_proj(regions) + self.stream_embed
        if self.cfg.use_teacher:
            f_text = self.text_self(self.text_proj(teacher))
            f_vis_ref = self.vis_self(f_vis)
            f_vis = f_vis + self.cross(self.cross_norm(f_text), f_vis_ref)
        tokens = torch.cat([f_vis, self.motion(motion_input(history)).unsqueeze(1)], 1)
        return self.spatial(tokens)[:, :STREAMS]

    def temporal_stage(self, current: Tensor, past: Tensor, past_valid: Tensor) -> Tensor:
        """[P, 4, d]: each stream attends over its own ``window`` previous states and the current one."""
        p, w = past.shape[0], past.shape[1]
        seq = torch.cat([past, current.unsqueeze(1)], 1) + self.time_embed[-(w + 1) :].unsqueeze(1)
        seq = seq.permute(0, 2, 1, 3).reshape(p * STREAMS, w + 1, -1)
        valid = torch.cat([past_valid, torch.ones_like(past_valid[:, :1])], 1)
        mask = ((1.0 - valid) * NEG).repeat_interleave(STREAMS, 0)
        return self.temporal(seq, mask)[:, -1].reshape(p, STREAMS, -1)

    def heads(self, streams: Tensor, spatial: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """V_vr (L2-normalised), interaction probability, subject/object embeddings (normalised)."""
        flat = streams.flatten(1)
        v_vr = F.normalize(self.vr(flat), dim=-1)
        inter = torch.sigmoid(self.interaction(flat).squeeze(-1))
        objs = F.normalize(self.obj(spatial[:, :2]), dim=-1)
        return v_vr, inter, objs


class PromptTextEncoder(nn.Module):
    """Omega_prompt: [P_learn, class-word tokens] through layers 1..l-1, TKE tokens join at layer l (eqs. 7-9).

    ``prompt="class"``: the inserted tokens come from TKE(W_clip) (down- then up-projection), one set per
    class, independent of the image. ``prompt="instance"`` is the baseline the paper compares with
    (CoCoOp/OV-MMP style): a meta-net maps each pair's V_vr to a shift of the context tokens, so the
    classifier becomes per-pair. The output is residual on W_clip with a zero-initialised projection, so an
    untrained encoder returns W_clip exactly (stage 1 classifies against the plain class embeddings).
    """

    def __init__(self, cfg: ModelConfig, prompt: str = "class") -> None:
        super().__init__()
        self.cfg, self.prompt = cfg, prompt
        d = cfg.d_prompt
        self.tok = nn.Linear(cfg.text_dim, d)
        self.ctx = nn.Parameter(torch.randn(cfg.ctx_tokens, d) * 0.02)
        self.pos = nn.Parameter(torch.randn(cfg.ctx_tokens + cfg.max_words, d) * 0.02)
        self.layers = nn.ModuleList(Block(d, cfg.heads, 2 * d) for _ in range(cfg.text_layers))
        self.tke = nn.Sequential(
            nn.Linear(cfg.text_dim, cfg.tke_bottleneck), nn.ReLU(), nn.Linear(cfg.tke_bottleneck, cfg.prompt_tokens * d)
        )
        self.meta = nn.Sequential(
            nn.Linear(cfg.text_dim, cfg.tke_bottleneck), nn.ReLU(), nn.Linear(cfg.tke_bottleneck, d)
        )
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, cfg.text_dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def encode(self, ctx: Tensor, words: Tensor, word_mask: Tensor, inserted: Tensor | None) -> Tensor:
        """``ctx`` [B, Mc, d], ``words`` [B, T, text_dim], ``word_mask`` [B, T] (1 = word) -> pooled [B, d]."""
        x = torch.cat([ctx, self.tok(words)], 1) + self.pos[: ctx.shape[1] + words.shape[1]]
        valid = torch.cat([torch.ones_like(word_mask[:, :1]).expand(-1, ctx.shape[1]), word_mask], 1)
        for i, layer in enumerate(self.layers):
            if i == self.cfg.insert_layer - 1 and inserted is not None:
                x = torch.cat([x, inserted], 1)
                valid = torch.cat([valid, torch.ones_like(inserted[:, :, 0])], 1)
            x = layer(x, (1.0 - valid) * NEG)
        x = self.norm(x)
        return (x * valid.unsqueeze(-1)).sum(1) / valid.sum(1, keepdim=True)

    def forward(self, words: Tensor, word_mask: Tensor, w_clip: Tensor) -> Tensor:
        """Class-aware classifier F'_L [C, text_dim] (unit norm) from the class words and W_clip [C, text_dim]."""
        c = words.shape[0]
        tke = self.tke(w_clip).reshape(c, self.cfg.prompt_tokens, -1)
        pooled = self.encode(self.ctx.expand(c, -1, -1), words, word_mask, tke)
        return F.normalize(w_clip + RESIDUAL * self.out(pooled), dim=-1)

    def instance(self, words: Tensor, word_mask: Tensor, w_clip: Tensor, v_vr: Tensor) -> Tensor:
        """Instance-conditioned baseline: a per-pair classifier [P, C, text_dim] from ctx + meta(V_vr)."""
        p, c = v_vr.shape[0], words.shape[0]
        ctx = (self.ctx.unsqueeze(0) + self.meta(v_vr).unsqueeze(1)).repeat_interleave(c, 0)
        pooled = self.encode(ctx, words.repeat(p, 1, 1), word_mask.repeat(p, 1), None)
        return F.normalize(w_clip.repeat(p, 1) + RESIDUAL * self.out(pooled), dim=-1).reshape(p, c, -1)


def relation_scores(v_vr: Tensor, classifier: Tensor, tau: float) -> Tensor:
    """sigma(cos(V_vr, F'_L,r) / tau) (eq. 11); ``classifier`` [C, D] shared or [P, C, D] per pair."""
    cls = F.normalize(classifier, dim=-1)
    logits = (cls @ v_vr.unsqueeze(-1)).squeeze(-1) if cls.dim() == 3 else v_vr @ cls.t()
    return torch.sigmoid(logits / tau)


class SageFrameGraph(nn.Module):
    """The exported per-frame graph: image, pairs, history, teacher, cached classifier -> scores and state."""

    def __init__(self, encoder: FrozenVisualEncoder, visual: SageVisual) -> None:
        super().__init__()
        self.encoder, self.visual = encoder, visual

    def forward(
        self, image: Tensor, boxes: Tensor, pairs: Tensor, history: Tensor, teacher: Tensor,
        past: Tensor, past_valid: Tensor, classifier: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
        regions = region_features(self.encoder(image), boxes, pairs, self.visual.cfg.roi)
        spatial = self.visual.spatial_stage(regions, history, teacher)
        streams = self.visual.temporal_stage(spatial, past, past_valid)
        v_vr, inter, _ = self.visual.heads(streams, spatial)
        return relation_scores(v_vr, classifier, self.visual.cfg.tau), inter, spatial


class SageTextGraph(nn.Module):
    """The exported vocabulary-change graph: class words + W_clip -> classifier F'_L."""

    def __init__(self, text: PromptTextEncoder) -> None:
        super().__init__()
        self.text = text

    def forward(self, words: Tensor, word_mask: Tensor, w_clip: Tensor) -> Tensor:
        return self.text(words, word_mask, w_clip)
