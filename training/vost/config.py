"""Every knob of a VOST-SGG run, saved with each checkpoint so it can be resumed and exported exactly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Ablation = Literal["iaqi", "dsqi", "full"]
ABLATIONS: tuple[str, ...] = ("iaqi", "dsqi", "full")
SIZES: tuple[str, ...] = ("tiny", "default")
NUM_CLASSES = 36
NUM_ATTENTION, NUM_SPATIAL, NUM_CONTACTING = 3, 6, 17
NUM_PREDICATES = NUM_ATTENTION + NUM_SPATIAL + NUM_CONTACTING


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and switches. Defaults are the paper's (6 layers, N = 100); :func:`tiny` is the CPU size."""

    image_size: tuple[int, int] = (320, 240)  # (width, height) of the image the graph takes
    channels: int = 64  # backbone width before the projection to d_model
    d_model: int = 256
    heads: int = 8
    ffn: int = 2048
    queries: int = 100
    encoder_layers: int = 6
    so_layers: int = 6
    predicate_layers: int = 6
    mm_layers: int = 6
    temporal_layers: int = 1
    ref_frames: int = 2  # n reference frames before the target
    text_dim: int = 32
    visual_dim: int = 48
    use_dsqi: bool = True
    use_mmfb: bool = True
    backbone_norm: bool = True  # BatchNorm after each backbone convolution
    stride: int = 16  # backbone output stride, 8 or 16
    ref_boxes: bool = True  # boxes as offsets (logit space) from learned per-query reference boxes
    cue_anchors: bool = False  # cued queries start from their cue's boxes (reference boxes, position); not in the paper

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model {self.d_model} must be divisible by heads {self.heads}")
        if self.stride not in (8, 16):
            raise ValueError(f"stride must be 8 or 16, got {self.stride}")
        if self.queries < 1 or self.ref_frames < 1:
            raise ValueError(f"queries and ref_frames must be >= 1, got {self.queries}, {self.ref_frames}")


def model_config_from_dict(d: dict[str, Any]) -> ModelConfig:
    """A ModelConfig saved with ``dataclasses.asdict`` (checkpoints keep it, so later default changes don't bite)."""
    return ModelConfig(**{**d, "image_size": tuple(d["image_size"])})


def tiny(**overrides: Any) -> ModelConfig:
    """The size trained on a 2-core CPU: same structure, 1-2 layers per stack, 32 queries (<= 14 GT pairs a frame)."""
    base = ModelConfig(
        image_size=(160, 120), channels=32, d_model=64, heads=4, ffn=128, queries=32,
        encoder_layers=1, so_layers=2, predicate_layers=2, mm_layers=1, temporal_layers=1,
    )  # fmt: skip
    return dataclasses.replace(base, **overrides)


def sized(size: str, **overrides: Any) -> ModelConfig:
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    return tiny(**overrides) if size == "tiny" else dataclasses.replace(ModelConfig(), **overrides)


def for_ablation(ablation: str, base: ModelConfig) -> ModelConfig:
    """Paper Table 3 rows: IAQI (OED: zero content queries), DSQI, DSQI + MMFB (full VOST-SGG)."""
    if ablation not in ABLATIONS:
        raise ValueError(f"ablation must be one of {ABLATIONS}, got {ablation!r}")
    aware = ablation != "iaqi"  # IAQI queries know nothing of the cues: no content and no cue anchors
    anchors = base.cue_anchors and aware
    return dataclasses.replace(base, use_dsqi=aware, use_mmfb=ablation == "full", cue_anchors=anchors)


@dataclass(frozen=True)
class NoiseConfig:
    """How the ground-truth-derived stand-in for VLM responses is corrupted (docs/vost.md)."""

    missing: float = 0.2  # a true pair gets no cue
    wrong_object: float = 0.15  # the cue names another object class
    wrong_predicate: float = 0.2  # each cue predicate replaced by a random one of its group
    spurious: float = 0.2  # chance of one extra cue pairing the person with a random wrong label
    box_jitter: float = 0.05  # box corners moved by this fraction of the box size (std)


@dataclass(frozen=True)
class LossConfig:
    """Matching cost and loss weights (OED / DETR defaults: class 1, L1 5, GIoU 2; focal alpha 0.25, gamma 2)."""

    cls: float = 1.0
    predicate: float = 1.0
    l1: float = 5.0
    giou: float = 2.0
    no_object: float = 0.1
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    aux: bool = True  # the same loss on every earlier decoder depth (DETR / OED auxiliary losses)


@dataclass(frozen=True)
class TrainConfig:
    ablation: Ablation = "full"
    size: str = "tiny"
    seed: int = 0
    train_videos: int = 96
    test_videos: int = 6
    frames: int = 20
    difficulty: float = 0.3
    test_seed: int = 1000
    epochs: int = 3
    batch: int = 4
    lr: float = 1e-3  # OED uses 1e-4 over many GPU epochs; a few CPU epochs need more
    weight_decay: float = 1e-4
    grad_clip: float = 1.0  # global gradient-norm clip (DETR / OED use 0.1 with lr 1e-4)
    lr_drop: int = 2  # epoch after which the learning rate is divided by 10; 0 = constant
    no_cue_clips: float = 0.3  # training only: share of clips shown with no cues at all
    cue_drop: float = 0.1  # training only: extra chance that a cue is removed (on top of noise.missing)
    cue_anchors: bool = False  # ModelConfig.cue_anchors for the trained model
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    loss: LossConfig = field(default_factory=LossConfig)

    def __post_init__(self) -> None:
        if self.ablation not in ABLATIONS:
            raise ValueError(f"ablation must be one of {ABLATIONS}, got {self.ablation!r}")
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, got {self.size!r}")
        for name in ("no_cue_clips", "cue_drop"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.grad_clip <= 0 or self.lr_drop < 0:
            raise ValueError(f"grad_clip must be > 0 and lr_drop >= 0, got {self.grad_clip}, {self.lr_drop}")

    def model(self) -> ModelConfig:
        return for_ablation(self.ablation, sized(self.size, cue_anchors=self.cue_anchors))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        d = dict(d)
        d["noise"] = NoiseConfig(**d.get("noise", {}))
        d["loss"] = LossConfig(**d.get("loss", {}))
        return cls(**d)
