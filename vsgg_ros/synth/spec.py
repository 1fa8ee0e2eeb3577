"""What one SynthRoom video is made of: its seed, length, size and difficulty.

A :class:`VideoSpec` is the only input of the generator, so equal specs give byte-identical videos.
``annotation`` picks which person–thing pairs carry relations: ``"all"`` visible pairs, or only the
``"involved"`` ones, as Action Genome annotates (vsgg_ros/synth/annotation.py).
``difficulty`` is one knob in ``[0, 1]`` that :func:`difficulty_params` turns into the concrete
amounts of clutter, occlusion, camera motion and noise (formulas documented in docs/synthroom.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_DIFFICULTY = 0.5
DEFAULT_FPS = 10.0
DEFAULT_SIZE = (320, 240)
TEST_EVERY = 5  # every fifth video (index 4, 9, ...) is in the test split
# Which person-thing pairs carry relation ground truth (vsgg_ros/synth/annotation.py, docs/synthroom.md).
ANNOTATIONS = ("all", "involved")
DEFAULT_ANNOTATION = "all"


@dataclass(frozen=True)
class DifficultyParams:
    """Concrete nuisance levels derived from the difficulty knob (see :func:`difficulty_params`)."""

    min_objects: int
    max_objects: int
    second_person_prob: float
    foreground_occluder_prob: float
    jitter_px: float
    pan_px: float
    noise_sigma: float
    blur: float
    light_jitter: float


def difficulty_params(difficulty: float, width: int = DEFAULT_SIZE[0]) -> DifficultyParams:
    """Nuisance levels for ``difficulty`` in [0, 1]; pixel amounts scale with the image width."""
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty}")
    d = float(difficulty)
    px = width / 320.0
    return DifficultyParams(
        min_objects=3 + round(2 * d),
        max_objects=6 + round(4 * d),
        second_person_prob=0.15 + 0.5 * d,
        foreground_occluder_prob=0.1 + 0.6 * d,
        jitter_px=1.2 * d * px,
        pan_px=30.0 * d * px,
        noise_sigma=1.0 + 8.0 * d,
        blur=0.3 + 1.4 * d,
        light_jitter=0.05 + 0.25 * d,
    )


@dataclass(frozen=True)
class VideoSpec:
    """One video of a SynthRoom world; ``index`` is its position in the world (0-based)."""

    seed: int = 0
    index: int = 0
    frames: int = 60
    size: tuple[int, int] = DEFAULT_SIZE
    difficulty: float = DEFAULT_DIFFICULTY
    fps: float = DEFAULT_FPS
    annotation: str = DEFAULT_ANNOTATION

    def __post_init__(self) -> None:
        width, height = self.size
        if width < 32 or height < 24:
            raise ValueError(f"size must be at least 32x24, got {width}x{height}")
        if self.frames < 1:
            raise ValueError(f"frames must be >= 1, got {self.frames}")
        if self.fps <= 0:
            raise ValueError(f"fps must be > 0, got {self.fps}")
        if self.seed < 0 or self.index < 0:
            raise ValueError(f"seed and index must be >= 0, got seed={self.seed} index={self.index}")
        difficulty_params(self.difficulty)
        if self.annotation not in ANNOTATIONS:
            raise ValueError(f"annotation must be one of {', '.join(ANNOTATIONS)}, got {self.annotation!r}")

    @property
    def width(self) -> int:
        return int(self.size[0])

    @property
    def height(self) -> int:
        return int(self.size[1])

    @property
    def video_id(self) -> str:
        """Dataset-style id; unique per (seed, index) so worlds with different seeds never collide."""
        return f"SR{self.seed}V{self.index:04d}"

    @property
    def params(self) -> DifficultyParams:
        return difficulty_params(self.difficulty, self.width)

    @property
    def split(self) -> str:
        """ "train" or "test": every fifth video of a world is a test video."""
        return "test" if self.index % TEST_EVERY == TEST_EVERY - 1 else "train"

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per purpose, so e.g. noise never shifts the layout's draws."""
        salt = [ord(c) for c in stream]
        return np.random.default_rng(np.random.SeedSequence([self.seed, self.index, *salt]))


def world_specs(
    videos: int,
    frames: int,
    seed: int = 0,
    size: tuple[int, int] = DEFAULT_SIZE,
    difficulty: float = DEFAULT_DIFFICULTY,
    fps: float = DEFAULT_FPS,
    annotation: str = DEFAULT_ANNOTATION,
) -> list[VideoSpec]:
    """The specs of a world of ``videos`` videos."""
    if videos < 1:
        raise ValueError(f"videos must be >= 1, got {videos}")
    return [VideoSpec(seed, i, frames, size, difficulty, fps, annotation) for i in range(videos)]


def parse_size(text: str) -> tuple[int, int]:
    """``"320x240"`` -> ``(320, 240)``."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"size must look like WIDTHxHEIGHT (e.g. 320x240), got {text!r}")
    return int(parts[0]), int(parts[1])
