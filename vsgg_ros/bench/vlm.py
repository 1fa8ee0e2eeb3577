"""``vsgg bench vlm``: TOON vs JSON output length in tokens and characters, tiny-VLM CPU latency, GPU target.

Tokens are counted with the tiny model's byte-level tokenizer (one token per byte, so its counts equal
UTF-8 bytes; a real Qwen BPE compresses both formats, TOON's advantage shrinks less than JSON's
punctuation suggests, which is why characters are reported too). The latency is the tiny random
Qwen2-VL, grammar-constrained, on this CPU: it measures our path (prompt, processor, xgrammar,
decode), not a real model. The GPU numbers are a documented command and target, not measured here.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from vsgg_ros.bench.toon_length import ag_like_graph, pvsg_like_graph
from vsgg_ros.codec.toon import ToonSchema, encode_toon, scene_graph_to_toon, toon_json_model
from vsgg_ros.graph import Vocabulary
from vsgg_ros.vocab import load_vocabulary

SERVE_COMMAND = (
    "vllm serve <checkpoint> --served-model-name sgvlm --host 127.0.0.1 --port 8000 --dtype bfloat16 "
    '--max-model-len 4096 --max-num-seqs 2 --limit-mm-per-prompt \'{"image":1,"video":0}\' '
    "--mm-processor-kwargs '{\"max_pixels\": 307200}' --gpu-memory-utilization 0.4 --enable-prefix-caching "
    "--structured-outputs-config.backend xgrammar"
)
GPU_TARGET = {"model": "Qwen3.5-0.8B (SceneGraphVLM SFT+GRPO)", "gpu": "A100/H100 class", "max_s_per_graph": 0.5}


def _graphs() -> list[tuple[str, Any, ToonSchema, str]]:
    return [
        ("ag_8_objects", ag_like_graph(8, seed=0), ToonSchema.AG, "ag"),
        ("pvsg_15_objects_20_relations", pvsg_like_graph(15, 20, seed=0), ToonSchema.GENERIC, "pvsg"),
    ]


def toon_vs_json_tokens(tokenizer: Any | None) -> list[dict[str, Any]]:
    """Per sample graph: characters and (with a tokenizer) tokens of TOON and compact JSON."""
    rows = []
    for name, graph, schema, vocab in _graphs():
        toon, _ = scene_graph_to_toon(graph, schema, vocabulary=load_vocabulary(vocab), image_size=(640, 480))
        text = encode_toon(toon)
        js = json.dumps(toon_json_model(toon), separators=(",", ":"))
        row: dict[str, Any] = {"graph": name, "toon_chars": len(text), "json_chars": len(js)}
        row["char_ratio"] = len(text) / len(js)
        if tokenizer is not None:
            row["toon_tokens"] = len(tokenizer.encode(text, add_special_tokens=False))
            row["json_tokens"] = len(tokenizer.encode(js, add_special_tokens=False))
            row["token_ratio"] = row["toon_tokens"] / row["json_tokens"]
        rows.append(row)
    return rows


def tiny_latency(runs: int = 3, seed: int = 0) -> dict[str, Any]:
    """Median seconds per constrained graph of the tiny random VLM on this CPU (one thread)."""
    import torch

    from vsgg_ros.bench.synthetic import SyntheticSource
    from vsgg_ros.vlm.backends.hf import TransformersBackend
    from vsgg_ros.vlm.predictor import VlmPredictor
    from vsgg_ros.vlm.schema import build_schema
    from vsgg_ros.vlm.tiny import build_tiny_vlm

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tiny = build_tiny_vlm(seed)
        backend = TransformersBackend(tiny.model, tiny.processor, tiny.model_id, max_new_tokens=200, do_sample=True)
        vocab = Vocabulary("toy", ("person", "cup", "table"), ("holding", "on", "next to"))
        predictor = VlmPredictor(
            backend,
            build_schema("closed", vocab),
            max_pixels=28 * 28 * 12,
            max_objects=3,
            max_relations=1,
            ordered_boxes=True,
        )
        frames = list(SyntheticSource(n_frames=runs + 1, n_objects=3).frames())
        predictor.predict(frames[0], [])  # compiles the grammar once
        seconds = []
        for frame in frames[1:]:
            t0 = time.perf_counter()
            predictor.predict(frame, [])
            seconds.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return {
        "model": tiny.model_id,
        "parameters": sum(p.numel() for p in tiny.model.parameters()),
        "runs": runs,
        "median_s": statistics.median(seconds),
        "max_s": max(seconds),
        "failures": predictor.stats.failures,
    }


def run_vlm_bench(runs: int = 3) -> dict[str, Any]:
    """Everything ``vsgg bench vlm --json`` prints; the tiny-model parts need the ``vlm`` extra."""
    result: dict[str, Any] = {"serve_command": SERVE_COMMAND, "gpu_target": GPU_TARGET}
    try:
        from vsgg_ros.vlm.tiny import byte_tokenizer

        tokenizer = byte_tokenizer()
    except ImportError as exc:
        result["toon_vs_json"] = toon_vs_json_tokens(None)
        result["tiny_cpu_latency"] = {"skipped": f"vlm extra not installed ({exc})"}
        return result
    result["toon_vs_json"] = toon_vs_json_tokens(tokenizer)
    result["tokenizer"] = "tiny byte-level BPE (tokens = UTF-8 bytes)"
    result["tiny_cpu_latency"] = tiny_latency(runs)
    return result
