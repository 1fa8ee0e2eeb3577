"""TRL runs: SFT on TOON targets, then GRPO with the hallucination-aware rewards (``rewards``).

``gpu=True`` gives the paper's GRPO setting (vLLM colocated for rollouts, 12 generations, lr 6e-7,
beta 0.04, clip 0.2/0.28, no reward scaling, temperature 0.9); that runs on a CUDA machine only. On the
CPU the same trainers run a few steps on the tiny random VLM to check the wiring, not to learn.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from vsgg_training.vlm.rewards import trl_reward_functions


def load_samples(path: Path) -> Any:
    """The JSONL written by ``data.write_jsonl`` as a ``datasets.Dataset`` with decoded images."""
    from datasets import Dataset, Image, Sequence

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{path} holds no samples")
    return Dataset.from_list(rows).cast_column("images", Sequence(Image()))


def _common(out: Path, steps: int, seed: int, batch: int, gpu: bool) -> dict[str, Any]:
    return {
        "output_dir": str(out),
        "max_steps": steps,
        "per_device_train_batch_size": batch,
        "seed": seed,
        "use_cpu": not gpu,
        "report_to": [],
        "save_strategy": "no",
        "logging_steps": 1,
        "bf16": gpu,
        "remove_unused_columns": False,
    }


def sft_config(out: Path, steps: int, seed: int, batch: int = 2, gpu: bool = False, lr: float = 1e-5) -> Any:
    from trl import SFTConfig

    return SFTConfig(**_common(out, steps, seed, batch, gpu), learning_rate=lr, max_length=None)


def grpo_config(
    out: Path, steps: int, seed: int, batch: int = 2, gpu: bool = False, max_completion_length: int = 768
) -> Any:
    from trl import GRPOConfig

    _, weights = trl_reward_functions()
    options: dict[str, Any] = {
        "reward_weights": weights,
        "max_completion_length": max_completion_length,
        "scale_rewards": "none",
        "epsilon": 0.2,
        "epsilon_high": 0.28,
    }
    if gpu:
        options |= {
            "use_vllm": True,
            "vllm_mode": "colocate",
            "vllm_gpu_memory_utilization": 0.4,
            "num_generations": 12,
            "temperature": 0.9,
            "learning_rate": 6e-7,
            "beta": 0.04,
        }
    else:
        options |= {"use_vllm": False, "num_generations": 2, "temperature": 1.0, "learning_rate": 1e-5, "beta": 0.0}
    return GRPOConfig(**_common(out, steps, seed, batch, gpu), **options)


def run_sft(model: Any, processor: Any, data: Path, out: Path, steps: int, seed: int, gpu: bool = False) -> dict:
    from trl import SFTTrainer

    dataset = load_samples(data).select_columns(["messages", "images"])
    trainer = SFTTrainer(
        model=model, args=sft_config(out, steps, seed, gpu=gpu), train_dataset=dataset, processing_class=processor
    )
    t0 = time.perf_counter()
    result = trainer.train()
    return {
        "stage": "sft",
        "steps": result.global_step,
        "loss": result.training_loss,
        "wall_s": time.perf_counter() - t0,
    }


def run_grpo(
    model: Any,
    processor: Any,
    data: Path,
    out: Path,
    steps: int,
    seed: int,
    gpu: bool = False,
    max_completion: int = 64,
) -> dict:
    from trl import GRPOTrainer

    functions, _ = trl_reward_functions()
    dataset = load_samples(data).select_columns(["prompt", "images", "solution", "image_size", "schema"])
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=functions,
        args=grpo_config(out, steps, seed, gpu=gpu, max_completion_length=max_completion),
        train_dataset=dataset,
        processing_class=processor,
    )
    t0 = time.perf_counter()
    result = trainer.train()
    rewards = {k: v for entry in trainer.state.log_history for k, v in entry.items() if k.startswith("rewards/")}
    return {
        "stage": "grpo",
        "steps": result.global_step,
        "loss": result.training_loss,
        "wall_s": time.perf_counter() - t0,
        "last_rewards": rewards,
    }
