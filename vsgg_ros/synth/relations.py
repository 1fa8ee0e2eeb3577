"""Action Genome relations of one person–object pair, read off the world state and geometry.

Directions follow AG exactly (reference §1.2): attention and contacting go person -> object, spatial
goes object -> person ("the cup is in_front_of the person"). Every visible pair gets exactly one
attention label, at least one spatial label and at least one contacting label, as AG annotators gave.
The rules (thresholds in the constants below) are documented in docs/synthroom.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vsgg_ros.synth.entities import Person, Thing
from vsgg_ros.synth.person import HEAD, PELVIS, head_radius

NARROW_DEG = 10.0  # gaze ray within this of an object's 3-D box: it may be the one looked at
WIDE_DEG = 45.0  # seen from behind, objects within this cone are "unsure"
BACK_VIEW_Z = 0.5  # gaze z-component above this: the face points away from the camera
HEAD_VISIBLE_MIN = 0.5  # less of the head visible than this: attention is "unsure" for every object
DEPTH_TOL = 0.15  # closer in depth than this (and overlapping sideways): neither in front nor behind
ABOVE_MARGIN = 0.1
BENEATH_MARGIN = 0.05
SEATED = 0.99

ATTENTION = ("looking_at", "not_looking_at", "unsure")
SPATIAL = ("above", "beneath", "in_front_of", "behind", "on_the_side_of", "in")
CONTACTING = (
    "carrying",
    "covered_by",
    "drinking_from",
    "eating",
    "have_it_on_the_back",
    "holding",
    "not_contacting",
    "sitting_on",
    "touching",
    "wiping",
    "writing_on",
)
PRODUCIBLE = frozenset((*ATTENTION, *SPATIAL, *CONTACTING))


@dataclass(frozen=True)
class PairLabels:
    attention: str
    spatial: tuple[str, ...]
    contacting: tuple[str, ...]

    @property
    def interactive(self) -> bool:
        """Our definition: some contact other than not_contacting, or attention == looking_at."""
        return self.attention == "looking_at" or self.contacting != ("not_contacting",)


def person_half_width(p: Person) -> float:
    return 0.25 * p.height / 1.75


def person_top(p: Person, joints: np.ndarray) -> float:
    return float(joints[HEAD, 1]) + head_radius(p)


def gaze_angle(head: tuple[float, float, float], gaze: tuple[float, float, float], thing: Thing) -> float:
    """Degrees between the gaze ray and the nearest point of the thing's 3-D box.

    The ray is followed to the distance of the box centre and clamped into the box; the angle to
    that point is 0 when the gaze passes through the box and grows with the miss. Plain floats: for
    one 3-vector this is several times cheaper than numpy.
    """
    w, h, d = thing.dims()
    lo = (thing.x - 0.5 * w, thing.y, thing.z - 0.5 * d)
    hi = (thing.x + 0.5 * w, thing.y + h, thing.z + 0.5 * d)
    dist = math.dist(head, (thing.x, thing.y + 0.5 * h, thing.z))
    near = [min(max(head[i] + gaze[i] * dist, lo[i]), hi[i]) - head[i] for i in range(3)]
    norm = math.hypot(*near)
    if norm < 1e-6:
        return 0.0
    cos = (near[0] * gaze[0] + near[1] * gaze[1] + near[2] * gaze[2]) / norm
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def focus(p: Person, joints: np.ndarray, things: Sequence[Thing]) -> tuple[int | None, dict[int, float]]:
    """The one thing a person looks at (or None), and the gaze angle to every thing.

    Candidates are things whose box the gaze passes within NARROW_DEG of. The scripted gaze target
    wins when it is a candidate; otherwise the smallest angle, then the nearest, then the lowest id.
    """
    hx, hy, hz = (float(v) for v in joints[HEAD])
    gx, gy, gz = (float(v) for v in p.gaze)
    by_id = {t.id: gaze_angle((hx, hy, hz), (gx, gy, gz), t) for t in things}
    ranked = [
        (by_id[t.id], math.dist((hx, hy, hz), (t.x, t.y + 0.5 * t.dims()[1], t.z)), t.id)
        for t in things
        if by_id[t.id] <= NARROW_DEG
    ]
    if not ranked:
        return None, by_id
    if isinstance(p.look_at, int) and p.look_at in {oid for *_, oid in ranked}:
        return p.look_at, by_id
    return min(ranked)[2], by_id


def attention(p: Person, thing: Thing, focus_id: int | None, angle: float, head_visible: float) -> str:
    """looking_at the focus; unsure with the head hidden, or near the gaze of a person seen from behind."""
    if head_visible < HEAD_VISIBLE_MIN:
        return "unsure"
    if thing.id == focus_id:
        return "looking_at"
    if float(p.gaze[2]) > BACK_VIEW_Z and angle <= WIDE_DEG:
        return "unsure"
    return "not_looking_at"


def spatial(p: Person, joints: np.ndarray, thing: Thing) -> tuple[str, ...]:
    """Position of the object relative to the person (camera depth decides front/behind)."""
    w, _, d = thing.dims()
    pelvis = joints[PELVIS]
    dx, dz = thing.x - float(pelvis[0]), thing.z - float(pelvis[2])
    half = person_half_width(p)
    gap = abs(dx) - (0.5 * w + half)
    labels: list[str] = []
    if gap > abs(dz):
        labels.append("on_the_side_of")
    elif dz <= -DEPTH_TOL:
        labels.append("in_front_of")
    elif dz >= DEPTH_TOL:
        labels.append("behind")
    if thing.y >= person_top(p, joints) - ABOVE_MARGIN:
        labels.append("above")
    seated_on = p.seat == thing.id and p.sit >= SEATED
    over = abs(dx) < 0.5 * w and abs(dz) < 0.5 * d
    under = over and thing.top <= float(pelvis[1]) + BENEATH_MARGIN
    if seated_on or (under and thing.mount == "floor"):
        labels.append("beneath")
    if thing.id in p.held or thing.id in (p.back_item, p.covered_by):
        labels.append("in")
    return tuple(labels) if labels else ("on_the_side_of",)


def contacting(p: Person, thing: Thing) -> tuple[str, ...]:
    oid = thing.id
    labels: list[str] = []
    if oid in p.held:
        labels.append("holding")
        if p.walking:
            labels.append("carrying")
    if p.mouth is not None and p.mouth[1] == oid:
        labels.append(p.mouth[0])
    if p.seat == oid and p.sit >= SEATED:
        labels.append("sitting_on")
    kind = p.touch.get(oid)
    if kind is not None:
        labels.append(kind)
    if p.covered_by == oid:
        labels.append("covered_by")
    if p.back_item == oid:
        labels.append("have_it_on_the_back")
    return tuple(labels) if labels else ("not_contacting",)


def pair_labels(
    p: Person, joints: np.ndarray, thing: Thing, focus_id: int | None, angle: float, head_visible: float
) -> PairLabels:
    return PairLabels(
        attention(p, thing, focus_id, angle, head_visible), spatial(p, joints, thing), contacting(p, thing)
    )
