"""TraSeR dual resampler (paper 003, section 4.2): object-trajectory + temporal-window Perceiver resamplers.

Both resamplers read the trajectory-aligned tokens of one object (vsgg_ros.heads.traser_tokens). The
object-trajectory resampler summarises all of them into ``M`` latents (global identity); the
temporal-window resampler summarises each disjoint window of the clip into ``M'`` latents, preceded by a
timestamp embedding token, and produces nothing for windows the object is absent from. Padded tokens
are excluded from attention by masking, so their values never reach the outputs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class ResamplerConfig:
    d_in: int = 2048  # ViT (after patch merger) token width
    d_model: int = 1024
    d_out: int = 2048  # language model embedding width
    heads: int = 8
    layers: int = 3
    latents: int = 32  # M, object-trajectory resampler
    window_latents: int = 32  # M', temporal-window resampler
    ffn_mult: int = 4

    def __post_init__(self) -> None:
        for name in ("d_in", "d_model", "d_out", "heads", "layers", "latents", "window_latents", "ffn_mult"):
            if getattr(self, name) < 1:
                raise ValueError(f"ResamplerConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.heads or self.d_model % 2:
            raise ValueError(f"d_model={self.d_model} must be even and divisible by heads={self.heads}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResamplerConfig:
        from vsgg_ros.config import from_dict

        return from_dict(cls, dict(data), "resampler")


def sinusoid(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of real-valued times (seconds), shape ``t.shape + (dim,)``."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * (-math.log(10000.0) / half))
    angle = t.to(torch.float32).unsqueeze(-1) * freqs
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)


class PerceiverLayer(nn.Module):
    """Latents attend to [tokens; latents] (Flamingo style), then a feed-forward block."""

    def __init__(self, d: int, heads: int, ffn_mult: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm_x = nn.LayerNorm(d)
        self.norm_l = nn.LayerNorm(d)
        self.q = nn.Linear(d, d, bias=False)
        self.kv = nn.Linear(d, 2 * d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.ffn = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ffn_mult * d), nn.GELU(), nn.Linear(ffn_mult * d, d))

    def forward(self, x: torch.Tensor, latents: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        b, m, d = latents.shape
        h = self.heads
        lat = self.norm_l(latents)
        kv_in = torch.cat([self.norm_x(x), lat], dim=1)
        # Latents are always valid keys, so no row is fully masked even for an empty token set.
        keep = torch.cat([valid > 0, torch.ones_like(latents[..., 0], dtype=torch.bool)], dim=1)
        q = self.q(lat).reshape(b, m, h, d // h).transpose(1, 2)
        k, v = self.kv(kv_in).reshape(b, -1, 2, h, d // h).permute(2, 0, 3, 1, 4)
        logits = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h))
        logits = logits.masked_fill(~keep[:, None, None, :], float("-inf"))
        attn = torch.softmax(logits, dim=-1) @ v
        latents = latents + self.o(attn.transpose(1, 2).reshape(b, m, d))
        return latents + self.ffn(latents)


class PerceiverResampler(nn.Module):
    """``M`` learned latent queries resampling a padded, masked token set ``(B, N, d)`` to ``(B, M, d)``."""

    def __init__(self, d: int, heads: int, layers: int, latents: int, ffn_mult: int) -> None:
        super().__init__()
        self.latents = nn.Parameter(torch.randn(latents, d) * 0.02)
        self.layers = nn.ModuleList(PerceiverLayer(d, heads, ffn_mult) for _ in range(layers))
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        lat = self.latents.unsqueeze(0).expand(x.shape[0], -1, -1)
        for layer in self.layers:
            lat = layer(x, lat, valid)
        return self.norm(lat)


class DualResampler(nn.Module):
    """Object-trajectory and temporal-window resamplers over packed trajectory tokens.

    Inputs: ``tokens (O, N, d_in)``, ``valid (O, N)`` (1 = real token), ``time (O, N)`` token time in
    seconds, ``window (O, N)`` int64 window index of each token, ``window_time (W,)`` window start times.
    Outputs: ``object_latents (O, M, d_out)``; ``window_latents (O, W, 1 + M', d_out)`` whose slot 0 is
    the window's timestamp embedding, zero for absent windows; ``window_present (O, W)`` in {0, 1}.
    """

    def __init__(self, cfg: ResamplerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.in_proj = nn.Linear(cfg.d_in, d)
        self.time_proj = nn.Linear(d, d)
        self.object_resampler = PerceiverResampler(d, cfg.heads, cfg.layers, cfg.latents, cfg.ffn_mult)
        self.window_resampler = PerceiverResampler(d, cfg.heads, cfg.layers, cfg.window_latents, cfg.ffn_mult)
        self.out_proj = nn.Linear(d, cfg.d_out)
        self.stamp = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, cfg.d_out))

    def forward(
        self,
        tokens: torch.Tensor,
        valid: torch.Tensor,
        time: torch.Tensor,
        window: torch.Tensor,
        window_time: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        o, n = valid.shape
        d = self.cfg.d_model
        x = self.in_proj(tokens) + self.time_proj(sinusoid(time, d))
        z_obj = self.out_proj(self.object_resampler(x, valid))
        w = window_time.shape[0]
        slots = torch.arange(w, dtype=window.dtype, device=window.device)
        member = (window.unsqueeze(1) == slots.view(1, w, 1)) & (valid.unsqueeze(1) > 0)
        present = member.any(dim=-1).to(tokens.dtype)
        xw = x.unsqueeze(1).expand(o, w, n, d).reshape(o * w, n, d)
        zw = self.out_proj(self.window_resampler(xw, member.reshape(o * w, n).to(tokens.dtype)))
        zw = zw.reshape(o, w, self.cfg.window_latents, self.cfg.d_out)
        stamp = self.stamp(sinusoid(window_time, d)).view(1, w, 1, self.cfg.d_out).expand(o, w, 1, self.cfg.d_out)
        zw = torch.cat([stamp, zw], dim=2) * present.view(o, w, 1, 1)
        return z_obj, zw, present


def object_sequences(
    object_latents: torch.Tensor, window_latents: torch.Tensor, present: torch.Tensor
) -> list[torch.Tensor]:
    """Per object, ``[Z_o; Z_o^(w1); Z_o^(w2); ...]`` over present windows in time order (eq. 5)."""
    out = []
    for i in range(object_latents.shape[0]):
        windows = window_latents[i][present[i] > 0]
        out.append(torch.cat([object_latents[i], windows.reshape(-1, window_latents.shape[-1])], dim=0))
    return out
