"""``transformers``: in-process generation with a Hugging Face VLM, optionally grammar-constrained by xgrammar.

Used for CPU tests and benches with the tiny random model (``vsgg_ros.vlm.tiny``); decoding is greedy
by default, and with the request's grammar the output is always a complete TOON answer (up to
``max_new_tokens``). Needs the ``vlm`` extra.
"""

from __future__ import annotations

import time
from typing import Any

from vsgg_ros.vlm.backends.base import BackendReply, with_stop
from vsgg_ros.vlm.prompts import VlmRequest


class TransformersBackend:
    def __init__(
        self,
        model: Any,
        processor: Any,
        model_id: str,
        max_new_tokens: int = 512,
        constrained: bool = True,
        do_sample: bool = False,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.processor = processor
        self.model_id = model_id
        self.max_new_tokens = max_new_tokens
        self.constrained = constrained
        self.do_sample = do_sample
        self.seed = seed
        self._compiler: Any = None
        self._compiled: dict[str, Any] = {}

    @classmethod
    def from_options(cls, model: str = "tiny", seed: int = 0, **options: Any) -> TransformersBackend:
        """``model="tiny"`` builds the random tiny Qwen2-VL; anything else is a local checkpoint folder."""
        if model == "tiny":
            from vsgg_ros.vlm.tiny import build_tiny_vlm

            tiny = build_tiny_vlm(seed)
            return cls(tiny.model, tiny.processor, tiny.model_id, seed=seed, **options)
        from transformers import AutoModelForImageTextToText, AutoProcessor

        loaded = AutoModelForImageTextToText.from_pretrained(model, local_files_only=True).eval()
        processor = AutoProcessor.from_pretrained(model, local_files_only=True)
        return cls(loaded, processor, f"vlm:{model}", seed=seed, **options)

    def _grammar_processor(self, grammar: str) -> Any:
        import xgrammar as xgr
        from xgrammar.contrib.hf import LogitsProcessor

        if self._compiler is None:
            vocab_size = self.model.config.get_text_config().vocab_size
            info = xgr.TokenizerInfo.from_huggingface(self.processor.tokenizer, vocab_size=vocab_size)
            self._compiler = xgr.GrammarCompiler(info)
        if grammar not in self._compiled:
            self._compiled = {grammar: self._compiler.compile_grammar(grammar)}
        return LogitsProcessor(self._compiled[grammar])

    def prompt_text(self, request: VlmRequest) -> str:
        messages = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": request.user_text}]},
        ]
        return self.processor.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, enable_thinking=False
        )

    def generate(self, request: VlmRequest) -> BackendReply:
        import torch
        from PIL import Image

        t0 = time.perf_counter()
        inputs = self.processor(
            text=[self.prompt_text(request)], images=[Image.fromarray(request.image)], return_tensors="pt"
        )
        extra: dict[str, Any] = {}
        if self.constrained and request.grammar:
            extra["logits_processor"] = [self._grammar_processor(request.grammar)]
        torch.manual_seed(self.seed)
        with torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=self.do_sample, **extra)
        new = out[0, inputs["input_ids"].shape[1] :]
        text = self.processor.tokenizer.decode(new, skip_special_tokens=True)
        finish = "length" if len(new) >= self.max_new_tokens else "stop"
        return BackendReply(with_stop(text, finish), finish, time.perf_counter() - t0, len(new))

    def close(self) -> None:
        self._compiled = {}
