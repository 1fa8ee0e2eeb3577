"""The pipeline's bag output: every SceneGraph, and optionally the rendered debug image."""

from __future__ import annotations

from pathlib import Path

from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.io.bag_writer import BagWriter
from vsgg_ros.render import draw_graph

GRAPH_TOPIC = "/vsgg/scene_graph"
IMAGE_TOPIC = "/vsgg/debug_image"


class McapGraphSink:
    def __init__(self, path: str | Path, debug_images: bool = False) -> None:
        self._bag = BagWriter(path)
        self.path = self._bag.path
        self.debug_images = debug_images

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        self._bag.write_graph(GRAPH_TOPIC, graph)
        if self.debug_images and frame is not None:
            self._bag.write_image(IMAGE_TOPIC, draw_graph(frame.image, graph), graph.stamp_ns, graph.frame_id)

    def close(self) -> None:
        self._bag.close()
