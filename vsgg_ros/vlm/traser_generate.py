"""Generating a TraSeR answer from prompt embeddings: transformers in process, or vLLM ``prompt_embeds``.

transformers: ``generate(inputs_embeds=...)`` on a decoder-only LM returns only the new tokens; greedy
(CPU tests, the tiny synth model). vLLM (GPU, written against vLLM >= 0.10): the engine must be started
with ``enable_prompt_embeds=True``; offline requests are ``{"prompt_embeds": tensor (L, hidden)}``
(``vllm.inputs.EmbedsPrompt``), and ``vllm serve --enable-prompt-embeds`` takes the same tensor on the
Completions API as base64 of ``torch.save`` bytes. The chat template is already baked into the
embeddings (:func:`vsgg_ros.vlm.traser_lm.prompt_pieces`), so no template is applied server side.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass
from typing import Any

from vsgg_ros.vlm.backends.base import ANSWER_STOP


@dataclass(frozen=True)
class TraserReply:
    text: str
    finish_reason: str
    latency_s: float
    tokens: int


class TransformersTraserLm:
    """Greedy decoding of a Hugging Face causal LM from prompt embeddings."""

    def __init__(self, model: Any, tokenizer: Any, max_new_tokens: int = 768) -> None:
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens

    def generate(self, embeds: Any) -> TraserReply:
        import torch

        t0 = time.perf_counter()
        inputs = embeds.unsqueeze(0).to(self.model.dtype)
        mask = torch.ones(inputs.shape[:2], dtype=torch.long)
        with torch.no_grad():
            out = self.model.generate(
                inputs_embeds=inputs, attention_mask=mask, max_new_tokens=self.max_new_tokens, do_sample=False
            )
        new = out[0]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        eos = self.model.generation_config.eos_token_id
        finish = "stop" if len(new) and int(new[-1]) == eos else "length"
        return TraserReply(text, finish, time.perf_counter() - t0, len(new))


def sampling_options(max_tokens: int) -> dict[str, Any]:
    """Greedy sampling that stops after ``</answer>`` (kept in the text so the parser sees the end)."""
    return {"temperature": 0.0, "max_tokens": max_tokens, "stop": [ANSWER_STOP], "include_stop_str_in_output": True}


def embeds_prompt(embeds: Any) -> dict[str, Any]:
    """vLLM's ``EmbedsPrompt`` for an offline request: ``(L, hidden)`` on CPU, detached."""
    if embeds.ndim != 2:
        raise ValueError(f"prompt embeddings must be (sequence, hidden), got shape {tuple(embeds.shape)}")
    return {"prompt_embeds": embeds.detach().cpu()}


def encode_embeds(embeds: Any) -> str:
    """Base64 of ``torch.save(embeds)``: the form ``vllm serve --enable-prompt-embeds`` reads."""
    import torch

    buffer = io.BytesIO()
    torch.save(embeds_prompt(embeds)["prompt_embeds"], buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def completions_body(embeds: Any, model: str, max_tokens: int = 768) -> dict[str, Any]:
    """The ``/v1/completions`` JSON body for a server started with ``--enable-prompt-embeds``."""
    return {"model": model, "prompt_embeds": encode_embeds(embeds), **sampling_options(max_tokens)}


class VllmTraserLm:
    """vLLM offline engine over the TraSeR LM checkpoint (a Hugging Face folder), prompt embeddings in."""

    def __init__(self, model: str, max_tokens: int = 768, gpu_memory_utilization: float = 0.3) -> None:
        from vllm import LLM

        self.max_tokens = max_tokens
        self.llm = LLM(model=model, enable_prompt_embeds=True, gpu_memory_utilization=gpu_memory_utilization)

    def generate(self, embeds: Any) -> TraserReply:
        from vllm import SamplingParams

        t0 = time.perf_counter()
        params = SamplingParams(**sampling_options(self.max_tokens))
        out = self.llm.generate(embeds_prompt(embeds), params, use_tqdm=False)[0].outputs[0]
        return TraserReply(out.text, str(out.finish_reason or "stop"), time.perf_counter() - t0, len(out.token_ids))
