"""Mutable state of the things and persons in a room, advanced frame by frame by the activities.

Positions are world metres (see camera.py). A :class:`Thing` is anchored at its bottom centre; a
:class:`Person` at the point between the feet. Contact state (what a hand holds or touches, what a
person sits on, is covered by or carries on the back) lives on the person: relations read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from vsgg_ros.synth.appearance import Color

if TYPE_CHECKING:
    from vsgg_ros.synth.activities import Activity

FLAT_WHEN_RESTING = frozenset({"book", "phone/camera", "paper/notebook", "towel"})

# mount values of a Thing
FLOOR, WALL, SURFACE, HELD, WORN, LAP = "floor", "wall", "surface", "held", "worn", "lap"


@dataclass
class Thing:
    """A non-person object. ``facing`` (degrees) only matters for chairs and sofas: 0 faces the camera."""

    id: int
    label: str
    x: float
    y: float
    z: float
    width: float
    height: float
    depth: float
    color: Color
    accent: Color
    variant: int = 0
    mount: str = FLOOR
    support: int | None = None
    facing: float = 0.0
    seat_height: float = 0.0
    role: str = "distractor"

    def dims(self) -> tuple[float, float, float]:
        """(width, height, depth) as it stands now: flat things are held upright, like a shown page."""
        if self.mount == HELD and self.label in FLAT_WHEN_RESTING:
            return self.width, self.depth, self.height
        return self.width, self.height, self.depth

    @property
    def top(self) -> float:
        """Height of the surface something can rest on (seat for chairs and sofas)."""
        if self.seat_height > 0.0:
            return self.seat_height
        return self.y + self.dims()[1]

    def center(self) -> np.ndarray:
        return np.array((self.x, self.y + 0.5 * self.dims()[1], self.z))


@dataclass
class Person:
    """A person and their contact state; hands are [left, right] world points.

    ``hand_goal`` entries are a world point, a body-relative place ("chest", "mouth", "face") or None
    (hands hang at rest); ``look_at`` is a thing/person id, a world point or None (gaze wanders).
    ``joints`` is the skeleton of the last simulated frame; ``lean`` (metres) bends the upper body
    forward to reach low things.
    """

    id: int
    x: float
    z: float
    yaw: float
    height: float
    skin: Color
    hair: Color
    shirt: Color
    pants: Color
    pose: str = "stand"
    sit: float = 0.0
    walk_phase: float = 0.0
    speed: float = 0.0
    gaze: np.ndarray = field(default_factory=lambda: np.array((0.0, -0.2, -1.0)))
    look_at: np.ndarray | int | None = None
    hands: np.ndarray = field(default_factory=lambda: np.zeros((2, 3)))
    hand_goal: list[np.ndarray | str | None] = field(default_factory=lambda: [None, None])
    held: list[int | None] = field(default_factory=lambda: [None, None])
    seat: int | None = None
    seat_point: tuple[float, float] | None = None
    touch: dict[int, str] = field(default_factory=dict)
    mouth: tuple[str, int] | None = None
    covered_by: int | None = None
    back_item: int | None = None
    script: list[Activity] = field(default_factory=list)
    label: str = "person"
    wander: float = 0.0
    joints: np.ndarray | None = None
    lean: float = 0.0

    def forward(self) -> np.ndarray:
        yaw = np.radians(self.yaw)
        return np.array((np.sin(yaw), 0.0, -np.cos(yaw)))

    def right(self) -> np.ndarray:
        """The person's own right: image-left when they face the camera."""
        yaw = np.radians(self.yaw)
        return np.array((-np.cos(yaw), 0.0, np.sin(yaw)))

    @property
    def walking(self) -> bool:
        return self.pose == "walk" and self.speed > 0.05
