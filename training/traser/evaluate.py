"""Decode held-out windows and score them with the TraSeR protocol (vsgg_ros.eval.traser_windows).

Used by ``train`` (torch resampler, before export) and by the bench (exported ONNX resampler through
HeadRuntime): the same :class:`~vsgg_ros.heads.traser_decode.TraserDecoder` either way, so the two
numbers differ only by the resampler runtime.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from vsgg_training.traser.data import TraserSample
from vsgg_training.traser.export import INPUTS, OUTPUTS
from vsgg_training.traser.sft import TraserSft

from vsgg_ros.eval.traser_windows import evaluate_windows, summary_dict
from vsgg_ros.heads.traser_decode import TraserDecoder
from vsgg_ros.vlm.traser_generate import TransformersTraserLm


def torch_decoder(model: TraserSft, max_new_tokens: int = 768) -> TraserDecoder:
    """A decoder running the in-memory resampler and LM (no export needed)."""

    def run(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with torch.no_grad():
            outs = model.resampler(*(torch.from_numpy(inputs[k]) for k in INPUTS))
        return {k: v.numpy() for k, v in zip(OUTPUTS, outs, strict=True)}

    generator = TransformersTraserLm(model.lm, model.tokenizer, max_new_tokens)
    return TraserDecoder(run, generator, model.lm, model.tokenizer, model.use_windows)


def sample_key(sample: TraserSample) -> str:
    return f"{sample.video_id}@{sample.start_frame}"


def evaluate_samples(decoder: TraserDecoder, samples: Sequence[TraserSample]) -> dict[str, Any]:
    """TraSeR metrics of greedy answers on ``samples``, plus answer health and per-window latency.

    ``distinct_answers`` counts different answer texts: far fewer than windows means the model writes its
    prior whatever the video shows (the collapse the shipped synth model has; models/traser-synth/card.md).
    """
    targets, answers, texts = {}, {}, set()
    latencies, problems, truncated = [], 0, 0
    for sample in samples:
        t0 = time.perf_counter()
        result = decoder.decode(sample.clip)
        latencies.append(time.perf_counter() - t0)
        key = sample_key(sample)
        targets[key] = sample.target
        answers[key] = result.decoded.graph
        texts.add(result.reply.text)
        problems += bool(result.decoded.problems)
        truncated += result.reply.finish_reason == "length"
    out = summary_dict(evaluate_windows(targets, answers))
    out |= {
        "windows_with_problems": problems,
        "distinct_answers": len(texts),
        "truncated_answers": truncated,
        "window_latency_s": {"median": statistics.median(latencies), "max": max(latencies)} if latencies else None,
    }
    return out
