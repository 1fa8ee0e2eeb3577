"""A tiny randomly initialised Qwen2-VL built offline from a config, with a byte-level tokenizer made in code.

Why: CPU tests, SFT/GRPO plumbing runs and the TOON-vs-JSON token bench need a real VLM code path
(processor, vision tower, generate, backward) without any download. Every byte is a token, so any text
round-trips; the chat template is the Qwen one written by hand. Needs the ``vlm`` extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
# Qwen's chat layout; `enable_thinking` is accepted (and ignored) like the real Qwen3 templates.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
PATCH_MULTIPLE = 28  # Qwen2-VL: 14 px patches merged 2x2


@dataclass
class TinyVlm:
    model: Any
    processor: Any
    tokenizer: Any
    model_id: str = "tiny-qwen2vl-random"


def byte_tokenizer() -> Any:
    """A lossless byte-level BPE (256 byte symbols, no merges) plus Qwen's special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tok = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    hf.chat_template = CHAT_TEMPLATE
    return hf


def build_tiny_vlm(seed: int = 0, hidden: int = 64, layers: int = 2, max_pixels: int = 28 * 28 * 16) -> TinyVlm:
    """The tiny model (about 0.2 M parameters), its processor and tokenizer; deterministic for ``seed``."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = byte_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    head_dim = hidden // 4
    config = Qwen2VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "rope_scaling": {"type": "mrope", "mrope_section": _mrope_section(head_dim)},
            "bos_token_id": None,
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "max_position_embeddings": 4096,
        },
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": hidden,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    images = Qwen2VLImageProcessor(min_pixels=PATCH_MULTIPLE**2 * 4, max_pixels=max_pixels)
    processor = Qwen2VLProcessor(
        image_processor=images,
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    return TinyVlm(model, processor, tokenizer)


def _mrope_section(head_dim: int) -> list[int]:
    """Three M-RoPE sections (time, height, width) summing to head_dim / 2."""
    half = head_dim // 2
    return [half - 2 * (half // 3), half // 3, half // 3]
