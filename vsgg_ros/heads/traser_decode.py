"""One TraSeR window end to end: packed tokens -> exported dual resampler -> LM prompt -> parsed graph.

The resampler runs through HeadRuntime (ONNX Runtime / TensorRT) like every exported head; the LM runs
through a generator from ``vsgg_ros.vlm.traser_generate`` (transformers here, vLLM on the robot). The
prompt names objects ``1..N`` in ``ClipInputs.object_ids`` order; callers map them back to track ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from vsgg_ros.heads.traser_clip import ClipInputs
from vsgg_ros.heads.traser_latents import object_sequences
from vsgg_ros.vlm.traser_format import TraserDecodeResult, decode_traser
from vsgg_ros.vlm.traser_generate import TraserReply
from vsgg_ros.vlm.traser_lm import embed_pieces, prompt_pieces

Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


class Generator(Protocol):
    def generate(self, embeds: Any) -> TraserReply: ...


def resampler_inputs(clip: ClipInputs) -> dict[str, np.ndarray]:
    p = clip.packed
    return {"tokens": p.tokens, "valid": p.valid, "time": p.time, "window": p.window, "window_time": p.window_time}


def latent_sequences(outputs: dict[str, np.ndarray], use_windows: bool) -> list[np.ndarray]:
    """Per object ``𝒵_o``; with ``use_windows`` False only ``Z_o`` (the no-window ablation)."""
    if not use_windows:
        return [np.asarray(z) for z in outputs["object_latents"]]
    return object_sequences(outputs["object_latents"], outputs["window_latents"], outputs["window_present"])


@dataclass
class WindowResult:
    decoded: TraserDecodeResult
    reply: TraserReply


class TraserDecoder:
    """Resampler runner + LM generator; ``embed_model``/``tokenizer`` embed the text pieces."""

    def __init__(
        self, runner: Runner, generator: Generator, embed_model: Any, tokenizer: Any, use_windows: bool
    ) -> None:
        self.runner = runner
        self.generator = generator
        self.embed_model = embed_model
        self.tokenizer = tokenizer
        self.use_windows = use_windows

    def decode(self, clip: ClipInputs) -> WindowResult:
        import torch

        outputs = self.runner(resampler_inputs(clip))
        prompt_ids = list(range(1, len(clip.object_ids) + 1))
        pieces = prompt_pieces(latent_sequences(outputs, self.use_windows), prompt_ids, clip.frames)
        with torch.no_grad():
            embeds = embed_pieces(self.embed_model, self.tokenizer, pieces)
        reply = self.generator.generate(embeds)
        return WindowResult(decode_traser(reply.text, prompt_ids, clip.frames), reply)
