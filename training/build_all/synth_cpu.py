"""``synth-cpu``: the commands of every committed ``models/*-synth/card.md``, as steps, on this CPU.

Each train step calls the head's own training function with exactly the card's settings; each evaluate
step reads the protocol results that training (or the detector build) already computed on the held-out
SynthRoom world and compares them with the committed card (tolerances below, in the card's unit);
each export step writes the model folder under ``--models``. SynthRoom data is rendered in memory inside
each training call, so there is no separate prepare step here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from vsgg_training.build_all.actions import call_cli, compare_metrics, only_input
from vsgg_training.build_all.steps import Preset, Step, StepContext
from vsgg_training.manifest_cards import CARDS, card_metrics

from vsgg_ros.zoo import MODELS_DIR

SYNTH = ("vsgg_ros.synth",)
# Single-seed CPU runs differ between machines and thread counts; these are the differences treated as
# "reproduced" (absolute, in the card's unit). Not measured yet: see docs/build_all.md.
TOLERANCE = {
    "pals-synth": 0.03,
    "vost-synth": 1.0,
    "sage-synth": 2.0,
    "detector-synth": 0.03,
    "traser-synth": 2.0,
}


def _threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


def _pals_train(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.pals.config import TrainConfig
    from vsgg_training.pals.train import train

    _threads(1)
    report = train(TrainConfig.from_dict(dict(ctx.config["train"])), ctx.out)
    return {"train_seconds": report["train_seconds"]}


def _pals_export(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.pals.export import export_run

    return {"parity_max_abs": export_run(only_input(ctx), ctx.out)["parity_max_abs"]}


def _vost_train(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.vost.config import TrainConfig
    from vsgg_training.vost.train import train

    cfg = dataclasses.replace(TrainConfig(), **ctx.config["train"])
    return {"wall_s": train(cfg, ctx.out, threads=1)["wall_s"]}


def _vost_export(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.vost.export import export_run

    export_run(only_input(ctx), ctx.out)
    return {}


def _sage_train(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.sage.config import TrainConfig
    from vsgg_training.sage.train import run

    _threads(1)
    return {"wall_s": run(dataclasses.replace(TrainConfig(), **ctx.config["train"]), ctx.out)["wall_s"]}


def _sage_export(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.sage.export import export_run

    export_run(only_input(ctx), ctx.out)
    return {}


def _detector_train(ctx: StepContext) -> dict[str, Any]:
    from vsgg_training.detector.train import TrainConfig, train

    init = only_input(ctx) / "detector.pt" if ctx.inputs else None
    return {"checkpoint": str(train(TrainConfig(**ctx.config["train"]), ctx.out, init))}


def _detector_build(ctx: StepContext) -> dict[str, Any]:
    """Export, parity, held-out AP and card.md: all inside the detector's own build command."""
    argv = ["--checkpoint", str(only_input(ctx) / "detector.pt"), "--out", str(ctx.out)]
    for command in ctx.config["train_commands"]:
        argv += ["--train-command", command.format(root=ctx.root)]
    call_cli("vsgg_training.detector.build", argv)
    return {}


def _vlm_train(ctx: StepContext) -> dict[str, Any]:
    call_cli("vsgg_training.vlm.cli", ["train", "--out", str(ctx.out), *ctx.config["argv"]])
    return {}


def _vlm_export(ctx: StepContext) -> dict[str, Any]:
    call_cli("vsgg_training.vlm.cli", ["export", "--run", str(only_input(ctx)), "--out", str(ctx.out)])
    return {}


def _traser_train(ctx: StepContext) -> dict[str, Any]:
    _threads(1)
    call_cli("vsgg_training.traser.cli", ["train", "--out", str(ctx.out), *ctx.config["argv"]])
    return {}


def _traser_export(ctx: StepContext) -> dict[str, Any]:
    call_cli("vsgg_training.traser.cli", ["export", "--run", str(only_input(ctx)), "--out", str(ctx.out)])
    return {}


def _reference(name: str, models: Path) -> dict[str, float]:
    """The committed card's values (read once, when the preset is built, before anything is overwritten)."""
    card = models / name / "card.md"
    if not card.is_file():
        return {}
    return {m["name"]: m["value"] for m in card_metrics(name, card.read_text(encoding="utf-8"), CARDS[name])}


def evaluate_step(name: str, head: str, upstream: str, metrics: dict[str, Any], digits: int, models: Path) -> Step:
    config = {"metrics": metrics, "reference": _reference(name, models), "tolerance": TOLERANCE[name], "digits": digits}
    return Step(f"{head}/evaluate", head, compare_metrics, config, needs=(upstream,), code=("vsgg_training.build_all",))


def _pals(models: Path) -> list[Step]:
    from vsgg_training.pals.config import TrainConfig

    report = {"file": "report.json"}
    metrics = {
        "PREDCLS with-constraint R@20": {**report, "path": ["eval", "predcls/with", "20"]},
        "PREDCLS with-constraint R@50": {**report, "path": ["eval", "predcls/with", "50"]},
        "SGDET with-constraint R@20": {**report, "path": ["eval", "sgdet/with", "20"]},
        "SGDET with-constraint R@50": {**report, "path": ["eval", "sgdet/with", "50"]},
    }
    code = ("vsgg_training.pals", "vsgg_training.onnx_tools", *SYNTH, "vsgg_ros.eval")
    cfg = TrainConfig(
        supervision="full",
        ablation="full",
        annotation="involved",
        epochs=14,
        truth_pairs=0.5,
        val_videos=10,
        extra_videos=360,
        group_weights=(1.5, 1.0, 2.0),
        backbone_relation=3.0,
    ).to_dict()
    return [
        Step("pals/train", "pals", _pals_train, {"train": cfg}, code=code),
        evaluate_step("pals-synth", "pals", "pals/train", metrics, 4, models),
        Step("pals/export", "pals", _pals_export, needs=("pals/train",), code=code, out="{models}/pals-synth"),
    ]


def _vost(models: Path) -> list[Step]:
    train = {"ablation": "full", "size": "tiny", "seed": 0, "epochs": 6, "lr_drop": 5, "cue_anchors": True}
    noisy = {"file": "metrics.json", "scale": 100.0}
    metrics = {
        "SGDET with-constraint R@20": {**noisy, "path": ["metrics", "sgdet/with/cues=noisy", "R@K", "20"]},
        "SGDET with-constraint mR@20": {
            **noisy,
            "path": ["metrics", "sgdet/with/cues=noisy", "mR@K (per-frame)", "20"],
        },
    }
    code = ("vsgg_training.vost", "vsgg_training.onnx_tools", *SYNTH, "vsgg_ros.eval", "vsgg_ros.heads.vost_encoders")
    return [
        Step("vost/train", "vost", _vost_train, {"train": train}, code=code),
        evaluate_step("vost-synth", "vost", "vost/train", metrics, 1, models),
        Step("vost/export", "vost", _vost_export, needs=("vost/train",), code=code, out="{models}/vost-synth"),
    ]


def _sage(models: Path) -> list[Step]:
    report = {"file": "report.json", "path": ["results", "class-conditioned prompts"]}
    metrics = {
        "novel mAP": {**report, "path": [*report["path"], "novel", "mAP"]},
        "all mAP": {**report, "path": [*report["path"], "all", "mAP"]},
        "all R@50": {**report, "path": [*report["path"], "all", "R@50"]},
    }
    code = ("vsgg_training.sage", "vsgg_training.onnx_tools", *SYNTH, "vsgg_ros.eval", "vsgg_ros.heads.sage_text")
    return [
        Step("sage/train", "sage", _sage_train, {"train": {"encoder": "minilm", "seed": 0}}, code=code),
        evaluate_step("sage-synth", "sage", "sage/train", metrics, 2, models),
        Step("sage/export", "sage", _sage_export, needs=("sage/train",), code=code, out="{models}/sage-synth"),
    ]


def _detector(models: Path) -> list[Step]:
    """The card's two chained runs (the second starts from the first's weights), then the build."""
    shared = {
        "threads": 1,
        "videos_per_world": 100,
        "regress_radius": 1,
        "regress_region": 0.5,
        "small_boost": 1.0,
        "giou_weight": 5.0,
        "balance": True,
    }
    shared_flags = (
        "--threads 1 --videos-per-world 100 --regress-radius 1 --regress-region 0.5 --small-boost 1.0 "
        "--giou-weight 5 --balance"
    )
    runs = [
        ("train", {"steps": 2200, "lr": 2e-3, "seed": 0, **shared}, "--steps 2200 --lr 2e-3 --seed 0"),
        ("finetune", {"steps": 1600, "lr": 1e-3, "seed": 1, **shared}, "--steps 1600 --lr 1e-3 --seed 1"),
    ]
    code = ("vsgg_training.detector", *SYNTH, "vsgg_ros.detection")
    steps: list[Step] = []
    commands: list[str] = []
    previous: str | None = None
    for name, cfg, flags in runs:
        needs = () if previous is None else (f"detector/{previous}",)
        steps.append(Step(f"detector/{name}", "detector", _detector_train, {"train": cfg}, needs, code))
        init = "" if previous is None else f"--init {{root}}/work/detector/{previous}/detector.pt "
        out = f"--out {{root}}/work/detector/{name}"
        commands.append(f"python -m vsgg_training train --head detector {out} {init}{flags} {shared_flags}")
        previous = name
    build = Step(
        "detector/build",
        "detector",
        _detector_build,
        {"train_commands": commands},
        (f"detector/{runs[-1][0]}",),
        code,
        out="{models}/detector-synth",
    )
    metrics = {m.name: {"pattern": m.pattern} for m in CARDS["detector-synth"].metrics}
    return [*steps, build, evaluate_step("detector-synth", "detector", "detector/build", metrics, 3, models)]


def _vlm() -> list[Step]:
    """SceneGraphVLM wiring run (tiny random VLM, SFT + GRPO data and 2 steps each); no committed model."""
    argv = ["--data", "synth", "--videos", "2", "--frames", "40", "--steps", "2", "--model", "tiny", "--seed", "0"]
    code = ("vsgg_training.vlm", "vsgg_ros.vlm", *SYNTH)
    return [
        Step("vlm/train", "vlm", _vlm_train, {"argv": argv}, code=code),
        Step("vlm/export", "vlm", _vlm_export, needs=("vlm/train",), code=code),
    ]


def _traser(models: Path) -> list[Step]:
    """The card's full-model run (with the auxiliary object-name term).

    Its evaluation is the held-out decode ``train`` runs itself (the card's "full, torch, 768 tokens" row).
    """
    argv = ["--data", "synth", "--videos", "100", "--frames", "160", "--epochs", "14", "--seed", "0"]
    argv += ["--lr-scale", "50", "--eval-windows", "60", "--name-weight", "1.0"]
    code = ("vsgg_training.traser", "vsgg_ros.heads", "vsgg_ros.vlm", "vsgg_ros.eval", *SYNTH)
    decoded = {"file": "train.json", "scale": 100.0}
    metrics = {
        "object accuracy": {**decoded, "path": ["eval", "object_accuracy"]},
        "relation recall tIoU 0.5": {**decoded, "path": ["eval", "relation_recall", "tiou_0.5"]},
        "triplet recall tIoU 0.5": {**decoded, "path": ["eval", "triplet_recall", "tiou_0.5"]},
    }
    return [
        Step("traser/train", "traser", _traser_train, {"argv": argv}, code=code),
        evaluate_step("traser-synth", "traser", "traser/train", metrics, 1, models),
        Step(
            "traser/export", "traser", _traser_export, needs=("traser/train",), code=code, out="{models}/traser-synth"
        ),
    ]


def synth_cpu(models: Path = MODELS_DIR) -> Preset:
    """``models``: where the committed cards are read from (the reference metrics)."""
    steps = [*_pals(models), *_vost(models), *_sage(models), *_detector(models), *_traser(models), *_vlm()]
    return Preset("synth-cpu", "every committed *-synth model, from the commands in its card, on the CPU", tuple(steps))
