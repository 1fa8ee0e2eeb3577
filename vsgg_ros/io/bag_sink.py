"""Writes scene graphs (and optionally the debug image) to a rosbag2 MCAP bag.

The output is a rosbag2 folder (``metadata.yaml`` + ``<name>.mcap``) that ``ros2 bag play``, rosbags and
mcap-ros2-support all read. The writer is closed on every exit path the engine controls (end of stream,
SIGINT/SIGTERM, errors), which writes the MCAP summary and the bag metadata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer

from vsgg_ros.codec.rosmsg import graph_to_msg, split_stamp, typestore_types
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE, typestore
from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.render import draw_graph

GRAPH_TOPIC = "/vsgg/scene_graph"
IMAGE_TOPIC = "/vsgg/debug_image"
IMAGE_TYPE = "sensor_msgs/msg/Image"


def bag_folder(path: str | Path) -> Path:
    """``out.mcap`` and ``out`` both mean the rosbag2 folder ``out/`` (holding ``out.mcap``)."""
    p = Path(path)
    return p.with_suffix("") if p.suffix == ".mcap" else p


class McapGraphSink:
    def __init__(
        self, path: str | Path, topic: str = GRAPH_TOPIC, debug_images: bool = False, image_topic: str = IMAGE_TOPIC
    ) -> None:
        self.path = bag_folder(path)
        if self.path.exists():
            raise FileExistsError(f"output bag {self.path} exists already; choose another --out or remove it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._store = typestore()
        self._types = typestore_types()
        self._writer = Writer(self.path, version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._graphs = self._writer.add_connection(topic, SCENE_GRAPH_TYPE, typestore=self._store)
        self._images = (
            self._writer.add_connection(image_topic, IMAGE_TYPE, typestore=self._store) if debug_images else None
        )
        self.messages = 0

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        if self._writer is None:
            raise RuntimeError(f"bag {self.path} is closed")
        raw = self._store.serialize_cdr(graph_to_msg(graph, self._types), SCENE_GRAPH_TYPE)
        self._writer.write(self._graphs, graph.stamp_ns, bytes(raw))
        self.messages += 1
        if self._images is not None and frame is not None:
            self._writer.write(self._images, graph.stamp_ns, self._image_cdr(draw_graph(frame.image, graph), graph))

    def _image_cdr(self, rgb: np.ndarray, graph: SceneGraph) -> bytes:
        types = self._store.types
        sec, nanosec = split_stamp(graph.stamp_ns)
        header = types["std_msgs/msg/Header"](
            stamp=types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec), frame_id=graph.frame_id
        )
        height, width = rgb.shape[:2]
        msg = types[IMAGE_TYPE](
            header=header,
            height=height,
            width=width,
            encoding="rgb8",
            is_bigendian=0,
            step=width * 3,
            data=np.ascontiguousarray(rgb).reshape(-1),
        )
        return bytes(self._store.serialize_cdr(msg, IMAGE_TYPE))

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()
