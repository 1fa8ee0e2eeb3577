"""``vision_msgs/Detection2DArray`` (from another detector node) -> our Detection list.

Duck-typed: it reads attributes only, so rclpy messages, rosbags typestore messages and plain objects
all work. Both bounding-box layouts are accepted: vision_msgs >= 4 (Humble and later) puts the centre
in ``bbox.center.position.{x,y}`` (vision_msgs/Pose2D), vision_msgs 3.x (Foxy) in ``bbox.center.{x,y}``
(geometry_msgs/Pose2D). Each detection's best-scoring hypothesis names the class, either as a class
name or as a numeric index into ``class_names``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vsgg_ros.detection.labelmap import LabelMap
from vsgg_ros.interfaces import Detection


def _centre(bbox: Any) -> tuple[float, float]:
    centre = bbox.center
    point = getattr(centre, "position", centre)
    return float(point.x), float(point.y)


def _best_hypothesis(detection: Any) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for result in detection.results:
        hypothesis = getattr(result, "hypothesis", result)  # 3.x puts id/score on the result itself
        class_id = getattr(hypothesis, "class_id", None)
        if class_id is None:
            class_id = hypothesis.id
        score = float(hypothesis.score)
        if best is None or score > best[1]:
            best = (str(class_id), score)
    return best


def detections_from_vision_msgs(
    msg: Any,
    label_map: LabelMap | None = None,
    class_names: Sequence[str] | None = None,
    min_score: float = 0.0,
) -> list[Detection]:
    """Detections of one Detection2DArray; boxes as ``(x1, y1, x2, y2)`` pixels.

    ``class_names`` resolves numeric class ids; ``label_map`` renames into the head's vocabulary and
    drops classes it does not map (without one, labels pass through with class id -1).
    """
    out: list[Detection] = []
    for detection in msg.detections:
        best = _best_hypothesis(detection)
        if best is None or best[1] < min_score:
            continue
        name, score = best
        if class_names is not None and name.lstrip("-").isdigit():
            index = int(name)
            if not 0 <= index < len(class_names):
                raise ValueError(f"vision_msgs class id {index} outside the {len(class_names)} known classes")
            name = class_names[index]
        mapped = label_map.lookup(name) if label_map is not None else (name, -1)
        if mapped is None:
            continue
        cx, cy = _centre(detection.bbox)
        half_w, half_h = float(detection.bbox.size_x) / 2, float(detection.bbox.size_y) / 2
        out.append(Detection((cx - half_w, cy - half_h, cx + half_w, cy + half_h), mapped[0], mapped[1], score))
    return out
