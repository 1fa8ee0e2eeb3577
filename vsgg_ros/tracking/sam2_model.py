"""Build a SAM2.1 video model (PyPI ``sam2==1.1.0``) from its packaged Hydra config, and prepare frames for it.

The model is sam2's own ``SAM2VideoPredictor`` (a ``SAM2Base``), so the streaming tracker and sam2's offline
predictor can share one set of weights. Without a checkpoint the weights are random (seeded): that is how CI
builds it, with no hub download. A checkpoint is loaded strictly, with errors that name the file and keys.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from sam2.sam2_video_predictor import SAM2VideoPredictor

CONFIGS = {
    "t": "configs/sam2.1/sam2.1_hiera_t.yaml",
    "s": "configs/sam2.1/sam2.1_hiera_s.yaml",
    "b+": "configs/sam2.1/sam2.1_hiera_b+.yaml",
    "l": "configs/sam2.1/sam2.1_hiera_l.yaml",
}
DTYPES = ("float32", "bfloat16", "float16")
# A cheap variant of the tiny architecture for CPU tests and benches: same code paths, fewer blocks.
# Hiera's global-attention blocks must not be its q-pool (stage-first) blocks, hence [2, 4] for [1, 2, 2, 1].
MICRO_OVERRIDES = (
    "++model.image_encoder.trunk.stages=[1,2,2,1]",
    "++model.image_encoder.trunk.global_att_blocks=[2,4]",
    "++model.memory_attention.num_layers=1",
)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Sam2ModelConfig:
    """Which SAM2.1 model to build and how to run it.

    ``size``: t | s | b+ | l. ``image_size``: the square model input (1024 as trained; 512 is ~4x faster).
    ``device``: ``auto`` picks CUDA when present. ``dtype``: autocast precision for the forward passes.
    ``checkpoint``: a sam2 ``.pt`` (``{"model": state_dict}``); None builds random weights from ``seed``.
    ``vos_optimized``: sam2's fully ``torch.compile``-d variant (GPU; warm it up before going live).
    ``overrides``: extra Hydra overrides (e.g. :data:`MICRO_OVERRIDES`). ``fill_hole_area``: sam2's hole
    filling of output masks, which needs its optional CUDA extension (0 = off).
    """

    size: str = "t"
    image_size: int = 1024
    device: str = "auto"
    dtype: str = "float32"
    checkpoint: str | None = None
    vos_optimized: bool = False
    overrides: tuple[str, ...] = ()
    fill_hole_area: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size not in CONFIGS:
            raise ValueError(f"sam2 model size must be one of {sorted(CONFIGS)}, got {self.size!r}")
        if self.image_size < 64 or self.image_size % 32:
            raise ValueError(f"sam2 image_size must be a multiple of 32 and >= 64, got {self.image_size}")
        if self.dtype not in DTYPES:
            raise ValueError(f"sam2 dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.fill_hole_area < 0:
            raise ValueError(f"sam2 fill_hole_area must be >= 0, got {self.fill_hole_area}")
        object.__setattr__(self, "overrides", tuple(self.overrides))


def micro_config(image_size: int = 128, seed: int = 0) -> Sam2ModelConfig:
    """The CPU test/bench model: tiny architecture trimmed by :data:`MICRO_OVERRIDES`, random weights."""
    return Sam2ModelConfig(size="t", image_size=image_size, device="cpu", overrides=MICRO_OVERRIDES, seed=seed)


def resolve_device(device: str) -> torch.device:
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"sam2 device {device!r} requested but CUDA is not available")
    return resolved


def build_sam2_model(config: Sam2ModelConfig) -> SAM2VideoPredictor:
    """Compose the packaged config with our overrides, instantiate it, then load weights (if any)."""
    import torch
    from sam2.build_sam import build_sam2_video_predictor

    device = resolve_device(config.device)
    overrides = [f"++model.image_size={config.image_size}", *config.overrides]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_sam2_video_predictor(
            CONFIGS[config.size],
            ckpt_path=None,
            device="cpu",
            mode="eval",
            hydra_overrides_extra=overrides,
            vos_optimized=config.vos_optimized,
        )
    if config.checkpoint is not None:
        load_checkpoint(model, config.checkpoint)
    model.fill_hole_area = config.fill_hole_area
    return model.to(device).eval()


def load_checkpoint(model: torch.nn.Module, path: str | Path) -> None:
    """Load a sam2 checkpoint strictly; a size/config mismatch names the first offending keys."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"sam2 checkpoint not found: {p}")
    blob = torch.load(p, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or "model" not in blob:
        raise ValueError(f"sam2 checkpoint {p} has no 'model' state dict (keys: {sorted(blob)[:5]})")
    missing, unexpected = model.load_state_dict(blob["model"], strict=False)
    if missing or unexpected:
        raise ValueError(
            f"sam2 checkpoint {p} does not fit the configured model (wrong size?): "
            f"missing {list(missing)[:5]}, unexpected {list(unexpected)[:5]}"
        )


@contextlib.contextmanager
def autocast(device: torch.device, dtype: str) -> Iterator[None]:
    """Reduced-precision forward passes when asked; a no-op for float32."""
    import torch

    if dtype == "float32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=getattr(torch, dtype)):
        yield


def preprocess(image: np.ndarray, image_size: int, device: torch.device) -> torch.Tensor:
    """HxWx3 uint8 RGB -> [1, 3, S, S] normalised input, exactly as sam2's own frame loader does it.

    sam2 resizes with PIL's default (bicubic) filter, scales to [0, 1] and applies ImageNet statistics;
    matching it keeps our masks identical to sam2's offline predictor on the same frames.
    """
    import torch
    from PIL import Image

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"frame image must be HxWx3 uint8 RGB, got shape {image.shape} dtype {image.dtype}")
    resized = np.asarray(Image.fromarray(image).resize((image_size, image_size))) / 255.0
    tensor = torch.from_numpy(resized).permute(2, 0, 1).to(torch.float32)
    mean = torch.tensor(_IMAGENET_MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(_IMAGENET_STD, dtype=torch.float32)[:, None, None]
    tensor = (tensor - mean) / std
    return tensor.unsqueeze(0).to(device)


def describe(model: Any) -> dict[str, Any]:
    """The memory-relevant settings of a built model (for logs and docs)."""
    return {
        "image_size": int(model.image_size),
        "num_maskmem": int(model.num_maskmem),
        "max_obj_ptrs_in_encoder": int(model.max_obj_ptrs_in_encoder),
        "memory_temporal_stride_for_eval": int(model.memory_temporal_stride_for_eval),
        "max_cond_frames_in_attn": int(model.max_cond_frames_in_attn),
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }
