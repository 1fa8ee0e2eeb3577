"""Conversions between ROS messages and the engine's data model, for either message backend.

Every function takes a :class:`~vsgg_ros.ros.msgs.MsgFactory`, so the node (rclpy classes) and the tests
(rosbags classes) run the same code. Headers are always rebuilt from the frame's own stamp and frame id,
which came from the input image: outputs are never restamped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from vsgg_ros.graph import Box, Frame, SceneGraph, TrackState
from vsgg_ros.interfaces import Detection
from vsgg_ros.io.images import ros_image_to_rgb
from vsgg_ros.render import track_colour
from vsgg_ros.ros.msgs import MsgFactory

NS_PER_SEC = 1_000_000_000
HEADER = "std_msgs/msg/Header"
DETECTION_ARRAY = "vision_msgs/msg/Detection2DArray"
MARKER = "visualization_msgs/msg/Marker"
STATUS = "diagnostic_msgs/msg/DiagnosticStatus"


def stamp_ns(header: Any) -> int:
    return int(header.stamp.sec) * NS_PER_SEC + int(header.stamp.nanosec)


def make_header(factory: MsgFactory, stamp: int, frame_id: str) -> Any:
    sec, nanosec = divmod(int(stamp), NS_PER_SEC)
    return factory.new(
        HEADER, stamp=factory.new("builtin_interfaces/msg/Time", sec=sec, nanosec=nanosec), frame_id=frame_id
    )


def image_to_frame(msg: Any, index: int, source_id: str, default_frame_id: str = "camera") -> Frame:
    """sensor_msgs/Image or CompressedImage -> Frame with the image's own stamp and frame id.

    Raises :class:`vsgg_ros.io.base.BadFrame` for images that cannot be decoded.
    """
    rgb = ros_image_to_rgb(msg)
    return Frame(index, stamp_ns(msg.header), rgb, msg.header.frame_id or default_frame_id, source_id)


def rgb_to_image(rgb: np.ndarray, factory: MsgFactory, header: Any) -> Any:
    """An HxWx3 uint8 RGB array as a ``sensor_msgs/Image`` (rgb8, tightly packed)."""
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    data = np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()
    return factory.new(
        "sensor_msgs/msg/Image",
        header=header,
        height=height,
        width=width,
        encoding="rgb8",
        is_bigendian=0,
        step=width * 3,
        data=factory.u8(data),
    )


def detections_from_msg(msg: Any, labels: Mapping[str, int] | None = None) -> list[Detection]:
    """vision_msgs/Detection2DArray -> detections for the tracker.

    The best-scoring hypothesis names the class; ``class_id`` is looked up in ``labels`` (-1 when absent).
    Rotated boxes become their axis-aligned bounding box.
    """
    out: list[Detection] = []
    for det in msg.detections:
        label, score = "", 1.0
        if det.results:
            best = max(det.results, key=lambda r: float(r.hypothesis.score))
            label, score = str(best.hypothesis.class_id), float(best.hypothesis.score)
        class_id = -1 if labels is None else labels.get(label, -1)
        out.append(Detection(box=_axis_aligned(det.bbox), label=label, class_id=class_id, score=score))
    return out


def graph_to_detections(graph: SceneGraph, factory: MsgFactory) -> Any:
    """The graph's objects as vision_msgs/Detection2DArray; ``id`` is the track id, class_id the label."""
    header = make_header(factory, graph.stamp_ns, graph.frame_id)
    detections = []
    for obj in graph.objects:
        x1, y1, x2, y2 = (float(v) for v in obj.box)
        hypothesis = factory.new("vision_msgs/msg/ObjectHypothesis", class_id=obj.label, score=float(obj.score))
        detections.append(
            factory.new(
                "vision_msgs/msg/Detection2D",
                header=header,
                results=[factory.new("vision_msgs/msg/ObjectHypothesisWithPose", hypothesis=hypothesis)],
                bbox=factory.new(
                    "vision_msgs/msg/BoundingBox2D",
                    center=factory.new(
                        "vision_msgs/msg/Pose2D",
                        position=factory.new("vision_msgs/msg/Point2D", x=(x1 + x2) / 2, y=(y1 + y2) / 2),
                        theta=0.0,
                    ),
                    size_x=x2 - x1,
                    size_y=y2 - y1,
                ),
                id=str(obj.id),
            )
        )
    return factory.new(DETECTION_ARRAY, header=header, detections=detections)


def graph_to_markers(
    graph: SceneGraph, factory: MsgFactory, image_size: tuple[int, int], metres_per_px: float, depth_m: float
) -> Any:
    """RViz markers for a 2D graph drawn on a board ``depth_m`` in front of the camera.

    Pixel (u, v) maps to (x, y, z) = ((u - w/2)·s, (v - h/2)·s, depth) in the image's optical frame
    (x right, y down, z forward), so the board lines up with the camera's view. The array starts with
    DELETEALL: every message replaces the previous scene instead of accumulating stale markers.
    """
    width, height = image_size
    header = make_header(factory, graph.stamp_ns, graph.frame_id)

    def point(u: float, v: float) -> Any:
        x, y = (u - width / 2) * metres_per_px, (v - height / 2) * metres_per_px
        return factory.new("geometry_msgs/msg/Point", x=float(x), y=float(y), z=float(depth_m))

    def marker(ns: str, ident: int, kind: str, **fields: Any) -> Any:
        return factory.new(
            MARKER,
            header=header,
            ns=ns,
            id=ident,
            type=factory.const(MARKER, kind),
            action=factory.const(MARKER, "ADD"),
            pose=_identity_pose(factory),
            **fields,
        )

    line = 2.0 * metres_per_px
    text_size = 14.0 * metres_per_px
    markers = [
        factory.new(MARKER, header=header, action=factory.const(MARKER, "DELETEALL"), pose=_identity_pose(factory))
    ]
    centres: dict[int, tuple[float, float]] = {}
    for i, obj in enumerate(graph.objects):
        x1, y1, x2, y2 = (float(v) for v in obj.box)
        alpha = 0.4 if obj.state == TrackState.LOST else 1.0
        colour = _colour(factory, track_colour(obj.id), alpha)
        corners = [point(x1, y1), point(x2, y1), point(x2, y2), point(x1, y2), point(x1, y1)]
        markers.append(marker("objects", i, "LINE_STRIP", points=corners, color=colour, scale=_vec(factory, line)))
        label = marker("labels", i, "TEXT_VIEW_FACING", color=colour, scale=_vec(factory, text_size))
        label.pose = _identity_pose(factory, point(x1, y1 - 8))
        label.text = f"{obj.id}:{obj.label}"
        markers.append(label)
        centres[obj.id] = ((x1 + x2) / 2, (y1 + y2) / 2)
    white = _colour(factory, (255, 255, 255), 1.0)
    for i, rel in enumerate(r for r in graph.relations if r.subject_id in centres and r.object_id in centres):
        (ua, va), (ub, vb) = centres[rel.subject_id], centres[rel.object_id]
        arrow_scale = factory.new("geometry_msgs/msg/Vector3", x=line, y=3 * line, z=4 * line)
        markers.append(
            marker("relations", i, "ARROW", points=[point(ua, va), point(ub, vb)], color=white, scale=arrow_scale)
        )
        text = marker("predicates", i, "TEXT_VIEW_FACING", color=white, scale=_vec(factory, text_size))
        text.pose = _identity_pose(factory, point((ua + ub) / 2, (va + vb) / 2))
        text.text = rel.predicate
        markers.append(text)
    return factory.new("visualization_msgs/msg/MarkerArray", markers=markers)


def diagnostics_to_msg(
    factory: MsgFactory, stamp: int, name: str, hardware_id: str, level: str, message: str, values: Mapping[str, str]
) -> Any:
    """One-status ``diagnostic_msgs/DiagnosticArray``; ``level`` is OK, WARN, ERROR or STALE."""
    status = factory.new(
        STATUS,
        level=factory.const(STATUS, level),
        name=name,
        message=message,
        hardware_id=hardware_id,
        values=[factory.new("diagnostic_msgs/msg/KeyValue", key=k, value=v) for k, v in values.items()],
    )
    return factory.new("diagnostic_msgs/msg/DiagnosticArray", header=make_header(factory, stamp, ""), status=[status])


def _axis_aligned(bbox: Any) -> Box:
    cx, cy = float(bbox.center.position.x), float(bbox.center.position.y)
    half_w, half_h, theta = float(bbox.size_x) / 2, float(bbox.size_y) / 2, float(bbox.center.theta)
    cos, sin = abs(math.cos(theta)), abs(math.sin(theta))
    ex, ey = half_w * cos + half_h * sin, half_w * sin + half_h * cos
    return (cx - ex, cy - ey, cx + ex, cy + ey)


def _identity_pose(factory: MsgFactory, position: Any | None = None) -> Any:
    return factory.new(
        "geometry_msgs/msg/Pose",
        position=position if position is not None else factory.new("geometry_msgs/msg/Point", x=0.0, y=0.0, z=0.0),
        orientation=factory.new("geometry_msgs/msg/Quaternion", x=0.0, y=0.0, z=0.0, w=1.0),
    )


def _vec(factory: MsgFactory, size: float) -> Any:
    return factory.new("geometry_msgs/msg/Vector3", x=float(size), y=float(size), z=float(size))


def _colour(factory: MsgFactory, rgb: tuple[int, int, int], alpha: float) -> Any:
    r, g, b = rgb
    return factory.new("std_msgs/msg/ColorRGBA", r=r / 255.0, g=g / 255.0, b=b / 255.0, a=float(alpha))
