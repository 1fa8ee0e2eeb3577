"""Scripted activities and the per-frame simulation step that advances them.

A person's script is a queue of small :class:`Activity` state machines (walk, turn, reach, grab,
bring to the mouth, put down, sit, stand, touch, ...). Each frame the first one steps; it sets goals
(where to walk, where a hand goes, what to look at) and contact state, and :func:`advance` then moves
hands toward their goals, carries held things along, turns the gaze, and records the skeleton. Contact
is only claimed when the geometry agrees (a hand must be at the object), which is what makes the
ground truth relations consistent with the pixels.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from vsgg_ros.synth.entities import HELD, LAP, SURFACE, WORN, Person, Thing
from vsgg_ros.synth.person import (
    HEAD,
    KNEE_L,
    KNEE_R,
    MAX_LEAN,
    PELVIS,
    SH_L,
    SH_R,
    UP,
    arm_reach,
    body_joints,
    hold_point,
    rest_hands,
)
from vsgg_ros.synth.world import World

TURN_RATE = 270.0  # degrees per second
HAND_RATE = 9.0  # fraction of the remaining hand distance closed per second (capped at 1 per frame)
CONTACT_M = 0.05  # a hand this close to its target counts as touching it


def yaw_towards(dx: float, dz: float) -> float:
    """Body yaw (degrees) that faces the direction (dx, dz) on the floor."""
    return math.degrees(math.atan2(dx, -dz))


def _turn(p: Person, target: float, dt: float) -> bool:
    diff = (target - p.yaw + 180.0) % 360.0 - 180.0
    step = TURN_RATE * dt
    if abs(diff) <= step:
        p.yaw = target
        return True
    p.yaw += math.copysign(step, diff)
    return False


def seat_height(world: World, p: Person) -> float:
    return world.things[p.seat].seat_height if p.seat is not None else 0.45


def grasp_point(thing: Thing) -> np.ndarray:
    return thing.center()


def touch_point(thing: Thing, p: Person) -> np.ndarray:
    """Where a hand touches a thing: a door's knob, a laptop's keys, else the top nearest the person."""
    if thing.label == "door":
        return np.array((thing.x + 0.5 * thing.width - 0.1, 1.0, thing.z - 0.03))
    w, h, d = thing.dims()
    top = thing.top if thing.seat_height == 0.0 else thing.y + h
    px = float(np.clip(p.x, thing.x - w / 2 + 0.1, thing.x + w / 2 - 0.1))
    pz = float(np.clip(p.z, thing.z - d / 2 + 0.12, thing.z + d / 2 - 0.12))
    if thing.label in ("laptop", "paper/notebook"):
        px, pz = thing.x, thing.z
    return np.array((px, top + 0.01, pz))


class Activity(ABC):
    """One step of a script; :meth:`step` returns True once it is finished."""

    @abstractmethod
    def step(self, world: World, p: Person, dt: float) -> bool: ...

    def nominal_seconds(self) -> float:
        """Rough duration, used only to make scripts long enough for the video."""
        return 1.0


@dataclass
class Walk(Activity):
    x: float
    z: float
    speed: float = 1.0
    look: int | None = None

    def step(self, world: World, p: Person, dt: float) -> bool:
        dx, dz = self.x - p.x, self.z - p.z
        dist = math.hypot(dx, dz)
        if dist < 0.02:
            p.pose, p.speed = "stand", 0.0
            return True
        p.pose, p.speed, p.look_at = "walk", self.speed, self.look
        _turn(p, yaw_towards(dx, dz), dt)
        move = min(dist, self.speed * dt)
        p.x += dx / dist * move
        p.z += dz / dist * move
        p.walk_phase += 2.0 * math.pi * move / (0.75 * p.height)
        return False

    def nominal_seconds(self) -> float:
        return 3.0


@dataclass
class Turn(Activity):
    yaw: float

    def step(self, world: World, p: Person, dt: float) -> bool:
        p.speed = 0.0
        return _turn(p, self.yaw, dt)

    def nominal_seconds(self) -> float:
        return 0.5


@dataclass
class Wait(Activity):
    """Stay put for a while, looking at ``look`` (id or point) or letting the gaze wander."""

    seconds: float
    look: int | np.ndarray | None = None
    elapsed: float = 0.0

    def step(self, world: World, p: Person, dt: float) -> bool:
        p.speed = 0.0
        if p.pose == "walk":
            p.pose = "stand"
        p.look_at = self.look
        self.elapsed += dt
        return self.elapsed >= self.seconds

    def nominal_seconds(self) -> float:
        return self.seconds


@dataclass
class Reach(Activity):
    """Move a hand onto a thing (touching it once there)."""

    hand: int
    oid: int
    elapsed: float = 0.0

    def step(self, world: World, p: Person, dt: float) -> bool:
        thing = world.things[self.oid]
        goal = grasp_point(thing)
        p.hand_goal[self.hand] = goal
        p.look_at = self.oid
        self.elapsed += dt
        near = float(np.linalg.norm(p.hands[self.hand] - goal)) < CONTACT_M
        if near:
            p.touch[self.oid] = "touching"
        return near or self.elapsed > 2.0


@dataclass
class Grab(Activity):
    """Attach a thing to a hand: from now on it is held and moves with the hand."""

    hand: int
    oid: int

    def step(self, world: World, p: Person, dt: float) -> bool:
        thing = world.things[self.oid]
        thing.mount, thing.support = HELD, p.id
        p.held[self.hand] = self.oid
        p.touch.pop(self.oid, None)
        return True

    def nominal_seconds(self) -> float:
        return 0.0


@dataclass
class Bring(Activity):
    """Move a hand to a body-relative place ("chest", "face", "mouth") and keep it there."""

    hand: int
    where: str
    seconds: float = 0.4
    look: int | None = None
    elapsed: float = 0.0

    def step(self, world: World, p: Person, dt: float) -> bool:
        p.hand_goal[self.hand] = self.where
        if self.look is not None:
            p.look_at = self.look
        self.elapsed += dt
        return self.elapsed >= self.seconds


@dataclass
class Consume(Activity):
    """Drink from or eat a held thing: the hand is at the mouth for ``seconds``."""

    hand: int
    kind: str
    oid: int
    seconds: float
    elapsed: float = 0.0
    waited: float = 0.0

    def step(self, world: World, p: Person, dt: float) -> bool:
        p.hand_goal[self.hand] = "mouth"
        joints = p.joints if p.joints is not None else body_joints(p, seat_height(world, p))
        p.look_at = joints[HEAD] + p.forward() * 2.0 + UP * 0.2
        at_mouth = float(np.linalg.norm(p.hands[self.hand] - hold_point(p, joints, self.hand, "mouth"))) < 0.06
        self.waited += dt
        if at_mouth or self.waited > 1.5:
            p.mouth = (self.kind, self.oid) if at_mouth else None
            self.elapsed += dt
        if self.elapsed >= self.seconds:
            p.mouth = None
            p.hand_goal[self.hand] = "chest"
            return True
        return False

    def nominal_seconds(self) -> float:
        return self.seconds + 0.4


@dataclass
class Place(Activity):
    """Put a held thing down on a surface at (x, z)."""

    hand: int
    surface: int
    x: float
    z: float
    elapsed: float = 0.0

    def step(self, world: World, p: Person, dt: float) -> bool:
        oid = p.held[self.hand]
        if oid is None:
            return True
        thing, surface = world.things[oid], world.things[self.surface]
        rest_h = thing.height
        goal = np.array((self.x, surface.top + 0.5 * rest_h + 0.01, self.z))
        p.hand_goal[self.hand] = goal
        p.look_at = self.surface
        self.elapsed += dt
        if float(np.linalg.norm(p.hands[self.hand] - goal)) < 0.03 or self.elapsed > 2.0:
            thing.mount, thing.support = SURFACE, self.surface
            thing.x, thing.y, thing.z = self.x, surface.top, self.z
            p.held[self.hand] = None
            p.hand_goal[self.hand] = None
            return True
        return False


@dataclass
class Sit(Activity):
    """Lower onto a seat over 0.8 s; sitting_on holds only once fully seated."""

    seat: int
    point: tuple[float, float]
    s: float = 0.0
    start: tuple[float, float] | None = None

    def step(self, world: World, p: Person, dt: float) -> bool:
        if self.start is None:
            self.start = (p.x, p.z)
            p.seat, p.seat_point = self.seat, self.point
        p.speed = 0.0
        self.s = min(1.0, self.s + dt / 0.8)
        p.sit = self.s
        p.x = self.start[0] + (self.point[0] - self.start[0]) * self.s
        p.z = self.start[1] + (self.point[1] - self.start[1]) * self.s
        if self.s >= 1.0:
            p.pose = "sit"
            return True
        p.pose = "stand"
        return False


@dataclass
class Stand(Activity):
    """Get up from the seat and step forward off it."""

    s: float = 1.0
    start: tuple[float, float] | None = None

    def step(self, world: World, p: Person, dt: float) -> bool:
        if p.seat is None:
            return True
        if self.start is None:
            self.start = (p.x, p.z)
        p.pose = "stand"
        self.s = max(0.0, self.s - dt / 0.8)
        p.sit = self.s
        fwd = p.forward()
        p.x = self.start[0] + fwd[0] * 0.45 * (1.0 - self.s)
        p.z = self.start[1] + fwd[2] * 0.45 * (1.0 - self.s)
        if self.s <= 0.0:
            p.seat = p.seat_point = None
            return True
        return False


@dataclass
class Touch(Activity):
    """Keep a hand on a thing for ``seconds`` (``kind``: touching, writing_on, wiping), optionally rubbing."""

    hand: int
    oid: int
    kind: str
    seconds: float
    wiggle: float = 0.0
    look: bool = True
    elapsed: float = 0.0
    waited: float = 0.0
    clock: float = 0.0

    def step(self, world: World, p: Person, dt: float) -> bool:
        thing = world.things[self.oid]
        base = touch_point(thing, p)
        if self.kind == "wiping":
            base = base + UP * 0.02
        self.clock += dt
        goal = base + np.array((self.wiggle * math.sin(2.0 * math.pi * 1.2 * self.clock), 0.0, 0.0))
        p.hand_goal[self.hand] = goal
        if self.look:
            p.look_at = self.oid
        off = p.hands[self.hand] - base
        # A rubbing hand counts as in contact anywhere along its stroke on the surface.
        contact = abs(float(off[0])) <= self.wiggle + CONTACT_M and float(np.linalg.norm(off[1:])) < CONTACT_M
        if contact:
            p.touch[self.oid] = self.kind
        else:
            p.touch.pop(self.oid, None)
        self.waited += dt
        if contact or self.waited > 2.0:
            self.elapsed += dt
        if self.elapsed >= self.seconds:
            p.touch.pop(self.oid, None)
            p.hand_goal[self.hand] = None if p.held[self.hand] is None else "chest"
            return True
        return False

    def nominal_seconds(self) -> float:
        return self.seconds + 0.5


@dataclass
class Cover(Activity):
    """Pull a blanket over the lap (covered_by) while seated."""

    oid: int

    def step(self, world: World, p: Person, dt: float) -> bool:
        thing = world.things[self.oid]
        thing.mount, thing.support = LAP, p.id
        p.covered_by = self.oid
        p.touch.pop(self.oid, None)
        p.hand_goal = [None, None]
        return True

    def nominal_seconds(self) -> float:
        return 0.0


@dataclass
class WearOnBack(Activity):
    oid: int

    def step(self, world: World, p: Person, dt: float) -> bool:
        thing = world.things[self.oid]
        thing.mount, thing.support = WORN, p.id
        p.back_item = self.oid
        return True

    def nominal_seconds(self) -> float:
        return 0.0


@dataclass
class Script:
    """Convenience builder for an activity list."""

    steps: list[Activity] = field(default_factory=list)

    def add(self, *acts: Activity) -> Script:
        self.steps.extend(acts)
        return self

    def seconds(self) -> float:
        return sum(a.nominal_seconds() for a in self.steps)


def _target_point(world: World, p: Person, joints: np.ndarray, t: float) -> np.ndarray:
    head = joints[HEAD]
    look = p.look_at
    if isinstance(look, np.ndarray):
        return look
    if isinstance(look, int):
        if look in world.things:
            return world.things[look].center()
        other = world.person(look)
        return other.joints[HEAD] if other.joints is not None else np.array((other.x, 1.5, other.z))
    yaw = math.radians(p.yaw + 40.0 * math.sin(p.wander + 0.5 * t))
    return head + np.array((math.sin(yaw), -0.25, -math.cos(yaw)))


def advance(world: World, dt: float, t: float, snap: bool = False) -> None:
    """One simulation step for every person: script, hands, carried things, gaze, skeleton.

    ``snap`` puts hands and gaze at their goals at once (used for the first frame).
    """
    for p in world.persons:
        if p.script and p.script[0].step(world, p, dt):
            p.script.pop(0)
        elif not p.script:
            p.speed = 0.0
            if p.pose == "walk":
                p.pose = "stand"
        _move_body(world, p, dt, t, snap)


def _lean_needed(p: Person, sh: float) -> float:
    """Forward bend that brings every hand goal given as a world point within reach."""
    goals = [g for g in p.hand_goal if isinstance(g, np.ndarray)]
    if not goals:
        return 0.0
    reach = 0.97 * arm_reach(p)
    saved = p.lean
    need = MAX_LEAN
    for lean in np.linspace(0.0, MAX_LEAN, 8):
        p.lean = float(lean)
        joints = body_joints(p, sh)
        if all(min(np.linalg.norm(g - joints[SH_L]), np.linalg.norm(g - joints[SH_R])) <= reach for g in goals):
            need = float(lean)
            break
    p.lean = saved
    return need


def _move_body(world: World, p: Person, dt: float, t: float, snap: bool) -> None:
    sh = seat_height(world, p)
    target_lean = _lean_needed(p, sh)
    p.lean = target_lean if snap else p.lean + (target_lean - p.lean) * min(1.0, 6.0 * dt)
    joints = body_joints(p, sh)
    rest = rest_hands(p, sh)
    rate = 1.0 if snap else min(1.0, HAND_RATE * dt)
    reach = arm_reach(p)
    for i, shoulder in ((0, SH_L), (1, SH_R)):
        goal = p.hand_goal[i]
        if isinstance(goal, str):
            target = hold_point(p, joints, i, goal)
        elif goal is None:
            target = rest[i]
        else:
            target = goal
        new = p.hands[i] + (target - p.hands[i]) * rate
        offset = new - joints[shoulder]
        dist = float(np.linalg.norm(offset))
        if dist > reach:
            new = joints[shoulder] + offset * (reach / dist)
        p.hands[i] = new
    joints = body_joints(p, sh)
    p.joints = joints
    for i, oid in enumerate(p.held):
        if oid is not None:
            thing = world.things[oid]
            hand = p.hands[i]
            thing.x, thing.y, thing.z = float(hand[0]), float(hand[1] - 0.5 * thing.dims()[1]), float(hand[2])
    if p.back_item is not None:
        bag = world.things[p.back_item]
        back = joints[PELVIS] - p.forward() * (0.06 + 0.5 * bag.depth)
        bag.x, bag.y, bag.z = float(back[0]), float(joints[PELVIS, 1] + 0.05), float(back[2])
    if p.covered_by is not None:
        blanket = world.things[p.covered_by]
        knees = 0.5 * (joints[KNEE_L] + joints[KNEE_R])
        blanket.x, blanket.y, blanket.z = float(joints[PELVIS, 0]), 0.1, float(knees[2] - 0.08)
    desired = _target_point(world, p, joints, t) - joints[HEAD]
    norm = float(np.linalg.norm(desired))
    if norm > 1e-6:
        desired /= norm
        gaze_rate = 1.0 if snap else min(1.0, 7.0 * dt)
        gaze = p.gaze + (desired - p.gaze) * gaze_rate
        p.gaze = gaze / max(1e-6, float(np.linalg.norm(gaze)))


def settle(world: World) -> None:
    """Put every person's hands, carried things and gaze where the first frame shows them."""
    for p in world.persons:
        _move_body(world, p, 0.0, 0.0, snap=True)
