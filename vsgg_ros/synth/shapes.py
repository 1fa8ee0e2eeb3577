"""One drawing function per object class, built from shaded 3-D boxes and flat billboards.

Each function draws a :class:`Thing` at its current pose through the frame's camera; ``t`` (seconds)
animates screens. Shapes are recognisable at 160x120 already: a table is a slab on four legs, a
laptop a base with a lit, tilted screen, a bottle a body with a neck, a television a dark bezel
with changing content, and so on. Variants switch sub-types and textures within a class.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from vsgg_ros.synth.appearance import Color
from vsgg_ros.synth.camera import Camera
from vsgg_ros.synth.entities import HELD, Thing
from vsgg_ros.synth.painter import Painter

DrawFn = Callable[[Painter, Camera, Thing, float], None]


def shade(color: Color, factor: float) -> Color:
    r, g, b = (max(0, min(255, int(c * factor))) for c in color)
    return (r, g, b)


def box3d(
    p: Painter,
    cam: Camera,
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    z0: float,
    z1: float,
    color: Color,
    oid: int,
) -> None:
    """An axis-aligned box: the faces the camera sees, shaded (top lighter, sides darker)."""
    corners = np.array(
        (
            (x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
            (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1),
        )
    )  # fmt: skip
    uv = cam.project_many(corners)
    if y1 < cam.height:
        p.poly(uv[[3, 2, 6, 7]], shade(color, 1.18), oid)
    elif y0 > cam.height:
        p.poly(uv[[0, 1, 5, 4]], shade(color, 0.7), oid)
    if x1 < 0.0:
        p.poly(uv[[1, 5, 6, 2]], shade(color, 0.78), oid)
    elif x0 > 0.0:
        p.poly(uv[[0, 4, 7, 3]], shade(color, 0.78), oid)
    p.poly(uv[[0, 1, 2, 3]], color, oid)


def _extent(t: Thing) -> tuple[float, float, float, float, float, float]:
    w, h, d = t.dims()
    return t.x - w / 2, t.x + w / 2, t.y, t.y + h, t.z - d / 2, t.z + d / 2


def _quad(cam: Camera, x0: float, x1: float, y0: float, y1: float, z: float) -> np.ndarray:
    """Upright rectangle facing the camera at depth z, as 4 image points."""
    pts = np.array(((x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)))
    return cam.project_many(pts)


def draw_table(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, _y0, y1, z0, z1 = _extent(t)
    leg, top = 0.05, 0.04
    legs = ((x0, z1 - leg), (x1 - leg, z1 - leg), (x0, z0), (x1 - leg, z0))
    for lx, lz in legs:
        box3d(p, cam, lx, lx + leg, 0.0, y1 - top, lz, lz + leg, shade(t.color, 0.8), t.id)
    box3d(p, cam, x0, x1, y1 - top, y1, z0, z1, t.color, t.id)


def draw_chair(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, _y0, y1, z0, z1 = _extent(t)
    seat, leg = t.seat_height, 0.04
    away = abs(t.facing) > 90.0
    if not away:
        box3d(p, cam, x0, x1, seat, y1, z1 - 0.05, z1, t.color, t.id)
    for lx, lz in ((x0, z1 - leg), (x1 - leg, z1 - leg), (x0, z0), (x1 - leg, z0)):
        box3d(p, cam, lx, lx + leg, 0.0, seat, lz, lz + leg, shade(t.color, 0.75), t.id)
    box3d(p, cam, x0, x1, seat - 0.05, seat, z0, z1, shade(t.color, 1.05), t.id)
    if away:
        draw_chair_back(p, cam, t)


def draw_chair_back(p: Painter, cam: Camera, t: Thing) -> None:
    """The backrest of a chair turned away from the camera: it hides the back of whoever sits on it."""
    x0, x1, _y0, y1, z0, _z1 = _extent(t)
    box3d(p, cam, x0, x1, t.seat_height, y1, z0, z0 + 0.05, t.color, t.id)
    if t.variant == 1:
        u0, v0 = cam.project(x0 + 0.05, y1 - 0.08, z0)
        u1, v1 = cam.project(x1 - 0.05, y1 - 0.08, z0)
        p.line((u0, v0), (u1, v1), 0.02 * cam.scale(z0), shade(t.color, 0.6), t.id)


def draw_sofa(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, _y0, y1, z0, z1 = _extent(t)
    seat, arm = t.seat_height, 0.16
    box3d(p, cam, x0, x1, 0.08, y1, z1 - 0.22, z1, shade(t.color, 0.92), t.id)
    box3d(p, cam, x0, x1, 0.05, seat, z0, z1 - 0.2, t.color, t.id)
    cushions = 2 if t.width < 1.8 else 3
    for i in range(1, cushions):
        xc = x0 + arm + (x1 - x0 - 2 * arm) * i / cushions
        a, b = cam.project(xc, seat, z0), cam.project(xc, 0.12, z0)
        p.line(a, b, 0.015 * cam.scale(z0), shade(t.color, 0.7), t.id)
    box3d(p, cam, x0, x0 + arm, 0.05, seat + 0.2, z0, z1, shade(t.color, 0.95), t.id)
    box3d(p, cam, x1 - arm, x1, 0.05, seat + 0.2, z0, z1, shade(t.color, 0.95), t.id)


@lru_cache(maxsize=256)
def _shelf_books(oid: int, width: float, boards: int) -> tuple[tuple[int, float, float, float, Color], ...]:
    """Books on a shelf: (board, x offset, width, height fraction of the gap, colour), fixed per id."""
    rng = np.random.default_rng(oid * 7919 + boards)
    books: list[tuple[int, float, float, float, Color]] = []
    for board in range(boards):
        xs = 0.04
        while xs < width - 0.1:
            bw = float(rng.uniform(0.03, 0.07))
            r, g, b = (int(c) for c in rng.integers(40, 230, size=3))
            books.append((board, xs, bw, float(rng.uniform(0.45, 0.8)), (r, g, b)))
            xs += bw + float(rng.uniform(0.0, 0.08))
    return tuple(books)


def draw_shelf(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, _y0, y1, z0, z1 = _extent(t)
    box3d(p, cam, x0, x1, 0.0, y1, z0 + 0.02, z1, shade(t.color, 0.55), t.id)
    boards = 4 if t.height > 1.5 else 3
    gap = y1 / boards
    for i in range(boards + 1):
        yb = gap * i
        box3d(p, cam, x0, x1, max(0.0, yb - 0.025), yb, z0, z1, t.color, t.id)
    for board, xs, bw, frac, col in _shelf_books(t.id, round(t.width, 3), boards):
        yb = gap * board
        p.poly(_quad(cam, x0 + xs, x0 + xs + bw, yb, yb + frac * (gap - 0.03), z0 + 0.03), col, t.id)
    for xv in (x0, x1 - 0.025):
        box3d(p, cam, xv, xv + 0.025, 0.0, y1, z0, z1, shade(t.color, 0.85), t.id)


def draw_cabinet(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, _y0, y1, z0, z1 = _extent(t)
    box3d(p, cam, x0, x1, 0.0, y1, z0, z1, t.color, t.id)
    s = cam.scale(z0)
    xm = 0.5 * (x0 + x1)
    a, b = cam.project(xm, 0.05, z0), cam.project(xm, y1 - 0.05, z0)
    p.line(a, b, 0.012 * s, shade(t.color, 0.6), t.id)
    for xk in (xm - 0.05, xm + 0.05):
        u, v = cam.project(xk, 0.55 * y1, z0)
        p.circle(u, v, 0.018 * s, (200, 190, 120), t.id)


def draw_light(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, _y0, y1, _z0, _z1 = _extent(t)
    s = cam.scale(t.z)
    u, v = cam.project(t.x, 0.0, t.z)
    p.ellipse(u, v, 0.14 * s, 0.03 * s, (60, 60, 60), t.id)
    a, b = cam.project(t.x, 0.0, t.z), cam.project(t.x, y1 - 0.3, t.z)
    p.line(a, b, 0.025 * s, (70, 70, 70), t.id)
    shade_pts = np.array(((x0 + 0.06, y1, t.z), (x1 - 0.06, y1, t.z), (x1, y1 - 0.32, t.z), (x0, y1 - 0.32, t.z)))
    p.poly(cam.project_many(shade_pts), t.color, t.id)


def draw_box(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, z1 = _extent(t)
    box3d(p, cam, x0, x1, y0, y1, z0, z1, t.color, t.id)
    xm = 0.5 * (x0 + x1)
    a, b = cam.project(xm, y1, z0), cam.project(xm, y1 - 0.4 * (y1 - y0), z0)
    p.line(a, b, 0.04 * cam.scale(z0), (215, 200, 160), t.id)


def draw_bag(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _z1 = _extent(t)
    s = cam.scale(t.z)
    w = x1 - x0
    if t.variant == 0:
        body = np.array(((x0, y0, t.z), (x1, y0, t.z), (x1 - 0.15 * w, y1 - 0.1, t.z), (x0 + 0.15 * w, y1 - 0.1, t.z)))
        p.poly(cam.project_many(body), t.color, t.id)
        a, b = cam.project(x0 + 0.3 * w, y1 - 0.1, t.z), cam.project(t.x, y1, t.z)
        c = cam.project(x1 - 0.3 * w, y1 - 0.1, t.z)
        p.line(a, b, 0.02 * s, shade(t.color, 0.6), t.id)
        p.line(b, c, 0.02 * s, shade(t.color, 0.6), t.id)
    else:
        u0, v0 = cam.project(x0, y1, t.z)
        u1, v1 = cam.project(x1, y0, t.z)
        p.rect(u0, v0, u1, v1, t.color, t.id)
        p.ellipse(0.5 * (u0 + u1), v0, 0.5 * (u1 - u0), 0.12 * (v1 - v0), t.color, t.id)
        pocket = _quad(cam, x0 + 0.2 * w, x1 - 0.2 * w, y0 + 0.05, y0 + 0.45 * (y1 - y0), t.z)
        p.poly(pocket, shade(t.color, 0.75), t.id)
        u, v = cam.project(t.x, y0 + 0.5 * (y1 - y0), t.z)
        p.circle(u, v, 0.015 * s, t.accent, t.id)


def draw_shoe(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, z1 = _extent(t)
    half = 0.5 * (x1 - x0)
    for sx in (x0, x0 + half + 0.02):
        box3d(p, cam, sx, sx + half - 0.03, y0, y0 + 0.04, z0, z1, shade(t.color, 0.8), t.id)
        box3d(p, cam, sx, sx + half - 0.03, y0 + 0.04, y1, 0.5 * (z0 + z1), z1, t.color, t.id)


def draw_door(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, _ = _extent(t)
    s = cam.scale(z0)
    p.poly(_quad(cam, x0 - 0.05, x1 + 0.05, y0, y1 + 0.05, z0 + 0.01), shade(t.color, 0.7), t.id)
    p.poly(_quad(cam, x0, x1, y0, y1, z0), t.color, t.id)
    for ya, yb in ((0.15, 0.85), (1.05, 1.85)):
        p.poly(_quad(cam, x0 + 0.12, x1 - 0.12, ya, yb, z0), shade(t.color, 0.88), t.id)
    u, v = cam.project(x1 - 0.1, 1.0, z0)
    p.circle(u, v, 0.03 * s, (210, 190, 90), t.id)


def draw_window(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, _ = _extent(t)
    s = cam.scale(z0)
    p.poly(_quad(cam, x0, x1, y0, y1, z0), t.color, t.id)
    p.poly(_quad(cam, x0 + 0.05, x1 - 0.05, y0 + 0.05, y1 - 0.05, z0), (165, 205, 240), t.id)
    p.poly(_quad(cam, x0 + 0.05, x1 - 0.05, y0 + 0.05, y0 + 0.3 * (y1 - y0), z0), (120, 170, 110), t.id)
    xm, ym = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    p.line(cam.project(xm, y0, z0), cam.project(xm, y1, z0), 0.04 * s, t.color, t.id)
    p.line(cam.project(x0, ym, z0), cam.project(x1, ym, z0), 0.04 * s, t.color, t.id)


def draw_picture(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, _ = _extent(t)
    p.poly(_quad(cam, x0, x1, y0, y1, z0), t.color, t.id)
    m = 0.04
    p.poly(_quad(cam, x0 + m, x1 - m, y0 + m, y1 - m, z0), shade(t.accent, 1.4), t.id)
    if t.variant == 0:
        hill = np.array(((x0 + m, y0 + m, z0), (x1 - m, y0 + m, z0), (x1 - m, y0 + 0.4 * (y1 - y0), z0),
                         (t.x, y0 + 0.7 * (y1 - y0), z0)))  # fmt: skip
        p.poly(cam.project_many(hill), t.accent, t.id)
    elif t.variant == 1:
        u, v = cam.project(t.x, 0.5 * (y0 + y1), z0)
        p.circle(u, v, 0.25 * (y1 - y0) * cam.scale(z0), t.accent, t.id)
    else:
        for i in range(3):
            xa = x0 + m + (x1 - x0 - 2 * m) * i / 3
            p.poly(
                _quad(cam, xa, xa + 0.6 * (x1 - x0 - 2 * m) / 3, y0 + m, y1 - m, z0),
                shade(t.accent, 0.6 + 0.3 * i),
                t.id,
            )


def draw_television(p: Painter, cam: Camera, t: Thing, time_s: float) -> None:
    x0, x1, y0, y1, z0, _ = _extent(t)
    p.poly(_quad(cam, x0, x1, y0, y1, z0), t.color, t.id)
    phase = int(time_s * 0.7 + t.id) % 4
    screen = ((60, 110, 170), (180, 90, 60), (50, 140, 80), (140, 130, 190))[phase]
    m = 0.035
    p.poly(_quad(cam, x0 + m, x1 - m, y0 + m, y1 - m, z0), screen, t.id)
    u, v = cam.project(x0 + 0.3 * (x1 - x0), y0 + 0.4 * (y1 - y0), z0)
    p.circle(u, v, 0.12 * (y1 - y0) * cam.scale(z0), shade(screen, 1.5), t.id)


def draw_mirror(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, _ = _extent(t)
    u, v = cam.project(t.x, 0.5 * (y0 + y1), z0)
    s = cam.scale(z0)
    p.ellipse(u, v, 0.5 * (x1 - x0) * s, 0.5 * (y1 - y0) * s, (150, 130, 90), t.id)
    p.ellipse(u, v, (0.5 * (x1 - x0) - 0.03) * s, (0.5 * (y1 - y0) - 0.03) * s, t.color, t.id)
    a = cam.project(t.x - 0.1, 0.5 * (y0 + y1) + 0.15, z0)
    b = cam.project(t.x + 0.02, 0.5 * (y0 + y1) + 0.27, z0)
    p.line(a, b, 0.02 * s, (240, 245, 250), t.id)


def draw_cup(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _ = _extent(t)
    s = cam.scale(t.z)
    w = x1 - x0
    if t.variant == 0:
        body = np.array(((x0 + 0.12 * w, y0, t.z), (x1 - 0.12 * w, y0, t.z), (x1, y1, t.z), (x0, y1, t.z)))
        p.poly(cam.project_many(body), t.color, t.id)
        u, v = cam.project(x1, 0.5 * (y0 + y1), t.z)
        p.circle(u + 0.01 * s, v, 0.025 * s, t.color, t.id)
        u, v = cam.project(t.x, y1, t.z)
        p.ellipse(u, v, 0.5 * w * s, 0.12 * w * s, shade(t.color, 0.6), t.id)
    elif t.variant == 1:
        glass = (200, 225, 235)
        p.poly(_quad(cam, x0, x1, y0, y1, t.z), glass, t.id)
        p.poly(_quad(cam, x0 + 0.1 * w, x1 - 0.1 * w, y0 + 0.01, y0 + 0.55 * (y1 - y0), t.z), t.color, t.id)
    else:
        neck = 0.3 * (y1 - y0)
        p.poly(_quad(cam, x0, x1, y0, y1 - neck, t.z), t.color, t.id)
        p.poly(_quad(cam, t.x - 0.2 * w, t.x + 0.2 * w, y1 - neck, y1, t.z), t.color, t.id)
        p.poly(_quad(cam, t.x - 0.22 * w, t.x + 0.22 * w, y1 - 0.02, y1, t.z), t.accent, t.id)
        p.poly(_quad(cam, x0, x1, y0 + 0.25 * (y1 - y0), y0 + 0.5 * (y1 - y0), t.z), (235, 235, 225), t.id)


def draw_dish(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    _x0, x1, _y0, y1, z0, z1 = _extent(t)
    u, v = cam.project(t.x, y1, t.z)
    ua, _ = cam.project(x1, y1, t.z)
    _, vn = cam.project(t.x, y1, z0)
    _, vf = cam.project(t.x, y1, z1)
    rx, ry = ua - u, max(1.0, 0.5 * abs(vn - vf))
    p.ellipse(u, v + 0.3 * ry, rx, ry, shade(t.color, 0.8), t.id)
    p.ellipse(u, v, rx, ry, t.color, t.id)
    p.ellipse(u, v, 0.6 * rx, 0.6 * ry, shade(t.color, 0.92), t.id)


def draw_food(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _ = _extent(t)
    s = cam.scale(t.z)
    u, v = cam.project(t.x, 0.5 * (y0 + y1), t.z)
    if t.variant == 0:
        p.circle(u, v, 0.5 * (x1 - x0) * s, t.color, t.id)
        p.line((u, v - 0.5 * (x1 - x0) * s), (u + 0.02 * s, v - 0.7 * (x1 - x0) * s), 0.01 * s, (90, 60, 30), t.id)
    else:
        for i, dx in enumerate((-0.3, 0.0, 0.3)):
            p.circle(u + dx * (x1 - x0) * s, v + (0.1 if i != 1 else -0.15) * (y1 - y0) * s,
                     0.28 * (x1 - x0) * s, shade(t.color, 0.9 + 0.1 * i), t.id)  # fmt: skip


def draw_sandwich(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _ = _extent(t)
    layers = ((0.0, 0.3, t.color), (0.3, 0.5, (90, 170, 60)), (0.5, 0.65, (200, 60, 50)), (0.65, 1.0, t.color))
    h = y1 - y0
    for a, b, col in layers:
        pts = np.array(((x0, y0 + a * h, t.z), (x1, y0 + a * h, t.z),
                        (x1 - 0.3 * b * (x1 - x0), y0 + b * h, t.z), (x0, y0 + b * h, t.z)))  # fmt: skip
        p.poly(cam.project_many(pts), col, t.id)


def draw_book(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, z1 = _extent(t)
    box3d(p, cam, x0, x1, y0, y1, z0, z1, t.color, t.id)
    if t.mount == HELD:
        p.poly(_quad(cam, x0 + 0.01, x1 - 0.01, y0 + 0.01, y1 - 0.01, z0 - 0.001), (240, 235, 220), t.id)
        xm = 0.5 * (x0 + x1)
        p.line(cam.project(xm, y0, z0), cam.project(xm, y1, z0), 0.006 * cam.scale(z0), shade(t.color, 0.6), t.id)
    elif t.variant == 1:
        p.line(cam.project(x0, y1, z0), cam.project(x1, y1, z0), 0.015 * cam.scale(z0), (240, 235, 220), t.id)


def draw_laptop(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    """Base and lid; turned away (``facing`` 180) the camera sees the back of the lid, not the screen."""
    x0, x1, y0, y1, z0, z1 = _extent(t)
    away = abs(t.facing) > 90.0
    hinge, tip = (z0, z0 - 0.05) if away else (z1, z1 + 0.05)
    lid = np.array(((x0, y0 + 0.02, hinge), (x1, y0 + 0.02, hinge), (x1, y1, tip), (x0, y1, tip)))
    if not away:
        p.poly(cam.project_many(lid), shade(t.color, 0.8), t.id)
        screen = np.array(((x0 + 0.02, y0 + 0.04, z1 - 0.001), (x1 - 0.02, y0 + 0.04, z1 - 0.001),
                           (x1 - 0.02, y1 - 0.02, z1 + 0.046), (x0 + 0.02, y1 - 0.02, z1 + 0.046)))  # fmt: skip
        p.poly(cam.project_many(screen), (150, 200, 245), t.id)
    box3d(p, cam, x0, x1, y0, y0 + 0.02, z0, z1, t.color, t.id)
    if away:
        p.poly(cam.project_many(lid), shade(t.color, 0.9), t.id)
        u, v = cam.project(t.x, y0 + 0.6 * (y1 - y0), z0 - 0.03)
        p.circle(u, v, 0.02 * cam.scale(z0), (230, 230, 235), t.id)


def draw_phone(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, z1 = _extent(t)
    s = cam.scale(t.z)
    if t.variant == 0:
        if t.mount == HELD:
            p.poly(_quad(cam, x0, x1, y0, y1, t.z), t.color, t.id)
            p.poly(_quad(cam, x0 + 0.006, x1 - 0.006, y0 + 0.012, y1 - 0.012, t.z), (120, 180, 240), t.id)
        else:
            box3d(p, cam, x0, x1, y0, y1, z0, z1, t.color, t.id)
    else:
        box3d(p, cam, x0, x1, y0, y1, z0, z1, t.color, t.id)
        u, v = cam.project(t.x, 0.5 * (y0 + y1), z0)
        p.circle(u, v, 0.025 * s, (30, 30, 35), t.id)
        p.circle(u, v, 0.012 * s, (90, 110, 160), t.id)


def draw_paper(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, z1 = _extent(t)
    box3d(p, cam, x0, x1, y0, y1, z0, z1, t.color, t.id)
    s = cam.scale(t.z)
    lines = 4 if t.variant == 0 else 6
    for i in range(1, lines):
        if t.mount == HELD:
            yy = y0 + (y1 - y0) * i / lines
            a, b = cam.project(x0 + 0.02, yy, z0), cam.project(x1 - 0.02, yy, z0)
        else:
            zz = z0 + (z1 - z0) * i / lines
            a, b = cam.project(x0 + 0.02, y1, zz), cam.project(x1 - 0.02, y1, zz)
        p.line(a, b, 0.004 * s, (120, 140, 200), t.id)


def draw_pillow(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _ = _extent(t)
    s = cam.scale(t.z)
    u0, v0 = cam.project(x0, y1, t.z)
    u1, v1 = cam.project(x1, y0, t.z)
    r = 0.25 * (v1 - v0)
    p.rect(u0 + r, v0, u1 - r, v1, t.color, t.id)
    p.rect(u0, v0 + r, u1, v1 - r, t.color, t.id)
    for cu, cv in ((u0 + r, v0 + r), (u1 - r, v0 + r), (u0 + r, v1 - r), (u1 - r, v1 - r)):
        p.circle(cu, cv, r, t.color, t.id)
    if t.variant == 0:
        for i in range(1, 4):
            uu = u0 + (u1 - u0) * i / 4
            p.line((uu, v0 + r * 0.5), (uu, v1 - r * 0.5), 0.02 * s, t.accent, t.id)
    else:
        for i in range(1, 3):
            for j in range(1, 3):
                p.circle(u0 + (u1 - u0) * i / 3, v0 + (v1 - v0) * j / 3, 0.025 * s, t.accent, t.id)


def draw_blanket(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _ = _extent(t)
    s = cam.scale(t.z)
    pts = np.array(((x0, y1, t.z), (x1, y1, t.z), (x1 + 0.03, y0, t.z), (t.x + 0.2, y0 + 0.04, t.z),
                    (t.x - 0.2, y0, t.z), (x0 - 0.03, y0 + 0.03, t.z)))  # fmt: skip
    p.poly(cam.project_many(pts), t.color, t.id)
    n = 5
    for i in range(1, n):
        xx = x0 + (x1 - x0) * i / n
        if t.variant == 0:
            p.line(cam.project(xx, y1 - 0.02, t.z), cam.project(xx, y0 + 0.05, t.z), 0.03 * s, t.accent, t.id)
        else:
            yy = y0 + (y1 - y0) * i / n
            p.line(cam.project(x0 + 0.03, yy, t.z), cam.project(x1 - 0.03, yy, t.z), 0.025 * s, t.accent, t.id)


def draw_towel(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, z0, z1 = _extent(t)
    if t.mount == HELD:
        p.poly(_quad(cam, x0, x1, y0, y1, t.z), t.color, t.id)
        yy = y0 + 0.2 * (y1 - y0)
        p.line(cam.project(x0, yy, t.z), cam.project(x1, yy, t.z), 0.02 * cam.scale(t.z), t.accent, t.id)
        return
    box3d(p, cam, x0, x1, y0, y1, z0, z1, t.color, t.id)
    if t.variant == 1:
        zz = z0 + 0.3 * (z1 - z0)
        p.line(cam.project(x0, y1, zz), cam.project(x1, y1, zz), 0.02 * cam.scale(t.z), t.accent, t.id)


def draw_medicine(p: Painter, cam: Camera, t: Thing, _: float) -> None:
    x0, x1, y0, y1, _z0, _ = _extent(t)
    p.poly(_quad(cam, x0, x1, y0, y1 - 0.02, t.z), t.color, t.id)
    p.poly(_quad(cam, x0 - 0.003, x1 + 0.003, y1 - 0.025, y1, t.z), t.accent, t.id)
    p.poly(_quad(cam, x0, x1, y0 + 0.3 * (y1 - y0), y0 + 0.6 * (y1 - y0), t.z), (250, 250, 250), t.id)


DRAWERS: dict[str, DrawFn] = {
    "table": draw_table,
    "chair": draw_chair,
    "sofa/couch": draw_sofa,
    "shelf": draw_shelf,
    "closet/cabinet": draw_cabinet,
    "light": draw_light,
    "box": draw_box,
    "bag": draw_bag,
    "shoe": draw_shoe,
    "door": draw_door,
    "window": draw_window,
    "picture": draw_picture,
    "television": draw_television,
    "mirror": draw_mirror,
    "cup/glass/bottle": draw_cup,
    "dish": draw_dish,
    "food": draw_food,
    "sandwich": draw_sandwich,
    "book": draw_book,
    "laptop": draw_laptop,
    "phone/camera": draw_phone,
    "paper/notebook": draw_paper,
    "pillow": draw_pillow,
    "blanket": draw_blanket,
    "towel": draw_towel,
    "medicine": draw_medicine,
}


def draw_thing(p: Painter, cam: Camera, t: Thing, time_s: float) -> None:
    DRAWERS[t.label](p, cam, t, time_s)
