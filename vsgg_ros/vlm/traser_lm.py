"""The TraSeR language model side: tokenizer, tiny random LM, and the prompt as one embedding sequence.

Why embeddings: the resampled trajectory tokens are vectors, not words, so the prompt is assembled as
``inputs_embeds`` — text pieces through the LM's own embedding table, each object's ``𝒵_o`` spliced in
between ``<obj_traj_start>{id}`` and ``<obj_traj_end>`` (paper 003, App. C). transformers (CPU, tests)
and vLLM (``prompt_embeds``) both take that sequence. The tokenizer is SceneGraphVLM's byte-level one
(``vsgg_ros.vlm.tiny``) plus the two trajectory markers, so nothing is downloaded. Needs the ``vlm`` extra.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

TRAJ_START = "<obj_traj_start>"
TRAJ_END = "<obj_traj_end>"
SYSTEM = "Write the video scene graph of the object trajectories: names, attributes, relations with frame spans."
LM_CONFIG = "lm_config.json"

#: A prompt is text pieces and latent blocks ``(L, hidden)`` (numpy, or torch while training) in order.
PromptPiece = Any


def traser_tokenizer() -> Any:
    """Byte-level tokenizer with Qwen's chat tokens and the two trajectory markers as single tokens."""
    from vsgg_ros.vlm.tiny import byte_tokenizer

    tok = byte_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": [TRAJ_START, TRAJ_END]})
    return tok


def lm_config(tokenizer: Any, hidden: int = 96, layers: int = 2, heads: int = 4, kv_heads: int = 2) -> dict[str, Any]:
    """A small Qwen2 decoder config (the text tower of the Qwen2-VL family the paper fine-tunes)."""
    if hidden % heads or heads % kv_heads:
        raise ValueError(f"hidden={hidden} must divide by heads={heads}, heads by kv_heads={kv_heads}")
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "max_position_embeddings": 4096,
        "bos_token_id": None,
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "pad_token_id": tokenizer.pad_token_id,
        "tie_word_embeddings": True,
    }


def build_lm(config: dict[str, Any], seed: int = 0) -> Any:
    """A randomly initialised ``Qwen2ForCausalLM`` from ``config``; deterministic for ``seed``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(Qwen2Config(**config)).eval()
    model.generation_config.pad_token_id = config["pad_token_id"]
    model.generation_config.eos_token_id = config["eos_token_id"]
    return model


def save_lm(model: Any, folder: Path) -> None:
    """The LM's config and weights (safetensors) into ``folder``; the tokenizer is rebuilt in code."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    cfg = {k: getattr(model.config, k) for k in _CONFIG_KEYS}
    (folder / LM_CONFIG).write_text(json.dumps(cfg, indent=2) + "\n")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(state, str(folder / "lm.safetensors"))


def load_lm(folder: Path) -> Any:
    """The LM saved by :func:`save_lm`, in eval mode."""
    from safetensors.torch import load_file

    path = folder / LM_CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"TraSeR LM folder {folder} has no {LM_CONFIG}")
    model = build_lm(json.loads(path.read_text()))
    missing, unexpected = model.load_state_dict(load_file(str(folder / "lm.safetensors")), strict=False)
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise ValueError(f"{folder}: weights do not fit the config (missing {missing}, unexpected {unexpected})")
    model.tie_weights()
    return model.eval()


_CONFIG_KEYS = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "max_position_embeddings",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "tie_word_embeddings",
)


def prompt_pieces(sequences: Sequence[Any], object_ids: Sequence[int], frames: int) -> list[PromptPiece]:
    """The chat prompt for one window: each object's ``𝒵_o`` between its markers, then the frame count."""
    if len(sequences) != len(object_ids):
        raise ValueError(f"{len(sequences)} latent sequences for {len(object_ids)} object ids")
    pieces: list[PromptPiece] = [f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n"]
    for oid, seq in zip(object_ids, sequences, strict=True):
        pieces += [f"{TRAJ_START}{oid}", seq, TRAJ_END]
    pieces.append(f"\nFrames: {frames}.<|im_end|>\n<|im_start|>assistant\n")
    return pieces


def embed_pieces(model: Any, tokenizer: Any, pieces: Sequence[Any]) -> Any:
    """``(L, hidden)`` prompt embeddings: text through the LM's table, latent blocks (numpy or torch) as is."""
    import torch

    table = model.get_input_embeddings()
    width = table.weight.shape[1]
    parts = []
    for piece in pieces:
        if isinstance(piece, str):
            ids = tokenizer(piece, add_special_tokens=False, return_tensors="pt")["input_ids"][0]
            parts.append(table(ids.to(table.weight.device)))
            continue
        block = piece if isinstance(piece, torch.Tensor) else torch.from_numpy(np.asarray(piece, np.float32))
        if block.ndim != 2 or block.shape[1] != width:
            raise ValueError(f"latent block of shape {tuple(block.shape)} does not fit LM width {width}")
        parts.append(block.to(table.weight.device, table.weight.dtype))
    return torch.cat(parts, dim=0)
