"""Every knob of a PALS run in one dataclass, saved with each checkpoint so a run can resume exactly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from vsgg_ros.synth import ANNOTATIONS

Ablation = Literal["baseline", "pals", "pam", "ram", "full"]
Supervision = Literal["full", "weak"]
ABLATIONS: tuple[str, ...] = ("baseline", "pals", "pam", "ram", "full")
SUPERVISIONS: tuple[str, ...] = ("full", "weak")
DATASETS: tuple[str, ...] = ("synth", "ag")
IMAGE_SIZE = (320, 240)  # (width, height) the exported graph takes
NUM_CLASSES = 36
NUM_ATTENTION, NUM_SPATIAL, NUM_CONTACTING = 3, 6, 17


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the relation model (paper A.3 scaled down for a CPU: d_R 1936 -> 128, d_P 128 -> 32)."""

    channels: int = 48
    roi: int = 4  # RoIAlign output side for object and union features (STTran: 7)
    mask_size: int = 8  # side of the two union-box masks (STTran: 27)
    d_model: int = 128
    d_affinity: int = 32
    heads: int = 4
    ffn: int = 256
    spatial_layers: int = 1
    temporal_layers: int = 1
    dropout: float = 0.0  # on R0 and inside the attention blocks' FFN (training only)
    window: int = 4  # frames the temporal attention sees: the current one + window - 1 carried
    head_crop: int = 0  # > 0: side of a full-resolution crop of each person's head (attention cue); 0 = off
    use_pals: bool = True
    use_pam: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Data, losses and schedule. Loss weights and margin are the paper's (Table 5)."""

    supervision: Supervision = "full"
    ablation: Ablation = "full"
    data: str = "synth"  # "synth": SynthRoom rendered in memory; "ag": Action Genome under ``root``
    root: str = ""  # the Action Genome folder (annotations/ + frames/) when data == "ag"
    seed: int = 0
    train_videos: int = 40
    test_videos: int = 10
    frames: int = 30
    difficulty: float = 0.5
    test_seed: int = 1000
    annotation: str = "all"  # SynthRoom's policy for both worlds: "all" visible pairs or AG-like "involved"
    truth_pairs: float = 0.0  # full supervision: share of steps on truth-box pairs (PREDCLS input) not detections
    val_videos: int = 0  # > 0: also report metrics on videos train_videos.. of the training seed (unseen)
    extra_videos: int = 0  # more training videos of the training seed, taken after the validation block
    run_seed: int = 0  # added to ``seed`` for weight init and batch order only: repeats on the same world
    backbone_epochs: int = 3
    backbone_relation: float = 0.0  # > 0: weight of the relation-aware objective in backbone pre-training
    epochs: int = 12
    lr: float = 1e-3
    weight_decay: float = 1e-4
    group_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # L_rel weights: attention, spatial, contacting
    lambda_pa: float = 1.0
    lambda_pam: float = 0.1
    pam_margin: float = 1.0
    distance_alpha: float = 3.0
    tau_r: float = 0.3
    tau_gs: float = 0.2
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        if self.ablation not in ABLATIONS:
            raise ValueError(f"ablation must be one of {ABLATIONS}, got {self.ablation!r}")
        if self.supervision not in SUPERVISIONS:
            raise ValueError(f"supervision must be one of {SUPERVISIONS}, got {self.supervision!r}")
        if self.extra_videos < 0:
            raise ValueError(f"extra_videos must be >= 0, got {self.extra_videos}")
        if not 0.0 <= self.truth_pairs <= 1.0:
            raise ValueError(f"truth_pairs must be in [0, 1], got {self.truth_pairs}")
        if self.annotation not in ANNOTATIONS:
            raise ValueError(f"annotation must be one of {ANNOTATIONS}, got {self.annotation!r}")
        if self.data not in DATASETS:
            raise ValueError(f"data must be one of {DATASETS}, got {self.data!r}")
        if self.data == "ag" and not self.root:
            raise ValueError("data 'ag' needs root: the Action Genome folder (annotations/ + frames/)")
        if self.data == "ag" and self.extra_videos:
            raise ValueError("extra_videos is SynthRoom's; with data 'ag' raise train_videos instead")

    @property
    def uses_ram(self) -> bool:
        return self.supervision == "weak" and self.ablation in ("ram", "full")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Strict: unknown keys and mistyped values are named (checkpoints and build_all store plain dicts)."""
        from vsgg_ros.config import from_dict

        return from_dict(cls, dict(d), "pals config")


def model_for(ablation: str, base: ModelConfig | None = None) -> ModelConfig:
    """Which PALS parts an ablation row switches on (paper Table 2: PAM needs PALS)."""
    base = base or ModelConfig()
    pals = ablation in ("pals", "pam", "full")
    pam = ablation in ("pam", "full")
    return dataclasses.replace(base, use_pals=pals, use_pam=pam)
