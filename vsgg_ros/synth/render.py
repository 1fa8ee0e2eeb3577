"""Rasterises one frame of a world: room, things and persons in depth order, then camera effects.

The room is pre-rendered once per video with a margin and cropped per frame by the camera shift.
Entities are drawn far to near (things resting on something right after their support, held and
worn things inside their person's drawing); every primitive writes the RGB frame and the id map
together (painter.py). Motion blur and sensor noise are applied to the RGB frame only, after the
id map is final: the masks are the sharp, noise-free truth of what the blurred frame shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from vsgg_ros.synth.camera import Camera, camera_path
from vsgg_ros.synth.entities import FLOOR, HELD, LAP, SURFACE, WALL, WORN, Person, Thing
from vsgg_ros.synth.painter import Painter
from vsgg_ros.synth.person import PersonDraw, draw_arm, draw_person
from vsgg_ros.synth.shapes import draw_chair_back, draw_thing, shade
from vsgg_ros.synth.world import Room, World

NOISE_PAD = 16
CACHED_MOUNTS = (FLOOR, WALL, SURFACE)


@dataclass(frozen=True)
class Sprite:
    """A thing rasterised once at the unshifted camera: its pixels, its mask and where they go."""

    key: tuple[float, ...]
    x0: int
    y0: int
    rgb: np.ndarray
    mask: np.ndarray


class SpriteCache:
    """Static things are drawn once and pasted each frame at the camera shift.

    Camera shake and pan move the principal point by whole pixels, so a thing that has not moved
    projects to the same pixels shifted by (dx, dy): pasting its sprite gives the frame and id map
    that drawing it again would. A thing is redrawn whenever its pose (or a screen's content) changes.
    """

    def __init__(self, base: Camera, width: int, height: int, margin: int) -> None:
        self.cam = base.shifted(margin, margin)
        self.width, self.height, self.margin = width, height, margin
        self.sprites: dict[int, Sprite] = {}

    def sprite(self, thing: Thing, time_s: float) -> Sprite:
        key = _pose_key(thing, time_s)
        cached = self.sprites.get(thing.id)
        if cached is not None and cached.key == key:
            return cached
        m = self.margin
        canvas = np.zeros((self.height + 2 * m, self.width + 2 * m, 3), dtype=np.uint8)
        ids = np.zeros(canvas.shape[:2], dtype=np.uint8)
        painter = Painter(canvas, ids)
        draw_thing(painter, self.cam, thing, time_s)
        x0, y0, x1, y1 = painter.bounds.get(thing.id, (0, 0, 0, 0))
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(canvas.shape[1], x1), min(canvas.shape[0], y1)
        x1, y1 = max(x0, x1), max(y0, y1)
        mask = ids[y0:y1, x0:x1] == thing.id
        sprite = Sprite(key, x0 - m, y0 - m, canvas[y0:y1, x0:x1].copy(), mask)
        self.sprites[thing.id] = sprite
        return sprite

    def paste(self, painter: Painter, thing: Thing, time_s: float, dx: int, dy: int) -> None:
        sp = self.sprite(thing, time_s)
        h, w = sp.mask.shape
        x0, y0 = sp.x0 + dx, sp.y0 + dy
        cx0, cy0 = max(0, x0), max(0, y0)
        cx1, cy1 = min(self.width, x0 + w), min(self.height, y0 + h)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        sub = (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))
        mask = sp.mask[sub]
        np.copyto(painter.image[cy0:cy1, cx0:cx1], sp.rgb[sub], where=mask[:, :, None])
        np.copyto(painter.ids[cy0:cy1, cx0:cx1], np.uint8(thing.id), where=mask)
        painter.bounds[thing.id] = [cx0, cy0, cx1, cy1]


def _pose_key(thing: Thing, time_s: float) -> tuple[float, ...]:
    phase = int(time_s * 0.7 + thing.id) % 4 if thing.label == "television" else 0
    return (thing.x, thing.y, thing.z, thing.width, thing.height, thing.depth, thing.facing, float(phase))


@dataclass
class Rendered:
    """One frame's pixels and what the rasteriser knows about them."""

    image: np.ndarray
    ids: np.ndarray
    drawn_px: dict[int, int]
    head_visible: dict[int, float]
    camera: Camera


class Renderer:
    """Per-video renderer: owns the pre-rendered room, the noise tile and the camera path."""

    def __init__(self, world: World, cache_sprites: bool = True) -> None:
        spec = world.spec
        self.cache_sprites = cache_sprites
        self.world = world
        self.width, self.height = spec.width, spec.height
        params = spec.params
        self.path = camera_path(spec.rng("camera"), spec.frames, params.jitter_px, params.pan_px)
        self.margin = int(np.abs(self.path).max()) + 2
        self.base = Camera.for_size(self.width, self.height)
        self.background = _room_image(world.room, self.base, self.width, self.height, self.margin)
        noise_rng = spec.rng("noise")
        shape = (self.height + NOISE_PAD, self.width + NOISE_PAD, 3)
        noise = noise_rng.normal(0.0, params.noise_sigma, size=shape)
        self.noise_pos = np.clip(noise, 0, 255).astype(np.uint8)
        self.noise_neg = np.clip(-noise, 0, 255).astype(np.uint8)
        self.noise_offsets = noise_rng.integers(0, NOISE_PAD, size=(spec.frames, 2))
        self.blur = params.blur
        self.sprites = SpriteCache(self.base, self.width, self.height, self.margin)

    def render(self, frame: int, time_s: float) -> Rendered:
        dx, dy = (int(v) for v in self.path[frame])
        cam = self.base.shifted(dx, dy)
        m = self.margin
        image = self.background[m - dy : m - dy + self.height, m - dx : m - dx + self.width].copy()
        ids = np.zeros((self.height, self.width), dtype=np.uint8)
        painter = Painter(image, ids)
        drawn: dict[int, int] = {}
        head_px: dict[int, tuple[tuple[int, int, int, int], int]] = {}
        world = self.world
        things = world.things

        def attached(oid: int) -> None:
            draw_thing(painter, cam, things[oid], time_s)

        order, deferred_arms = _draw_order(world)
        for kind, ent in order:
            if kind == "thing":
                assert isinstance(ent, Thing)
                if self.cache_sprites and ent.mount in CACHED_MOUNTS:
                    self.sprites.paste(painter, ent, time_s, dx, dy)
                else:
                    draw_thing(painter, cam, ent, time_s)
                drawn[ent.id] = painter.count(ent.id)
            elif kind == "back":
                assert isinstance(ent, Thing)
                draw_chair_back(painter, cam, ent)
                drawn[ent.id] = max(drawn.get(ent.id, 0), painter.count(ent.id))
            elif kind == "arm":
                person, side = ent  # type: ignore[misc]
                draw_arm(painter, cam, person, person.joints, side, attached)
                drawn[person.id] = max(drawn.get(person.id, 0), painter.count(person.id))
                held = person.held[side]
                if held is not None:
                    drawn[held] = painter.count(held)
            else:
                assert isinstance(ent, Person) and ent.joints is not None
                head = draw_person(painter, cam, ent, ent.joints, attached, deferred_arms.get(ent.id, frozenset()))
                drawn[ent.id] = painter.count(ent.id)
                for oid in (*ent.held, ent.back_item):
                    if oid is not None:
                        drawn[oid] = painter.count(oid)
                roi = _head_roi(head, self.width, self.height)
                head_px[ent.id] = (roi, _count(ids, roi, ent.id))
        head_visible = {}
        for pid, (roi, before) in head_px.items():
            head_visible[pid] = _count(ids, roi, pid) / before if before else 0.0
        self._blur_movers(image, painter, cam)
        self._shake_blur(image, frame)
        self._noise(image, frame)
        return Rendered(image, ids, drawn, head_visible, cam)

    def _blur_movers(self, image: np.ndarray, painter: Painter, cam: Camera) -> None:
        """Horizontal box blur over each walking person, as long as their motion in one frame."""
        fps = self.world.spec.fps
        for p in self.world.persons:
            if not p.walking or p.id not in painter.bounds:
                continue
            px_per_frame = p.speed * cam.scale(p.z) / fps
            k = round(self.blur * 0.5 * px_per_frame)
            if k < 2:
                continue
            x0, y0, x1, y1 = painter.bounds[p.id]
            x0, y0 = max(0, x0 - k), max(0, y0)
            x1, y1 = min(self.width, x1 + k), min(self.height, y1)
            if x1 - x0 > k and y1 > y0:
                roi = image[y0:y1, x0:x1]
                cv2.blur(roi, (k, 1), dst=roi)

    def _shake_blur(self, image: np.ndarray, frame: int) -> None:
        if frame == 0:
            return
        dx, dy = np.abs(self.path[frame] - self.path[frame - 1])
        kx, ky = round(self.blur * dx), round(self.blur * dy)
        if max(kx, ky) >= 2:
            cv2.blur(image, (max(1, kx), max(1, ky)), dst=image)

    def _noise(self, image: np.ndarray, frame: int) -> None:
        oy, ox = (int(v) for v in self.noise_offsets[frame])
        h, w = self.height, self.width
        cv2.add(image, self.noise_pos[oy : oy + h, ox : ox + w], dst=image)
        cv2.subtract(image, self.noise_neg[NOISE_PAD - oy : NOISE_PAD - oy + h, ox : ox + w], dst=image)


def _count(ids: np.ndarray, roi: tuple[int, int, int, int], oid: int) -> int:
    x0, y0, x1, y1 = roi
    if x1 <= x0 or y1 <= y0:
        return 0
    return int(np.count_nonzero(ids[y0:y1, x0:x1] == oid))


def _head_roi(head: PersonDraw, width: int, height: int) -> tuple[int, int, int, int]:
    (u, v), r = head.head_uv, head.head_r_px
    return (max(0, int(u - r)), max(0, int(v - r)), min(width, int(u + r) + 1), min(height, int(v + r) + 1))


def _draw_order(world: World) -> tuple[list[tuple[str, Any]], dict[int, frozenset[int]]]:
    """Painter's order: (depth of the floor anchor, stacking level, id), far first.

    Things resting on others come right after their support; an arm reaching over a table is drawn
    after that table and what stands on it (otherwise the table top, nearer in depth, would hide a
    hand that is above it). Returns the order and, per person, the arms drawn as separate passes.
    """
    keyed: list[tuple[tuple[float, int, int], str, Any]] = []
    deferred: dict[int, frozenset[int]] = {}
    tables = [t for t in world.things.values() if t.label == "table" and t.mount == FLOOR]

    def root(thing: Thing) -> tuple[float, int]:
        level = 0
        while thing.mount not in (FLOOR, WALL) and thing.support in world.things:
            thing = world.things[thing.support]
            level += 1
        return thing.z, level

    for thing in world.things.values():
        if thing.mount in (HELD, WORN):
            continue
        if thing.mount == LAP:
            person = world.person(thing.support) if thing.support is not None else None
            z = _person_root(world, person)[0] if person is not None else thing.z
            keyed.append(((z, 3, thing.id), "thing", thing))
            continue
        z, level = root(thing)
        keyed.append(((z, level, thing.id), "thing", thing))
    for p in world.persons:
        z, level = _person_root(world, p)
        keyed.append(((z, level, p.id), "person", p))
        if p.seat is not None and p.sit > 0.0:
            seat = world.things[p.seat]
            if seat.label == "chair" and abs(seat.facing) > 90.0:
                keyed.append(((z, level + 1, seat.id), "back", seat))
        sides = []
        for side in (0, 1):
            table = _table_under(tables, p.hands[side])
            if table is not None and table.z < z:
                keyed.append(((table.z, 2, p.id), "arm", (p, side)))
                sides.append(side)
        if sides:
            deferred[p.id] = frozenset(sides)
    keyed.sort(key=lambda item: (-item[0][0], item[0][1], item[0][2]))
    return [(kind, ent) for _, kind, ent in keyed], deferred


def _table_under(tables: list[Thing], hand: np.ndarray) -> Thing | None:
    """The table whose top the hand is over (within 15 cm of its footprint, above its top - 10 cm)."""
    for t in tables:
        if (
            abs(float(hand[0]) - t.x) <= 0.5 * t.width + 0.15
            and abs(float(hand[2]) - t.z) <= 0.5 * t.depth + 0.15
            and float(hand[1]) >= t.top - 0.1
        ):
            return t
    return None


def _person_root(world: World, p: Person) -> tuple[float, int]:
    if p.seat is not None and p.sit > 0.0:
        return world.things[p.seat].z, 1
    return p.z, 0


def _room_image(room: Room, base: Camera, width: int, height: int, margin: int) -> np.ndarray:
    """Floor, walls and ceiling of the room, rendered with ``margin`` pixels on every side."""
    cam = Camera(base.f, base.cx + margin, base.cy + margin, base.height)
    w, h = width + 2 * margin, height + 2 * margin
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = shade(room.wall, 0.8)
    hw, zb, near, top = room.half_width, room.back_z, 0.6, 2.7

    def quad(points: list[tuple[float, float, float]], color: tuple[int, int, int]) -> None:
        uv = np.rint(cam.project_many(np.array(points))).astype(np.int32)
        cv2.fillPoly(img, [uv], color)

    quad([(-hw, top, near), (hw, top, near), (hw, top, zb), (-hw, top, zb)], shade(room.wall, 0.7))
    quad([(-hw, 0, near), (-hw, 0, zb), (-hw, top, zb), (-hw, top, near)], shade(room.wall, 0.85))
    quad([(hw, 0, near), (hw, 0, zb), (hw, top, zb), (hw, top, near)], shade(room.wall, 0.88))
    quad([(-hw, 0, zb), (hw, 0, zb), (hw, top, zb), (-hw, top, zb)], room.wall)
    quad([(-hw, 0, near), (hw, 0, near), (hw, 0, zb), (-hw, 0, zb)], room.floor)
    line = shade(room.floor, 0.82)
    thick = max(1, round(width / 320))
    step = 0.5 if room.tiles else 0.2
    for x in np.arange(-hw + step, hw, step):
        a, b = cam.project(float(x), 0.0, near), cam.project(float(x), 0.0, zb)
        cv2.line(img, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), line, thick)
    if room.tiles:
        for z in np.arange(near + 0.5, zb, 0.5):
            a, b = cam.project(-hw, 0.0, float(z)), cam.project(hw, 0.0, float(z))
            cv2.line(img, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), line, thick)
    quad([(-hw, 0, zb - 0.01), (hw, 0, zb - 0.01), (hw, 0.1, zb - 0.01), (-hw, 0.1, zb - 0.01)], shade(room.wall, 0.6))
    ramp = np.linspace(0.88, 1.06, h, dtype=np.float32)[:, None, None]
    return np.clip(img.astype(np.float32) * ramp, 0, 255).astype(np.uint8)
