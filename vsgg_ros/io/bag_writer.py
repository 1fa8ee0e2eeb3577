"""Writing rosbag2 MCAP bags of images and scene graphs (outputs, SynthRoom recordings, test data).

The bag is a rosbag2 folder (``metadata.yaml`` + ``<name>.mcap``) that ``ros2 bag play``, rosbags and
mcap-ros2-support all read. ``close`` writes the MCAP summary and the metadata; until then data sits in
1 MiB chunks, so callers close on every exit path.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer

from vsgg_ros.codec.rosmsg import graph_to_msg, split_stamp, typestore_types
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE, typestore
from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.io.images import encode_compressed

IMAGE_TYPE = "sensor_msgs/msg/Image"
COMPRESSED_TYPE = "sensor_msgs/msg/CompressedImage"


def bag_folder(path: str | Path) -> Path:
    """``out.mcap`` and ``out`` both mean the rosbag2 folder ``out/`` (holding ``out.mcap``)."""
    p = Path(path)
    return p.with_suffix("") if p.suffix == ".mcap" else p


class BagWriter:
    def __init__(self, path: str | Path) -> None:
        self.path = bag_folder(path)
        if self.path.exists():
            raise FileExistsError(f"output bag {self.path} exists already; choose another path or remove it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._store = typestore()
        self._types = typestore_types()
        self._writer: Writer | None = Writer(self.path, version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._connections: dict[str, Any] = {}
        self.messages = 0

    def _connection(self, topic: str, msgtype: str) -> Any:
        conn = self._connections.get(topic)
        if conn is None:
            if self._writer is None:
                raise RuntimeError(f"bag {self.path} is closed")
            conn = self._connections[topic] = self._writer.add_connection(topic, msgtype, typestore=self._store)
        return conn

    def _write(self, topic: str, msgtype: str, stamp_ns: int, msg: Any) -> None:
        conn = self._connection(topic, msgtype)
        assert self._writer is not None
        self._writer.write(conn, stamp_ns, bytes(self._store.serialize_cdr(msg, msgtype)))
        self.messages += 1

    def write_graph(self, topic: str, graph: SceneGraph) -> None:
        self._write(topic, SCENE_GRAPH_TYPE, graph.stamp_ns, graph_to_msg(graph, self._types))

    def write_image(self, topic: str, rgb: np.ndarray, stamp_ns: int, frame_id: str) -> None:
        height, width = rgb.shape[:2]
        msg = self._store.types[IMAGE_TYPE](
            header=self._header(stamp_ns, frame_id),
            height=height,
            width=width,
            encoding="rgb8",
            is_bigendian=0,
            step=width * 3,
            data=np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1),
        )
        self._write(topic, IMAGE_TYPE, stamp_ns, msg)

    def write_compressed(self, topic: str, rgb: np.ndarray, stamp_ns: int, frame_id: str, fmt: str = "jpeg") -> None:
        data = np.frombuffer(encode_compressed(rgb, fmt), dtype=np.uint8)
        msg = self._store.types[COMPRESSED_TYPE](header=self._header(stamp_ns, frame_id), format=fmt, data=data)
        self._write(topic, COMPRESSED_TYPE, stamp_ns, msg)

    def _header(self, stamp_ns: int, frame_id: str) -> Any:
        types = self._store.types
        sec, nanosec = split_stamp(stamp_ns)
        return types["std_msgs/msg/Header"](
            stamp=types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec), frame_id=frame_id
        )

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_recording(
    path: str | Path,
    items: Iterable[tuple[Frame, SceneGraph | None]],
    image_topic: str = "/camera/image_raw",
    gt_topic: str = "/vsgg/ground_truth",
    compressed_topic: str | None = None,
) -> int:
    """A camera recording with ground truth: images (and optionally JPEGs) plus SceneGraph per frame."""
    count = 0
    with BagWriter(path) as bag:
        for frame, graph in items:
            bag.write_image(image_topic, frame.image, frame.stamp_ns, frame.frame_id)
            if compressed_topic is not None:
                bag.write_compressed(compressed_topic, frame.image, frame.stamp_ns, frame.frame_id)
            if graph is not None:
                bag.write_graph(gt_topic, graph)
            count += 1
    return count
