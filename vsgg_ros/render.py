"""Debug rendering: boxes, track ids, labels and relation arrows drawn on the frame."""

from __future__ import annotations

import cv2
import numpy as np

from vsgg_ros.graph import Frame, SceneGraph, TrackState

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def track_colour(track_id: int) -> tuple[int, int, int]:
    """A stable, well-separated RGB colour per id (golden-ratio hue steps)."""
    hue = int((track_id * 0.618033988749895 % 1.0) * 179)
    hsv = np.array([[[hue, 200, 255]]], dtype=np.uint8)
    r, g, b = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]
    return int(r), int(g), int(b)


def draw_graph(image: np.ndarray, graph: SceneGraph, max_relations: int = 12) -> np.ndarray:
    """A copy of the RGB ``image`` with the graph drawn on; relations drawn highest score first."""
    canvas = np.ascontiguousarray(image, dtype=np.uint8).copy()
    scale = max(canvas.shape[0] / 480.0, 0.35)
    thickness = max(1, round(scale * 2))
    centres: dict[int, tuple[int, int]] = {}
    for obj in graph.objects:
        x1, y1, x2, y2 = (round(v) for v in obj.box)
        colour = track_colour(obj.id)
        line = cv2.LINE_AA if obj.state != TrackState.LOST else cv2.LINE_4
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, thickness if obj.state != TrackState.LOST else 1, line)
        _label(canvas, f"{obj.id}:{obj.label}", (x1, max(y1 - 3, 10)), colour, scale)
        centres[obj.id] = ((x1 + x2) // 2, (y1 + y2) // 2)
    ranked = sorted(graph.relations, key=lambda r: -r.score)[:max_relations]
    for rel in ranked:
        if rel.subject_id not in centres or rel.object_id not in centres:
            continue
        a, b = centres[rel.subject_id], centres[rel.object_id]
        cv2.arrowedLine(canvas, a, b, (255, 255, 255), thickness, cv2.LINE_AA, tipLength=0.06)
        mid = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
        _label(canvas, rel.predicate, mid, (255, 255, 255), scale * 0.9)
    return canvas


def _label(canvas: np.ndarray, text: str, org: tuple[int, int], colour: tuple[int, int, int], scale: float) -> None:
    font_scale = 0.45 * scale
    (w, h), base = cv2.getTextSize(text, _FONT, font_scale, 1)
    x, y = org
    cv2.rectangle(canvas, (x, y - h - base), (x + w, y + base // 2), (0, 0, 0), -1)
    cv2.putText(canvas, text, (x, y - base // 2), _FONT, font_scale, colour, 1, cv2.LINE_AA)


class VideoRenderSink:
    """Writes rendered frames to an .mp4 (mp4v); the file is finalised on close."""

    def __init__(self, path: str, fps: float = 30.0) -> None:
        self.path = path
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None
        self.frames_written = 0

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        if frame is None:
            return
        if self._writer is None:
            size = (frame.width, frame.height)
            self._writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
            if not self._writer.isOpened():
                raise OSError(f"OpenCV cannot open {self.path} for writing mp4v video")
        rendered = draw_graph(frame.image, graph)
        self._writer.write(cv2.cvtColor(rendered, cv2.COLOR_RGB2BGR))
        self.frames_written += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
