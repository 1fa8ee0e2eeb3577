"""GPU presets ``ag-gpu``, ``pvsg-gpu``, ``vidvrd-gpu``: real datasets, torchrun DDP, TensorRT engines.

What runs today (docs/build_all.md has the per-head table): the dataset is read with the evaluation
readers (``vsgg_ros.eval.readers``) as a prepare step, SceneGraphVLM's SFT + GRPO (TRL, bf16) is launched
under ``torchrun`` on every visible GPU for the datasets its trainer reads, and a TensorRT engine is built
and parity-checked for every committed head folder with :class:`HeadRuntime` on the ``trt`` backend. The
VOST, SAGE and detector training loops read SynthRoom only; PALS reads Action Genome (``--data ag``) but
holds every clip in memory and runs on the CPU. None is in these presets until its loop takes a device and
streams its data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vsgg_training.build_all.actions import call_cli
from vsgg_training.build_all.keys import tree_digest
from vsgg_training.build_all.steps import Preset, Requirement, Step, StepContext

from vsgg_ros.zoo import MODELS_DIR

# dataset key of vsgg_ros.eval.readers, split read by the prepare step, VLM --data name (None: no VLM recipe)
DATASETS: dict[str, tuple[str, str, str | None]] = {
    "ag-gpu": ("action_genome", "test", "action_genome"),
    "pvsg-gpu": ("pvsg", "val", "pvsg"),
    "vidvrd-gpu": ("vidvrd", "test", None),
}
ENGINE_HEADS: dict[str, tuple[str, ...]] = {
    "ag-gpu": ("pals-synth", "vost-synth", "sage-synth", "detector-synth"),
    "pvsg-gpu": (),
    "vidvrd-gpu": ("sage-synth",),
}
VLM_BASE = "Qwen/Qwen2.5-VL-7B-Instruct"


def gpu_problem() -> str | None:
    """None when torch sees a CUDA GPU, else why not."""
    try:
        import torch
    except ImportError as exc:
        return f"torch is not importable ({exc}); install the training extra"
    if not torch.cuda.is_available():
        return "no CUDA GPU visible to torch (torch.cuda.is_available() is False); run this preset on a GPU machine"
    return None


def dataset_problem(kind: str, root: Path | None) -> str | None:
    """None when ``root`` holds dataset ``kind`` in the layout its reader expects, else what is wrong."""
    from vsgg_ros.eval.readers.action_genome import is_action_genome
    from vsgg_ros.eval.readers.pvsg import is_pvsg
    from vsgg_ros.eval.readers.vidvrd import is_vidvrd

    if root is None:
        return f"--data-root is required (the {kind} dataset folder)"
    if not root.exists():
        return f"dataset root {root} does not exist"
    probes: dict[str, Callable[[Path], bool]] = {
        "action_genome": is_action_genome,
        "pvsg": is_pvsg,
        "vidvrd": lambda r: is_vidvrd(r, "test"),
    }
    if not probes[kind](root):
        return f"{root} is not a {kind} dataset in the layout vsgg_ros.eval.readers expects (see docs/evaluation.md)"
    return None


def _prepare(ctx: StepContext) -> dict[str, Any]:
    """Read the split once with the evaluation reader: fails early, and records what the build saw."""
    from vsgg_ros.eval.readers import read_ground_truth

    truth = read_ground_truth(ctx.config["root"], ctx.config["dataset"], ctx.config["split"], mode="sgdet")
    summary = {
        "dataset": ctx.config["dataset"],
        "split": ctx.config["split"],
        "videos": len(truth.videos),
        "frames": sum(len(v.graphs) for v in truth.videos),
        "invalid": truth.invalid,
    }
    (ctx.out / "dataset.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def torchrun_command(gpus: int, module_argv: list[str]) -> list[str]:
    """``torchrun --standalone --nproc_per_node=N -m vsgg_training ...`` through this interpreter."""
    runner = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}"]
    return [*runner, "-m", "vsgg_training", *module_argv]


def _vlm_train(ctx: StepContext) -> dict[str, Any]:
    """Samples are written once by a single process (no rank races), then SFT + GRPO run on every GPU."""
    import torch

    flags = ["--data", ctx.config["data"], "--root", ctx.config["root"], "--split", "train", "--out", str(ctx.out),
             *ctx.config["argv"]]  # fmt: skip
    if not (ctx.out / "train.jsonl").is_file():
        call_cli("vsgg_training.vlm.cli", ["train", *flags, "--stages", "", "--model", "tiny"])
    gpus = torch.cuda.device_count()
    cmd = torchrun_command(
        gpus, ["train", "--head", "vlm", *flags, "--resume", "--gpu", "--model", ctx.config["model"]]
    )
    subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": "4"})
    return {"gpus": gpus, "command": " ".join(cmd)}


def _vlm_export(ctx: StepContext) -> dict[str, Any]:
    (run,) = ctx.inputs.values()
    call_cli("vsgg_training.vlm.cli", ["export", "--run", str(run), "--out", str(ctx.out)])
    return {}


def _engine(ctx: StepContext) -> dict[str, Any]:
    """Build (or load from ``ctx.out``) the TensorRT engine of a head folder and replay its parity cases."""
    from vsgg_ros.heads.runtime import HeadRuntime

    report = {}
    for precision in ("fp32", "fp16"):
        runtime = HeadRuntime.load(
            Path(ctx.config["folder"]), "trt", strict=True, precision=precision, cache_dir=ctx.out
        )
        report[precision] = runtime.check_parity()
        runtime.close()
    (ctx.out / "parity.json").write_text(json.dumps(report, indent=1) + "\n")
    return {"parity_cases": sum(len(v) for v in report.values())}


def gpu_preset(name: str, data_root: Path | None, models: Path = MODELS_DIR, vlm_model: str = VLM_BASE) -> Preset:
    dataset, split, vlm_data = DATASETS[name]
    root = str(data_root) if data_root is not None else ""
    steps = [Step(f"data/{dataset}", "data", _prepare, {"root": root, "dataset": dataset, "split": split},
                  code=("vsgg_ros.eval.readers",))]  # fmt: skip
    if vlm_data is not None:
        argv = ["--videos", "100000", "--frames", "64", "--steps", "2000", "--seed", "0", "--max-completion", "768"]
        config = {"data": vlm_data, "root": root, "model": vlm_model, "argv": argv}
        code = ("vsgg_training.vlm", "vsgg_ros.vlm")
        steps += [
            Step("vlm/train", "vlm", _vlm_train, config, needs=(f"data/{dataset}",), code=code),
            Step("vlm/export", "vlm", _vlm_export, needs=("vlm/train",), code=code, out="{models}/sgvlm-" + vlm_data),
        ]
    for folder in ENGINE_HEADS[name]:
        path = models / folder
        config = {"folder": str(path), "digest": tree_digest(path)}
        steps.append(
            Step(
                f"trt/{folder}",
                folder.split("-")[0],
                _engine,
                config,
                code=("vsgg_ros.heads",),
                out=f"engines/{folder}",
            )
        )
    requires = (
        Requirement("GPU", gpu_problem),
        Requirement("dataset", lambda: dataset_problem(dataset, data_root)),
    )
    return Preset(
        name, f"{dataset} on GPUs: reader check, SceneGraphVLM SFT/GRPO, TensorRT engines", tuple(steps), requires
    )
