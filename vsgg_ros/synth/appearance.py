"""Per-class size ranges, placements and palettes, and the sampling of one instance's look.

Within-class variation comes from three independent draws: a size inside the class range, a colour
from the class palette jittered per channel, and a ``variant`` (sub-type such as cup vs bottle, or a
texture such as stripes vs dots) that the class's shape function interprets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Color = tuple[int, int, int]

# Where an instance may be placed when it is not a scenario prop with a fixed spot.
FLOOR, WALL, SURFACE = "floor", "wall", "surface"


@dataclass(frozen=True)
class ClassLook:
    """Size ranges (metres: width along x, height along y, depth along z) and placement of a class."""

    label: str
    width: tuple[float, float]
    height: tuple[float, float]
    depth: tuple[float, float]
    places: tuple[str, ...]
    palette: tuple[Color, ...]
    variants: int = 1
    wall_bottom: tuple[float, float] = (0.0, 0.0)


_WOOD = ((150, 100, 60), (120, 80, 50), (190, 150, 100), (90, 60, 40), (200, 190, 170))
_FABRIC = ((70, 90, 140), (140, 60, 60), (80, 120, 80), (120, 110, 100), (60, 60, 70), (170, 140, 90))
_BRIGHT = ((220, 60, 50), (50, 120, 220), (240, 200, 40), (60, 170, 90), (230, 120, 30), (150, 70, 180))

LOOKS: dict[str, ClassLook] = {
    look.label: look
    for look in (
        ClassLook("table", (0.9, 1.5), (0.72, 0.78), (0.6, 0.85), (FLOOR,), _WOOD),
        ClassLook("chair", (0.42, 0.5), (0.85, 1.0), (0.42, 0.5), (FLOOR,), (*_WOOD, (60, 60, 60)), 2),
        ClassLook("sofa/couch", (1.5, 2.1), (0.8, 0.9), (0.8, 0.9), (FLOOR,), _FABRIC),
        ClassLook("shelf", (0.6, 1.0), (1.2, 1.8), (0.3, 0.35), (FLOOR,), _WOOD),
        ClassLook("closet/cabinet", (0.6, 1.0), (0.8, 1.9), (0.45, 0.6), (FLOOR,), (*_WOOD, (230, 230, 225))),
        ClassLook("light", (0.3, 0.4), (1.3, 1.6), (0.3, 0.4), (FLOOR,), ((240, 230, 200), (230, 210, 170))),
        ClassLook("box", (0.3, 0.55), (0.2, 0.4), (0.3, 0.5), (FLOOR, SURFACE), ((190, 150, 100), (170, 130, 85))),
        ClassLook("bag", (0.3, 0.45), (0.3, 0.45), (0.15, 0.2), (FLOOR, SURFACE), (*_FABRIC, (40, 40, 40)), 2),
        ClassLook(
            "shoe", (0.26, 0.3), (0.1, 0.12), (0.26, 0.3), (FLOOR,), ((40, 40, 40), (220, 220, 220), (120, 70, 40))
        ),
        ClassLook("door", (0.8, 0.95), (2.0, 2.1), (0.05, 0.05), (WALL,), _WOOD, 1, (0.0, 0.0)),
        ClassLook(
            "window", (0.8, 1.4), (0.9, 1.3), (0.05, 0.05), (WALL,), ((245, 245, 245), (200, 200, 190)), 1, (0.9, 1.1)
        ),
        ClassLook(
            "picture",
            (0.4, 0.8),
            (0.3, 0.6),
            (0.03, 0.03),
            (WALL,),
            ((40, 30, 20), (200, 170, 60), (230, 230, 230)),
            3,
            (1.3, 1.6),
        ),
        ClassLook(
            "television", (0.8, 1.2), (0.5, 0.7), (0.06, 0.06), (WALL,), ((25, 25, 28), (50, 50, 55)), 1, (1.2, 1.4)
        ),
        ClassLook(
            "mirror", (0.4, 0.6), (0.6, 0.9), (0.03, 0.03), (WALL,), ((190, 200, 210), (170, 180, 190)), 1, (1.1, 1.3)
        ),
        ClassLook("cup/glass/bottle", (0.07, 0.1), (0.09, 0.26), (0.07, 0.1), (SURFACE,), _BRIGHT, 3),
        ClassLook(
            "dish",
            (0.2, 0.27),
            (0.025, 0.03),
            (0.2, 0.27),
            (SURFACE,),
            ((240, 240, 235), (200, 220, 240), (230, 210, 170)),
        ),
        ClassLook(
            "food",
            (0.08, 0.14),
            (0.06, 0.09),
            (0.08, 0.14),
            (SURFACE,),
            ((220, 40, 40), (250, 180, 30), (120, 190, 50)),
            2,
        ),
        ClassLook("sandwich", (0.12, 0.16), (0.05, 0.07), (0.1, 0.12), (SURFACE,), ((225, 190, 130),)),
        ClassLook("book", (0.15, 0.24), (0.03, 0.05), (0.2, 0.28), (SURFACE,), _BRIGHT, 2),
        ClassLook(
            "laptop", (0.3, 0.38), (0.2, 0.25), (0.22, 0.26), (SURFACE,), ((60, 60, 65), (190, 190, 195), (30, 30, 30))
        ),
        ClassLook(
            "phone/camera",
            (0.07, 0.12),
            (0.01, 0.075),
            (0.07, 0.15),
            (SURFACE,),
            ((20, 20, 25), (220, 220, 225), (60, 60, 70)),
            2,
        ),
        ClassLook(
            "paper/notebook",
            (0.21, 0.3),
            (0.005, 0.015),
            (0.28, 0.3),
            (SURFACE,),
            ((245, 245, 240), (250, 235, 150), (160, 200, 240)),
            2,
        ),
        ClassLook("pillow", (0.4, 0.5), (0.3, 0.4), (0.12, 0.15), (SURFACE,), _BRIGHT, 2),
        ClassLook("blanket", (0.9, 1.2), (0.35, 0.45), (0.1, 0.1), (SURFACE,), _FABRIC, 2),
        ClassLook(
            "towel",
            (0.3, 0.4),
            (0.02, 0.03),
            (0.2, 0.25),
            (SURFACE,),
            ((250, 250, 250), (120, 180, 230), (240, 150, 160)),
            2,
        ),
        ClassLook("medicine", (0.04, 0.05), (0.08, 0.1), (0.04, 0.05), (SURFACE,), ((240, 240, 240), (240, 150, 40))),
    )
}

FURNITURE = ("table", "chair", "sofa/couch", "shelf", "closet/cabinet")
DISTRACTOR_CLASSES = (
    "shelf", "closet/cabinet", "light", "box", "bag", "shoe", "door", "window", "picture", "television",
    "mirror", "cup/glass/bottle", "dish", "food", "sandwich", "book", "laptop", "phone/camera",
    "paper/notebook", "pillow", "towel", "medicine",
)  # fmt: skip

SKIN = ((241, 194, 160), (224, 172, 135), (198, 134, 96), (141, 85, 54), (92, 60, 40))
HAIR = ((30, 25, 20), (80, 50, 30), (150, 110, 60), (200, 170, 110), (120, 120, 120))
SHIRT = (*_BRIGHT, (240, 240, 240), (40, 50, 90), (110, 40, 60))
PANTS = ((40, 50, 80), (50, 50, 50), (140, 120, 90), (70, 80, 60))


@dataclass(frozen=True)
class Look:
    """One instance's sampled appearance."""

    width: float
    height: float
    depth: float
    color: Color
    accent: Color
    variant: int


def jitter_color(rng: np.random.Generator, base: Color, amount: float = 0.12, light: float = 1.0) -> Color:
    """A base colour with independent per-channel jitter and a global light factor."""
    factors = rng.uniform(1.0 - amount, 1.0 + amount, size=3) * light
    r, g, b = np.clip(np.asarray(base, dtype=np.float64) * factors, 0, 255).astype(int).tolist()
    return (r, g, b)


def sample_look(rng: np.random.Generator, label: str, light: float = 1.0) -> Look:
    """Size, colours and variant of a new instance of ``label``."""
    cls = LOOKS[label]
    variant = int(rng.integers(0, cls.variants))
    width = float(rng.uniform(*cls.width))
    height = float(rng.uniform(*cls.height))
    depth = float(rng.uniform(*cls.depth))
    if label == "cup/glass/bottle":
        width, height, depth = _cup_dims(rng, variant)
    elif label == "phone/camera":
        width, height, depth = (0.075, 0.01, 0.15) if variant == 0 else (0.12, 0.075, 0.07)
    color = cls.palette[int(rng.integers(0, len(cls.palette)))]
    accent = _BRIGHT[int(rng.integers(0, len(_BRIGHT)))]
    return Look(
        width, height, depth, jitter_color(rng, color, light=light), jitter_color(rng, accent, light=light), variant
    )


def _cup_dims(rng: np.random.Generator, variant: int) -> tuple[float, float, float]:
    """Cup (short, wide), glass (tall, narrow) or bottle (tallest)."""
    if variant == 0:
        w = float(rng.uniform(0.08, 0.1))
        return w, float(rng.uniform(0.09, 0.11)), w
    if variant == 1:
        w = float(rng.uniform(0.065, 0.08))
        return w, float(rng.uniform(0.12, 0.15)), w
    w = float(rng.uniform(0.065, 0.08))
    return w, float(rng.uniform(0.22, 0.27)), w
