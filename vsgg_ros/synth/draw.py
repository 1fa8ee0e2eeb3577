"""A small, self-contained drawing of frames with their ground-truth graphs (for docs and debugging).

Each tile is the frame scaled up, with every object's box, ``id label`` tag and arrows for the
relations worth seeing (contacts other than not_contacting, and looking_at), plus a text panel that
lists those triplets and counts the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.synth.spec import VideoSpec

FONT = cv2.FONT_HERSHEY_SIMPLEX
PANEL_LINES = 6


def id_color(oid: int) -> tuple[int, int, int]:
    """A bright, stable colour per id (golden-ratio hue steps)."""
    hue = int((oid * 0.618033988749895 % 1.0) * 180)
    hsv = np.uint8([[[hue, 220, 255]]])
    r, g, b = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].tolist()
    return (int(r), int(g), int(b))


def shown_relations(graph: SceneGraph) -> list[tuple[int, int, str]]:
    """Relations drawn as arrows: real contacts and looking_at (spatial ones are only counted)."""
    keep = []
    for r in graph.relations:
        if (r.group == "contacting" and r.predicate != "not_contacting") or r.predicate == "looking_at":
            keep.append((r.subject_id, r.object_id, r.predicate))
    return keep


def draw_graph(frame: Frame, graph: SceneGraph, scale: int = 2) -> np.ndarray:
    """RGB tile: the frame with boxes, tags and relation arrows, over a panel of triplets."""
    h, w = frame.height * scale, frame.width * scale
    img = cv2.resize(frame.image, (w, h), interpolation=cv2.INTER_NEAREST)
    font = 0.38 * max(1.0, w / 640.0) * 1.3
    thick = 1
    by_id = graph.object_by_id()
    for obj in graph.objects:
        x1, y1, x2, y2 = (round(v * scale) for v in obj.box)
        color = id_color(obj.id)
        cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), color, thick + (obj.label == "person"))
        _tag(img, f"{obj.id} {obj.label}", (x1, max(y1, 12)), color, font)
    shown = shown_relations(graph)
    for s, o, pred in shown:
        if s not in by_id or o not in by_id:
            continue
        a, b = _center(by_id[s].box, scale), _center(by_id[o].box, scale)
        color = (255, 255, 0) if pred == "looking_at" else (255, 60, 200)
        cv2.arrowedLine(img, a, b, color, 2, cv2.LINE_AA, tipLength=0.12)
        mid = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
        _tag(img, pred, mid, color, font)
    panel = np.full((int(18 * font / 0.5) * (PANEL_LINES + 1) + 8, w, 3), 24, dtype=np.uint8)
    line_h = int(18 * font / 0.5)
    lines = [f"{graph.source_id}  frame {graph.frame_index}"]
    for s, o, pred in shown[: PANEL_LINES - 1]:
        if s in by_id and o in by_id:
            lines.append(f"{s} {by_id[s].label} -{pred}-> {o} {by_id[o].label}")
    rest = len(graph.relations) - len(shown)
    lines.append(f"+ {rest} more (spatial, not_looking_at, not_contacting, ...)")
    for i, text in enumerate(lines):
        cv2.putText(panel, text, (6, line_h * (i + 1)), FONT, font, (235, 235, 235), 1, cv2.LINE_AA)
    return np.vstack((img, panel))


def contact_sheet(tiles: Sequence[np.ndarray], columns: int = 3, gap: int = 6) -> np.ndarray:
    """Tiles (equal sizes) in a grid on a dark background."""
    if not tiles:
        raise ValueError("contact_sheet needs at least one tile")
    th, tw = tiles[0].shape[:2]
    rows = (len(tiles) + columns - 1) // columns
    sheet = np.full((rows * (th + gap) + gap, columns * (tw + gap) + gap, 3), 12, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        sheet[y : y + th, x : x + tw] = tile
    return sheet


def _center(box: tuple[float, float, float, float], scale: int) -> tuple[int, int]:
    return round((box[0] + box[2]) * scale / 2), round((box[1] + box[3]) * scale / 2)


def _tag(img: np.ndarray, text: str, org: tuple[int, int], color: tuple[int, int, int], font: float) -> None:
    """Text on a dark box so it stays readable on any background."""
    (tw, th), base = cv2.getTextSize(text, FONT, font, 1)
    x, y = org
    cv2.rectangle(img, (x, y - th - 3), (x + tw + 2, y + base - 1), (0, 0, 0), -1)
    cv2.putText(img, text, (x + 1, y - 1), FONT, font, color, 1, cv2.LINE_AA)


def world_contact_sheet(specs: Sequence[VideoSpec], tiles: int = 12, columns: int = 3, scale: int = 2) -> np.ndarray:
    """The middle (weak-label) frame of the first ``tiles`` videos, each with its graph drawn on."""
    from vsgg_ros.synth.video import iter_video
    from vsgg_ros.synth.weak import middle_frame

    drawn = []
    for spec in specs[:tiles]:
        middle = middle_frame(spec.frames)
        for frame, graph in iter_video(spec):
            if frame.index == middle:
                drawn.append(draw_graph(frame, graph, scale))
                break
    return contact_sheet(drawn, columns)


def write_contact_sheet(
    path: Path, specs: Sequence[VideoSpec], tiles: int = 12, columns: int = 3, bits: int = 8
) -> Path:
    """Save :func:`world_contact_sheet` as a PNG (parent folders created).

    ``bits`` < 8 posterises each channel (keeping mid-bin values): sensor noise stops defeating PNG
    compression, which keeps the sheet committed in docs/ small.
    """
    if not 1 <= bits <= 8:
        raise ValueError(f"bits must be in 1..8, got {bits}")
    sheet = world_contact_sheet(specs, tiles, columns)
    if bits < 8:
        drop = 8 - bits
        sheet = ((sheet >> drop) << drop) | np.uint8(1 << (drop - 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"could not write the contact sheet to {path}")
    return path
