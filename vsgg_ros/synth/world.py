"""The room and the placement of furniture, wall items, props and distractors in it.

:class:`Layout` places things without overlap: floor items get a free footprint inside the camera's
view, wall items a free stretch of the back wall, small items a free spot on a table or sofa.
Scenarios (scenarios.py) ask it for the props they need; compose.py then fills the room with
distractors up to the object count the difficulty asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vsgg_ros.synth.appearance import (
    DISTRACTOR_CLASSES,
    LOOKS,
    SURFACE,
    WALL,
    Look,
    jitter_color,
    sample_look,
)
from vsgg_ros.synth.appearance import FLOOR as PLACE_FLOOR
from vsgg_ros.synth.camera import FOCAL_FRACTION
from vsgg_ros.synth.entities import FLOOR, Person, Thing
from vsgg_ros.synth.entities import SURFACE as MOUNT_SURFACE
from vsgg_ros.synth.entities import WALL as MOUNT_WALL
from vsgg_ros.synth.spec import VideoSpec

MAX_OBJECTS = 10
# Where small distractors may rest (default: tables only).
SURFACE_HOSTS = {
    "pillow": ("sofa/couch",),
    "blanket": ("sofa/couch",),
    **{label: ("table", "sofa/couch") for label in ("book", "phone/camera", "bag", "paper/notebook", "towel")},
}
UNIQUE = frozenset({"television", "door", "mirror", "sofa/couch", "closet/cabinet", "shelf"})
NEAR_Z = 2.2
FLOOR_COLORS = ((160, 120, 80), (190, 170, 140), (120, 110, 100), (200, 200, 195), (140, 90, 60))
WALL_COLORS = ((225, 220, 205), (200, 215, 225), (230, 210, 190), (205, 225, 205), (215, 215, 215))


@dataclass(frozen=True)
class Room:
    half_width: float
    back_z: float
    floor: tuple[int, int, int]
    wall: tuple[int, int, int]
    tiles: bool


@dataclass
class World:
    """Everything in one video: room, things by id, persons, and the scenario that drives person 1."""

    spec: VideoSpec
    room: Room
    things: dict[int, Thing]
    persons: list[Person]
    scenario: str
    light: float

    def person(self, pid: int) -> Person:
        for p in self.persons:
            if p.id == pid:
                return p
        raise KeyError(f"no person with id {pid}")


@dataclass
class Layout:
    """Free-space bookkeeping while a world is being furnished."""

    spec: VideoSpec
    rng: np.random.Generator
    room: Room
    light: float
    next_id: int = 1
    things: dict[int, Thing] = field(default_factory=dict)
    persons: list[Person] = field(default_factory=list)
    footprints: list[tuple[float, float, float, float]] = field(default_factory=list)
    wall_spans: list[tuple[float, float]] = field(default_factory=list)
    surface_spots: dict[int, list[tuple[float, float, float, float]]] = field(default_factory=dict)

    def view_half_width(self, z: float) -> float:
        """Half the floor width the camera sees at depth z (metres)."""
        return z * 0.5 * self.spec.width / (FOCAL_FRACTION * self.spec.height)

    def new_id(self) -> int:
        oid = self.next_id
        self.next_id += 1
        if oid > 255:
            raise ValueError("SynthRoom ids must fit the uint8 instance map")
        return oid

    def _make(self, label: str, x: float, y: float, z: float, mount: str, role: str, look: Look | None = None) -> Thing:
        look = look or sample_look(self.rng, label, self.light)
        thing = Thing(
            id=self.new_id(),
            label=label,
            x=x,
            y=y,
            z=z,
            width=look.width,
            height=look.height,
            depth=look.depth,
            color=look.color,
            accent=look.accent,
            variant=look.variant,
            mount=mount,
            role=role,
        )
        if label in ("chair", "sofa/couch"):
            thing.seat_height = float(self.rng.uniform(0.42, 0.48))
        self.things[thing.id] = thing
        return thing

    def claim_floor(self, x0: float, x1: float, z0: float, z1: float, margin: float = 0.12) -> bool:
        """Reserve a floor rectangle; False if it overlaps something already there."""
        for a0, a1, b0, b1 in self.footprints:
            if x0 < a1 + margin and a0 < x1 + margin and z0 < b1 + margin and b0 < z1 + margin:
                return False
        self.footprints.append((x0, x1, z0, z1))
        return True

    def floor(
        self,
        label: str,
        x_range: tuple[float, float] | None = None,
        z_range: tuple[float, float] | None = None,
        role: str = "distractor",
        facing: float = 0.0,
        tries: int = 30,
        margin: float = 0.12,
    ) -> Thing | None:
        """A floor-standing thing in a free spot inside the view (None if the room is full)."""
        look = sample_look(self.rng, label, self.light)
        half_w, half_d = look.width / 2, look.depth / 2
        z_lo, z_hi = z_range or (NEAR_Z + 0.4, self.room.back_z - half_d - 0.05)
        for _ in range(tries):
            z = float(self.rng.uniform(z_lo, z_hi))
            xv = min(self.view_half_width(z), self.room.half_width) - half_w
            lo, hi = x_range or (-xv, xv)
            if hi <= lo:
                continue
            x = float(self.rng.uniform(lo, hi))
            if role == "distractor" and self.hides_actor(x - half_w, x + half_w, z - half_d, look.height):
                continue
            if self.claim_floor(x - half_w, x + half_w, z - half_d, z + half_d, margin):
                thing = self._make(label, x, 0.0, z, FLOOR, role, look)
                thing.facing = facing
                return thing
        return None

    def hides_actor(self, x0: float, x1: float, z: float, height: float) -> bool:
        """Would something this tall spanning [x0, x1] at depth z hide most of person 1's width?

        Clutter may occlude the main actor partly (that is wanted), never wholly: compared in
        normalised image coordinates x / z, where the focal length cancels.
        """
        if not self.persons or height < 0.6:
            return False
        p = self.persons[0]
        if z >= p.z - 0.1:
            return False
        pu0, pu1 = (p.x - 0.25) / p.z, (p.x + 0.25) / p.z
        overlap = max(0.0, min(pu1, x1 / z) - max(pu0, x0 / z))
        return overlap > 0.5 * (pu1 - pu0)

    def wall(self, label: str, x_range: tuple[float, float] | None = None, role: str = "distractor") -> Thing | None:
        """A thing on the back wall, on a free stretch inside the view."""
        cls = LOOKS[label]
        z = self.room.back_z
        for _ in range(30):
            look = sample_look(self.rng, label, self.light)
            xv = min(self.view_half_width(z), self.room.half_width) - look.width / 2 - 0.1
            lo, hi = x_range or (-xv, xv)
            if hi <= lo:
                continue
            x = float(self.rng.uniform(lo, hi))
            a, b = x - look.width / 2 - 0.1, x + look.width / 2 + 0.1
            if any(a < d and c < b for c, d in self.wall_spans):
                continue
            self.wall_spans.append((a, b))
            bottom = float(self.rng.uniform(*cls.wall_bottom))
            thing = self._make(label, x, bottom, z - look.depth / 2 - 0.005, MOUNT_WALL, role, look)
            if label == "door":
                self.claim_floor(a, b, z - 0.9, z)
            return thing
        return None

    def on(
        self,
        surface: Thing,
        label: str,
        role: str = "distractor",
        x: float | None = None,
        z: float | None = None,
        tries: int = 20,
    ) -> Thing | None:
        """A small thing resting on a table, sofa seat or shelf board, at a free spot."""
        look = sample_look(self.rng, label, self.light)
        sw, sd = surface.width, surface.depth
        if surface.label == "sofa/couch":
            sw, sd = sw - 0.45, 0.3
        spots = self.surface_spots.setdefault(surface.id, [])
        for attempt in range(tries):
            px = x if x is not None and attempt == 0 else None
            pz = z if z is not None and attempt == 0 else None
            half_w = max(0.0, sw / 2 - look.width / 2 - 0.03)
            half_d = max(0.0, sd / 2 - look.depth / 2 - 0.03)
            cz = surface.z - 0.15 if surface.label == "sofa/couch" else surface.z
            tx = px if px is not None else float(surface.x + self.rng.uniform(-half_w, half_w))
            tz = pz if pz is not None else float(cz + self.rng.uniform(-half_d, half_d))
            box = (tx - look.width / 2, tx + look.width / 2, tz - look.depth / 2, tz + look.depth / 2)
            if any(box[0] < b and a < box[1] and box[2] < d and c < box[3] for a, b, c, d in spots):
                continue
            spots.append(box)
            thing = self._make(label, tx, surface.top, tz, MOUNT_SURFACE, role, look)
            thing.support = surface.id
            return thing
        return None

    def person(self, x: float, z: float, yaw: float) -> Person:
        from vsgg_ros.synth.appearance import HAIR, PANTS, SHIRT, SKIN

        pick = self.rng.integers
        person = Person(
            id=self.new_id(),
            x=x,
            z=z,
            yaw=yaw,
            height=float(self.rng.uniform(1.55, 1.9)),
            skin=jitter_color(self.rng, SKIN[int(pick(0, len(SKIN)))], 0.05, self.light),
            hair=jitter_color(self.rng, HAIR[int(pick(0, len(HAIR)))], 0.1, self.light),
            shirt=jitter_color(self.rng, SHIRT[int(pick(0, len(SHIRT)))], 0.12, self.light),
            pants=jitter_color(self.rng, PANTS[int(pick(0, len(PANTS)))], 0.12, self.light),
            wander=float(self.rng.uniform(0.0, 2.0 * np.pi)),
        )
        self.persons.append(person)
        return person

    def surfaces(self) -> list[Thing]:
        return [t for t in self.things.values() if t.label in ("table", "sofa/couch", "shelf")]

    def object_count(self) -> int:
        return len(self.things)


def sample_room(rng: np.random.Generator, light: float) -> Room:
    return Room(
        half_width=float(rng.uniform(2.8, 3.4)),
        back_z=float(rng.uniform(6.0, 6.8)),
        floor=jitter_color(rng, FLOOR_COLORS[int(rng.integers(0, len(FLOOR_COLORS)))], 0.08, light),
        wall=jitter_color(rng, WALL_COLORS[int(rng.integers(0, len(WALL_COLORS)))], 0.05, light),
        tiles=bool(rng.integers(0, 2)),
    )


def add_distractors(layout: Layout, target: int) -> None:
    """Fill the room with things nobody in the script touches, up to ``target`` objects in all."""
    rng = layout.rng
    attempts = 0
    present = {t.label for t in layout.things.values()}
    while layout.object_count() < min(target, MAX_OBJECTS) and attempts < 60:
        attempts += 1
        label = DISTRACTOR_CLASSES[int(rng.integers(0, len(DISTRACTOR_CLASSES)))]
        if label in UNIQUE and label in present:
            continue
        present.add(label)
        places = LOOKS[label].places
        place = places[int(rng.integers(0, len(places)))]
        if place == WALL:
            layout.wall(label)
        elif place == PLACE_FLOOR:
            layout.floor(label)
        elif place == SURFACE:
            hosts = SURFACE_HOSTS.get(label, ("table",))
            surfaces = [s for s in layout.surfaces() if s.label in hosts]
            if surfaces:
                layout.on(surfaces[int(rng.integers(0, len(surfaces)))], label)


def add_foreground_occluder(layout: Layout) -> None:
    """A piece of furniture close to the camera that hides part of the room behind it."""
    label = ("chair", "box", "light")[int(layout.rng.integers(0, 3))]
    layout.floor(label, z_range=(NEAR_Z, NEAR_Z + 0.5), facing=180.0 if label == "chair" else 0.0)
