"""Supervised fine-tuning of TraSeR on serialized window graphs (paper 003, section 4.3), on CPU.

The model is the dual resampler plus a causal LM; the ViT stand-in is frozen and outside the graph
(its features are precomputed in each sample). Three learning-rate groups as in the paper: the
vision-language projector (the resampler's input projection), the resamplers (everything else in
:class:`DualResampler`) and the LM, in the paper's ratio 5e-5 : 1e-4 : 2e-5 times ``lr_scale`` (the
paper fine-tunes a pretrained LM; ours starts random, so the scale is larger). AdamW, weight decay
0.01, 3 % linear warm-up then linear decay, batch size 1, as in App. D. The loss is the LM's
next-token cross-entropy on the answer only (prompt positions are masked).

Optional (``name_weight`` > 0, not in the paper): an auxiliary cross-entropy that classifies each object's
name from the mean of its trajectory latents through a linear probe that is dropped at export. The
paper's LM is pretrained and its ViT features already name objects; our random LM first learns the answer's
text prior and never reads the latents (models/traser-synth/card.md), so the probe makes the latents carry
the name before the LM has to learn to copy it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from vsgg_training.traser.data import TraserSample
from vsgg_training.traser.model import DualResampler, ResamplerConfig, object_sequences

from vsgg_ros.heads.traser_decode import resampler_inputs
from vsgg_ros.vlm.traser_lm import build_lm, embed_pieces, lm_config, prompt_pieces, traser_tokenizer

log = logging.getLogger(__name__)
PAPER_LR = {"projector": 5e-5, "resamplers": 1e-4, "lm": 2e-5}


@dataclass(frozen=True)
class SftConfig:
    epochs: int = 1
    lr_scale: float = 20.0
    weight_decay: float = 0.01
    warmup_ratio: float = 0.03
    seed: int = 0
    use_windows: bool = True
    max_minutes: float | None = None
    lm_hidden: int = 96
    lm_layers: int = 2
    name_weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def small_resampler_config(d_in: int, d_out: int) -> ResamplerConfig:
    """The CPU-sized resampler: 2 layers, 8 object + 4 window latents (paper: 3 layers, 32 + 32)."""
    return ResamplerConfig(d_in=d_in, d_model=64, d_out=d_out, heads=4, layers=2, latents=8, window_latents=4,
                           ffn_mult=2)  # fmt: skip


class TraserSft(nn.Module):
    """Dual resampler + LM; ``example_loss`` is the SFT loss of one window.

    ``names`` (with ``name_weight`` > 0) adds the training-only name probe on the object latents.
    """

    def __init__(
        self,
        resampler: DualResampler,
        lm: nn.Module,
        tokenizer: Any,
        use_windows: bool,
        names: Sequence[str] = (),
        name_weight: float = 0.0,
    ) -> None:
        super().__init__()
        self.resampler = resampler
        self.lm = lm
        self.tokenizer = tokenizer
        self.use_windows = use_windows
        self.names = {name: i for i, name in enumerate(names)}
        self.name_weight = name_weight
        self.name_probe = nn.Linear(resampler.cfg.d_out, len(names)) if names and name_weight > 0 else None

    def _latents(self, sample: TraserSample) -> tuple[torch.Tensor, torch.Tensor]:
        """``(object latents (O, M, d), prompt embeddings (L, d))`` of one window."""
        inputs = {k: torch.from_numpy(v) for k, v in resampler_inputs(sample.clip).items()}
        z_obj, z_win, present = self.resampler(
            inputs["tokens"], inputs["valid"], inputs["time"], inputs["window"], inputs["window_time"]
        )
        sequences = object_sequences(z_obj, z_win, present) if self.use_windows else list(z_obj)
        ids = list(range(1, len(sample.clip.object_ids) + 1))
        return z_obj, embed_pieces(self.lm, self.tokenizer, prompt_pieces(sequences, ids, sample.clip.frames))

    def prompt_embeds(self, sample: TraserSample) -> torch.Tensor:
        return self._latents(sample)[1]

    def name_loss(self, z_obj: torch.Tensor, sample: TraserSample) -> torch.Tensor:
        """Cross-entropy of each target object's name from its mean latent (prompt ids are 1-based)."""
        assert self.name_probe is not None
        named = [(o.id - 1, self.names[o.name]) for o in sample.target.objects if o.name in self.names]
        if not named:
            return z_obj.sum() * 0.0
        rows = torch.tensor([r for r, _ in named])
        labels = torch.tensor([c for _, c in named])
        return nn.functional.cross_entropy(self.name_probe(z_obj[rows].mean(dim=1)), labels)

    def example_loss(self, sample: TraserSample) -> torch.Tensor:
        z_obj, prompt = self._latents(sample)
        answer = self.tokenizer(sample.text + "<|im_end|>", add_special_tokens=False, return_tensors="pt")
        answer = answer["input_ids"][0]
        embeds = torch.cat([prompt, self.lm.get_input_embeddings()(answer)], dim=0).unsqueeze(0)
        labels = torch.cat([torch.full((prompt.shape[0],), -100, dtype=torch.long), answer]).unsqueeze(0)
        loss = self.lm(inputs_embeds=embeds, labels=labels).loss
        if self.name_probe is not None:
            loss = loss + self.name_weight * self.name_loss(z_obj, sample)
        return loss


def build_sft_model(d_in: int, cfg: SftConfig, names: Sequence[str] = ()) -> TraserSft:
    """A fresh model: tiny random Qwen2 LM (seeded) and the small resampler writing into its width.

    ``names``: the object names the auxiliary probe classifies (used only when ``cfg.name_weight`` > 0).
    """
    tokenizer = traser_tokenizer()
    lm = build_lm(lm_config(tokenizer, hidden=cfg.lm_hidden, layers=cfg.lm_layers), seed=cfg.seed)
    torch.manual_seed(cfg.seed)
    resampler = DualResampler(small_resampler_config(d_in, cfg.lm_hidden))
    return TraserSft(resampler, lm, tokenizer, cfg.use_windows, names, cfg.name_weight)


def param_groups(model: TraserSft, cfg: SftConfig) -> list[dict[str, Any]]:
    """The paper's three groups (projector, resamplers, LM), learning rates scaled by ``lr_scale``."""
    projector = list(model.resampler.in_proj.parameters())
    taken = {id(p) for p in projector}
    resamplers = [p for p in model.resampler.parameters() if id(p) not in taken]
    if model.name_probe is not None:  # trained with the resamplers it reads from
        resamplers += list(model.name_probe.parameters())
    groups = {"projector": projector, "resamplers": resamplers, "lm": list(model.lm.parameters())}
    return [
        {"name": k, "params": v, "lr": PAPER_LR[k] * cfg.lr_scale, "weight_decay": cfg.weight_decay}
        for k, v in groups.items()
    ]


def lr_factor(step: int, total: int, warmup_ratio: float) -> float:
    """Linear warm-up over ``warmup_ratio`` of the steps, then linear decay to 0."""
    warm = max(1, round(total * warmup_ratio))
    if step < warm:
        return (step + 1) / warm
    return max(0.0, (total - step) / max(1, total - warm))


def train_sft(model: TraserSft, samples: Sequence[TraserSample], cfg: SftConfig) -> dict[str, Any]:
    """Train in place for ``cfg.epochs`` (or until ``max_minutes``); returns the loss history."""
    if not samples:
        raise ValueError("train_sft needs at least one sample")
    opt = torch.optim.AdamW(param_groups(model, cfg))
    base = [g["lr"] for g in opt.param_groups]
    total = cfg.epochs * len(samples)
    rng = random.Random(cfg.seed)
    order = list(range(len(samples)))
    model.train()
    t0 = time.perf_counter()
    losses: list[float] = []
    step = 0
    stopped_early = False
    for epoch in range(cfg.epochs):
        rng.shuffle(order)
        for i in order:
            if cfg.max_minutes is not None and time.perf_counter() - t0 > 60 * cfg.max_minutes:
                stopped_early = True
                break
            for g, lr in zip(opt.param_groups, base, strict=True):
                g["lr"] = lr * lr_factor(step, total, cfg.warmup_ratio)
            loss = model.example_loss(samples[i])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(float(loss.detach()))
            step += 1
        if stopped_early:
            break
        log.info("epoch %d: mean loss %.4f (%.0f s)", epoch, sum(losses[-len(order) :]) / len(order),
                 time.perf_counter() - t0)  # fmt: skip
    model.eval()
    return {"steps": step, "losses": losses, "seconds": time.perf_counter() - t0, "stopped_early": stopped_early}
