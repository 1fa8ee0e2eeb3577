"""rosbag2 (sqlite3 or MCAP) replay as a frame source, via rosbags' AnyReader.

Images come from one ``sensor_msgs/Image`` or ``CompressedImage`` topic (given or auto-detected);
ground truth, when the bag has it, from a ``vsgg_ros/msg/SceneGraph`` topic matched to images by
header stamp. Each frame is held back until the next image arrives so ground truth logged just after
its image still attaches — one frame of look-ahead, never more.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rosbags.highlevel import AnyReader

from vsgg_ros.codec.rosmsg import msg_to_graph
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE
from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.io.base import BadFrame, SkippingSource
from vsgg_ros.io.images import ros_image_to_rgb

log = logging.getLogger(__name__)

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
_GT_BUFFER = 64


def bag_paths(path: str | Path) -> list[Path]:
    """What AnyReader wants for a user-given path: a rosbag2 folder, or a bare .mcap file."""
    p = Path(path)
    if p.is_dir():
        if not (p / "metadata.yaml").is_file():
            mcaps = sorted(p.glob("*.mcap"))
            if len(mcaps) == 1:
                return mcaps
            raise ValueError(f"{p} is a folder without metadata.yaml; not a rosbag2 bag")
        return [p]
    if p.suffix == ".mcap" and p.is_file():
        return [p]
    if p.suffix == ".db3" and p.is_file() and (p.parent / "metadata.yaml").is_file():
        return [p.parent]
    raise FileNotFoundError(f"not a rosbag2 folder, .mcap file, or .db3 inside a bag folder: {p}")


def choose_image_topic(topics: dict[str, str], wanted: str | None) -> str:
    """Pick the image topic: the one asked for, else the only one, else one ending in image_raw."""
    images = {t: ty for t, ty in topics.items() if ty in IMAGE_TYPES}
    if wanted is not None:
        if wanted not in topics:
            raise ValueError(f"topic {wanted!r} is not in the bag; image topics: {sorted(images) or 'none'}")
        if topics[wanted] not in IMAGE_TYPES:
            raise ValueError(f"topic {wanted!r} has type {topics[wanted]}, not an image type {IMAGE_TYPES}")
        return wanted
    if not images:
        raise ValueError(f"the bag has no image topic ({', '.join(IMAGE_TYPES)}); topics: {sorted(topics)}")
    if len(images) == 1:
        return next(iter(images))
    raw = sorted(t for t, ty in images.items() if ty == IMAGE_TYPES[0] and t.endswith("image_raw"))
    chosen = raw[0] if raw else sorted(images)[0]
    log.info("several image topics %s; using %s (choose with --topic)", sorted(images), chosen)
    return chosen


class BagSource(SkippingSource):
    def __init__(
        self,
        path: str | Path,
        topic: str | None = None,
        gt_topic: str | None = "/vsgg/ground_truth",
        source_id: str = "camera",
    ) -> None:
        super().__init__()
        self.paths = bag_paths(path)
        self.name = str(path)
        self.source_id = source_id
        with AnyReader(self.paths) as reader:
            topics = {c.topic: c.msgtype for c in reader.connections}
        self.topic = choose_image_topic(topics, topic)
        self.gt_topic = gt_topic if gt_topic and topics.get(gt_topic) == SCENE_GRAPH_TYPE else None

    def frames(self) -> Iterator[Frame]:
        pending: Frame | None = None
        ground_truth: OrderedDict[int, SceneGraph] = OrderedDict()
        index = 0
        with AnyReader(self.paths) as reader:
            wanted = [c for c in reader.connections if c.topic in (self.topic, self.gt_topic)]
            for connection, _, raw in self._messages(reader, wanted):
                msg = self._deserialize(reader, raw, connection)
                if msg is None:
                    continue
                if connection.topic == self.gt_topic:
                    graph = msg_to_graph(msg)
                    ground_truth[graph.stamp_ns] = graph
                    while len(ground_truth) > _GT_BUFFER:
                        ground_truth.popitem(last=False)
                    continue
                frame = self._frame(msg, index)
                if frame is None:
                    continue
                index += 1
                if pending is not None:
                    yield _attach(pending, ground_truth)
                pending = frame
        if pending is not None:
            yield _attach(pending, ground_truth)

    def _messages(self, reader: AnyReader, connections: list[Any]) -> Iterator[tuple[Any, int, bytes]]:
        """Reader messages; a truncated or corrupt bag ends the stream with a counted, logged skip."""
        iterator = reader.messages(connections=connections)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except Exception as err:  # rosbags/mcap raise several types for damaged files
                self.skip(BadFrame("truncated_bag", f"{type(err).__name__}: {err}"), "the rest of the bag")
                return
            yield item

    def _deserialize(self, reader: AnyReader, raw: bytes, connection: Any) -> Any:
        try:
            return reader.deserialize(raw, connection.msgtype)
        except Exception as err:
            self.skip(BadFrame("corrupt_message", f"{type(err).__name__}: {err}"), f"a {connection.topic} message")
            return None

    def _frame(self, msg: Any, index: int) -> Frame | None:
        try:
            rgb = ros_image_to_rgb(msg)
        except BadFrame as err:
            self.skip(err, f"{self.topic} image at {msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d}")
            return None
        stamp_ns = int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)
        return Frame(index, stamp_ns, rgb, msg.header.frame_id or "camera", self.source_id)


def _attach(frame: Frame, ground_truth: OrderedDict[int, SceneGraph]) -> Frame:
    frame.ground_truth = ground_truth.pop(frame.stamp_ns, None)
    return frame
