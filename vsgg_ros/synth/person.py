"""A person's 3-D skeleton from pose state, and its drawing as limbs, torso, head, face and hair.

Joints are computed in the person's own frame (right, up, forward), moved to the world and projected
one by one, so a person walking across the room, sitting down or turning away is foreshortened by the
same camera as the furniture. The face disc and eyes sit on the side of the head the gaze points to:
the head orientation an annotator would read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vsgg_ros.synth.camera import Camera
from vsgg_ros.synth.entities import Person
from vsgg_ros.synth.painter import Painter

HEAD, NECK, SH_L, SH_R, EL_L, EL_R, HAND_L, HAND_R = 0, 1, 2, 3, 4, 5, 6, 7
HIP_L, HIP_R, KNEE_L, KNEE_R, FOOT_L, FOOT_R, PELVIS = 8, 9, 10, 11, 12, 13, 14
N_JOINTS = 15
UP = np.array((0.0, 1.0, 0.0))


def head_radius(person: Person) -> float:
    return 0.065 * person.height


def arm_reach(person: Person) -> float:
    """Shoulder-to-hand-centre reach (about 0.42 of body height)."""
    return 0.42 * person.height


MAX_LEAN = 0.35  # metres the shoulders may move forward when bending toward something low


def _local_stand(person: Person) -> np.ndarray:
    """(N_JOINTS, 3) joints as (right, up, forward) offsets for a standing or walking pose."""
    k, h = person.height / 1.75, person.height
    swing = np.sin(person.walk_phase) if person.walking else 0.0
    lift = 0.05 * k * max(0.0, np.cos(person.walk_phase)) if person.walking else 0.0
    step = 0.22 * k * swing
    j = np.zeros((N_JOINTS, 3))
    j[PELVIS] = (0.0, 0.52 * h, 0.0)
    j[HIP_L], j[HIP_R] = (-0.1 * k, 0.5 * h, 0.0), (0.1 * k, 0.5 * h, 0.0)
    j[KNEE_L] = (-0.09 * k, 0.27 * h + lift, 0.5 * step + 0.03 * k)
    j[KNEE_R] = (0.09 * k, 0.27 * h + (0.05 * k - lift if person.walking else 0.0), -0.5 * step + 0.03 * k)
    j[FOOT_L], j[FOOT_R] = (-0.08 * k, 0.03, step), (0.08 * k, 0.03, -step)
    j[NECK], j[HEAD] = (0.0, 0.86 * h, 0.0), (0.0, 0.925 * h, 0.0)
    j[SH_L], j[SH_R] = (-0.19 * k, 0.815 * h, 0.0), (0.19 * k, 0.815 * h, 0.0)
    return j


def _local_sit(person: Person, seat_height: float) -> np.ndarray:
    k, h = person.height / 1.75, person.height
    base = seat_height + 0.08
    j = np.zeros((N_JOINTS, 3))
    j[PELVIS] = (0.0, base, 0.0)
    j[HIP_L], j[HIP_R] = (-0.1 * k, base, 0.0), (0.1 * k, base, 0.0)
    j[KNEE_L], j[KNEE_R] = (-0.1 * k, base + 0.02, 0.42 * k), (0.1 * k, base + 0.02, 0.42 * k)
    j[FOOT_L], j[FOOT_R] = (-0.1 * k, 0.03, 0.46 * k), (0.1 * k, 0.03, 0.46 * k)
    j[NECK], j[HEAD] = (0.0, base + 0.34 * h, 0.0), (0.0, base + 0.405 * h, 0.0)
    j[SH_L], j[SH_R] = (-0.19 * k, base + 0.295 * h, 0.0), (0.19 * k, base + 0.295 * h, 0.0)
    return j


def body_joints(person: Person, seat_height: float = 0.45) -> np.ndarray:
    """(N_JOINTS, 3) world joints; hands come from ``person.hands``, elbows are placed between."""
    local = _local_stand(person)
    if person.sit > 0.0:
        local = (1.0 - person.sit) * local + person.sit * _local_sit(person, seat_height)
    if person.lean > 0.0:
        for j in (NECK, HEAD, SH_L, SH_R):
            local[j, 2] += person.lean
            local[j, 1] -= 0.5 * person.lean
    right, forward = person.right(), person.forward()
    world = np.array((person.x, 0.0, person.z)) + local @ np.stack((right, UP, forward))
    world[HAND_L], world[HAND_R] = person.hands[0], person.hands[1]
    k = person.height / 1.75
    for sh, el, hand, side in ((SH_L, EL_L, HAND_L, -1.0), (SH_R, EL_R, HAND_R, 1.0)):
        world[el] = 0.5 * (world[sh] + world[hand]) + right * (side * 0.07 * k) - UP * (0.05 * k)
    return world


def rest_hands(person: Person, seat_height: float = 0.45) -> np.ndarray:
    """(2, 3) where hands hang when free: at the hips (swinging when walking) or on the thighs."""
    k, h = person.height / 1.75, person.height
    swing = 0.15 * k * np.sin(person.walk_phase) if person.walking else 0.0
    stand = np.array(((-0.24 * k, 0.49 * h, -swing), (0.24 * k, 0.49 * h, swing)))
    sit = np.array(((-0.14 * k, seat_height + 0.2, 0.25 * k), (0.14 * k, seat_height + 0.2, 0.25 * k)))
    local = (1.0 - person.sit) * stand + person.sit * sit
    return np.array((person.x, 0.0, person.z)) + local @ np.stack((person.right(), UP, person.forward()))


def hold_point(person: Person, joints: np.ndarray, hand: int, where: str) -> np.ndarray:
    """World point a hand goes to for ``where`` in {"chest", "mouth", "face"} (held things follow)."""
    forward, right = person.forward(), person.right()
    side = -1.0 if hand == 0 else 1.0
    r = head_radius(person)
    if where == "mouth":
        return joints[HEAD] - UP * (0.6 * r) + forward * (1.6 * r)
    if where == "face":
        return joints[HEAD] - UP * (1.5 * r) + forward * (0.32 * person.height / 1.75) + right * (side * 0.03)
    return joints[PELVIS] + UP * (0.17 * person.height) + forward * 0.3 + right * (side * 0.08)


@dataclass(frozen=True)
class PersonDraw:
    """What drawing a person recorded: image head circle, for head-visibility checks."""

    head_uv: tuple[float, float]
    head_r_px: float


def draw_person(
    painter: Painter,
    cam: Camera,
    person: Person,
    joints: np.ndarray,
    draw_attached: Callable[[int], None],
    deferred: frozenset[int] = frozenset(),
) -> PersonDraw:
    """Far limbs, legs, torso, head, near limbs; held/worn things drawn where they belong in depth.

    Arms listed in ``deferred`` (0 left, 1 right) are skipped: the renderer draws them later with
    :func:`draw_arm`, e.g. over a table top the hand reaches onto.
    """
    uv = cam.project_many(joints).tolist()  # Python floats: rounding them is much cheaper
    s = cam.scale(float(joints[PELVIS, 2]))
    oid = person.id
    body_z = float(joints[PELVIS, 2])
    arms = ((SH_L, EL_L, HAND_L, 0), (SH_R, EL_R, HAND_R, 1))
    # An arm is in front of the torso when its hand is nearer the camera than the body, or, with
    # both hands level with it, when its shoulder is the nearer one.
    near_side = 0 if joints[SH_L, 2] < joints[SH_R, 2] else 1
    front = [bool(joints[a[2], 2] < body_z - 0.06 or (abs(joints[a[2], 2] - body_z) <= 0.06 and a[3] == near_side))
             for a in arms]  # fmt: skip
    facing_camera = person.forward()[2] < -1e-6
    arms = tuple(a for a in arms if a[3] not in deferred)

    for arm in arms:
        if not front[arm[3]]:
            _draw_arm(painter, uv, arm, s, person, draw_attached)
    if person.back_item is not None and facing_camera:
        draw_attached(person.back_item)
    legs = ((HIP_L, KNEE_L, FOOT_L), (HIP_R, KNEE_R, FOOT_R))
    far_leg_first = legs if joints[KNEE_L, 2] >= joints[KNEE_R, 2] else legs[::-1]
    for hip, knee, foot in far_leg_first:
        painter.line(uv[hip], uv[knee], 0.14 * s, person.pants, oid)
        painter.line(uv[knee], uv[foot], 0.11 * s, person.pants, oid)
        painter.ellipse(uv[foot][0], uv[foot][1], 0.07 * s, 0.035 * s, (35, 30, 30), oid)
    hip_l, hip_r = np.array(uv[HIP_L]), np.array(uv[HIP_R])
    torso = np.array((uv[SH_L], uv[SH_R], hip_r + (hip_r - hip_l) * 0.3, hip_l - (hip_r - hip_l) * 0.3))
    painter.poly(torso, person.shirt, oid)
    painter.line(uv[NECK], uv[PELVIS], 0.27 * s, person.shirt, oid)
    painter.line(uv[NECK], uv[HEAD], 0.08 * s, person.skin, oid)
    head = _draw_head(painter, cam, person, joints[HEAD], oid)
    if person.back_item is not None and not facing_camera:
        draw_attached(person.back_item)
    for arm in arms:
        if front[arm[3]]:
            _draw_arm(painter, uv, arm, s, person, draw_attached)
    return head


def draw_arm(
    painter: Painter, cam: Camera, person: Person, joints: np.ndarray, side: int, draw_attached: Callable[[int], None]
) -> None:
    """One arm (0 left, 1 right) with what its hand holds, as a separate drawing pass."""
    arm = ((SH_L, EL_L, HAND_L, 0), (SH_R, EL_R, HAND_R, 1))[side]
    idx = list(arm[:3])
    uv = np.zeros((N_JOINTS, 2))
    uv[idx] = cam.project_many(joints[idx])
    _draw_arm(painter, uv.tolist(), arm, cam.scale(float(joints[PELVIS, 2])), person, draw_attached)


def _draw_arm(
    painter: Painter,
    uv: list[list[float]],
    arm: tuple[int, int, int, int],
    s: float,
    person: Person,
    draw_attached: Callable[[int], None],
) -> None:
    """Upper arm, forearm and hand, then whatever the hand holds (in front of the fingers)."""
    sh, el, hand, side = arm
    painter.line(uv[sh], uv[el], 0.09 * s, person.shirt, person.id)
    painter.line(uv[el], uv[hand], 0.07 * s, person.skin, person.id)
    painter.circle(uv[hand][0], uv[hand][1], 0.045 * s, person.skin, person.id)
    held = person.held[side]
    if held is not None:
        draw_attached(held)


def _draw_head(painter: Painter, cam: Camera, person: Person, head: np.ndarray, oid: int) -> PersonDraw:
    """Skin disc, hair on the side opposite the gaze, then face disc and eyes on the gaze side.

    Plain float arithmetic: a handful of 3-vectors is cheaper in Python than through numpy.
    """
    r = head_radius(person)
    hx, hy, hz = (float(v) for v in head)
    gx, gy, gz = (float(v) for v in person.gaze)
    hu, hv = cam.project(hx, hy, hz)
    rp = cam.scale(hz) * r
    painter.circle(hu, hv, rp, person.skin, oid)
    hair_u, hair_v = cam.project(hx - 0.45 * r * gx, hy - 0.45 * r * gy + 0.3 * r, hz - 0.45 * r * gz)
    painter.circle(hair_u, hair_v, 0.9 * rp, person.hair, oid)
    cx, cy, cz = -hx, cam.height - hy, -hz  # towards the camera
    cam_dist = math.sqrt(cx * cx + cy * cy + cz * cz)
    if gx * cx + gy * cy + gz * cz <= 0.05 * cam_dist:
        return PersonDraw((hu, hv), rp)
    fu, fv = cam.project(hx + 0.45 * r * gx, hy + 0.45 * r * gy, hz + 0.45 * r * gz)
    painter.circle(fu, fv, 0.62 * rp, person.skin, oid)
    side_norm = math.hypot(gz, gx)
    sx, sz = (gz / side_norm, -gx / side_norm) if side_norm > 1e-6 else (1.0, 0.0)  # UP x gaze
    for sign in (-1.0, 1.0):
        ox = 0.8 * r * gx + sign * 0.35 * r * sx
        oy = 0.8 * r * gy + 0.12 * r
        oz = 0.8 * r * gz + sign * 0.35 * r * sz
        if ox * cx + oy * cy + oz * cz > 0.2 * r * cam_dist:
            eu, ev = cam.project(hx + ox, hy + oy, hz + oz)
            painter.circle(eu, ev, max(1.0, 0.13 * rp), (25, 20, 20), oid)
    return PersonDraw((hu, hv), rp)
