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

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model {self.d_model} must be divisible by heads {self.heads}")
        if self.queries < 1 or self.ref_frames < 1:
            raise ValueError(f"queries and ref_frames must be >= 1, got {self.queries}, {self.ref_frames}")


def tiny(**overrides: Any) -> ModelConfig:
    """The size trained on a 2-core CPU: same structure, 2 layers per stack, 16 queries."""
    base = ModelConfig(
        image_size=(160, 120), channels=32, d_model=64, heads=4, ffn=128, queries=16,
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
    return dataclasses.replace(base, use_dsqi=ablation != "iaqi", use_mmfb=ablation == "full")


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


@dataclass(frozen=True)
class TrainConfig:
    ablation: Ablation = "full"
    size: str = "tiny"
    seed: int = 0
    train_videos: int = 24
    test_videos: int = 6
    frames: int = 20
    difficulty: float = 0.3
    test_seed: int = 1000
    epochs: int = 8
    batch: int = 4
    lr: float = 3e-4
    weight_decay: float = 1e-4
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    loss: LossConfig = field(default_factory=LossConfig)

    def __post_init__(self) -> None:
        if self.ablation not in ABLATIONS:
            raise ValueError(f"ablation must be one of {ABLATIONS}, got {self.ablation!r}")
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, got {self.size!r}")

    def model(self) -> ModelConfig:
        return for_ablation(self.ablation, sized(self.size))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        d = dict(d)
        d["noise"] = NoiseConfig(**d.get("noise", {}))
        d["loss"] = LossConfig(**d.get("loss", {}))
        return cls(**d)
