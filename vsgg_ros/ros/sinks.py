"""The node's publishers as engine Sinks: each converts a graph to a message and hands it to a callable.

A sink knows nothing about rclpy: ``publish`` is ``publisher.publish`` in the node and a list's
``append`` in tests, and ``wanted`` is "has subscribers" for the costly outputs (debug image, markers)
so nothing is drawn when nobody looks. ``close`` never tears down a publisher: the node owns those and
reuses them across lifecycle transitions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from vsgg_ros.codec.rosmsg import MsgTypes, graph_to_msg
from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.render import draw_graph
from vsgg_ros.ros.convert import graph_to_detections, graph_to_markers, make_header, rgb_to_image
from vsgg_ros.ros.msgs import MsgFactory

log = logging.getLogger(__name__)
Publish = Callable[[Any], None]


def _always() -> bool:
    return True


class _PublishSink:
    def __init__(self, publish: Publish, wanted: Callable[[], bool] = _always) -> None:
        self.publish = publish
        self.wanted = wanted
        self.published = 0

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        if not self.wanted():
            return
        msg = self.build(graph, frame)
        if msg is not None:
            self.publish(msg)
            self.published += 1

    def build(self, graph: SceneGraph, frame: Frame | None) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """Publishers belong to the node; nothing to release here."""


class SceneGraphSink(_PublishSink):
    """vsgg_ros/msg/SceneGraph with the image's header."""

    def __init__(self, publish: Publish, types: MsgTypes, wanted: Callable[[], bool] = _always) -> None:
        super().__init__(publish, wanted)
        self.types = types

    def build(self, graph: SceneGraph, frame: Frame | None) -> Any:
        return graph_to_msg(graph, self.types)


class DetectionsSink(_PublishSink):
    """vision_msgs/Detection2DArray of the tracked objects (``id`` = track id)."""

    def __init__(self, publish: Publish, factory: MsgFactory, wanted: Callable[[], bool] = _always) -> None:
        super().__init__(publish, wanted)
        self.factory = factory

    def build(self, graph: SceneGraph, frame: Frame | None) -> Any:
        return graph_to_detections(graph, self.factory)


class DebugImageSink(_PublishSink):
    """The frame with boxes, ids and relation arrows drawn on (sensor_msgs/Image rgb8)."""

    def __init__(self, publish: Publish, factory: MsgFactory, wanted: Callable[[], bool] = _always) -> None:
        super().__init__(publish, wanted)
        self.factory = factory

    def build(self, graph: SceneGraph, frame: Frame | None) -> Any:
        if frame is None:
            return None
        header = make_header(self.factory, graph.stamp_ns, graph.frame_id)
        return rgb_to_image(draw_graph(frame.image, graph), self.factory, header)


class MarkerSink(_PublishSink):
    """visualization_msgs/MarkerArray of the graph on a board in front of the camera."""

    def __init__(
        self,
        publish: Publish,
        factory: MsgFactory,
        metres_per_px: float,
        depth_m: float,
        wanted: Callable[[], bool] = _always,
    ) -> None:
        super().__init__(publish, wanted)
        self.factory = factory
        self.metres_per_px = metres_per_px
        self.depth_m = depth_m

    def build(self, graph: SceneGraph, frame: Frame | None) -> Any:
        if frame is None:
            return None
        size = (frame.width, frame.height)
        return graph_to_markers(graph, self.factory, size, self.metres_per_px, self.depth_m)


class LatestGraph:
    """Keeps only the newest graph, for the ``get_scene_graph`` service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graph: SceneGraph | None = None

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        with self._lock:
            self._graph = graph

    def get(self) -> SceneGraph | None:
        with self._lock:
            return self._graph

    def clear(self) -> None:
        with self._lock:
            self._graph = None

    def close(self) -> None:
        """The last graph stays readable after the engine stops."""
