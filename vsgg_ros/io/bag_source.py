"""rosbag2 (sqlite3 or MCAP) replay as a frame source, via rosbags' AnyReader.

Images come from one ``sensor_msgs/Image`` or ``CompressedImage`` topic (given or auto-detected);
ground truth, when the bag has it, from a ``vsgg_ros/msg/SceneGraph`` topic matched to images by
header stamp. Each frame is held back until the next image arrives so ground truth logged just after
its image still attaches — one frame of look-ahead, never more.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mcap.records import Channel, Message, Schema
from mcap.stream_reader import StreamReader
from rosbags.highlevel import AnyReader, AnyReaderError

from vsgg_ros.codec.rosmsg import msg_to_graph
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE, typestore
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
    """Frames of a rosbag2 bag. A damaged MCAP whose index cannot be read (a recording cut off by a crash
    or a full disk) is streamed record by record from the start instead, up to the damage."""

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
        self._streamed: Path | None = None
        try:
            with AnyReader(self.paths) as reader:
                topics = {c.topic: c.msgtype for c in reader.connections}
        except AnyReaderError as err:
            self._streamed = _single_mcap(self.paths)
            if self._streamed is None:
                raise ValueError(f"cannot read bag {path}: {err}") from err
            log.warning("%s: index unreadable (%s); streaming the readable records from the start", path, err)
            topics = _streamed_topics(self._streamed)
        self.topic = choose_image_topic(topics, topic)
        self.gt_topic = gt_topic if gt_topic and topics.get(gt_topic) == SCENE_GRAPH_TYPE else None

    def frames(self) -> Iterator[Frame]:
        pending: Frame | None = None
        ground_truth: OrderedDict[int, SceneGraph] = OrderedDict()
        index = 0
        for topic, msg in self._decoded():
            if topic == self.gt_topic:
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

    def _decoded(self) -> Iterator[tuple[str, Any]]:
        """(topic, message) for the image and ground-truth topics; damage ends the stream, counted once."""
        wanted = {self.topic, self.gt_topic} - {None}
        if self._streamed is not None:
            store = typestore()
            records = _streamed_messages(self._streamed, wanted)
            deserialize = store.deserialize_cdr
            yield from self._guarded(records, deserialize)
            return
        with AnyReader(self.paths) as reader:
            connections = [c for c in reader.connections if c.topic in wanted]
            records = ((c.topic, c.msgtype, raw) for c, _, raw in reader.messages(connections=connections))
            yield from self._guarded(records, reader.deserialize)

    def _guarded(
        self, records: Iterator[tuple[str, str, bytes]], deserialize: Callable[[bytes, str], Any]
    ) -> Iterator[tuple[str, Any]]:
        while True:
            try:
                topic, msgtype, raw = next(records)
            except StopIteration:
                return
            except Exception as err:  # rosbags and mcap raise several types for damaged files
                self.skip(BadFrame("truncated_bag", f"{type(err).__name__}: {err}"), "the rest of the bag")
                return
            try:
                yield topic, deserialize(raw, msgtype)
            except Exception as err:
                self.skip(BadFrame("corrupt_message", f"{type(err).__name__}: {err}"), f"a {topic} message")

    def _frame(self, msg: Any, index: int) -> Frame | None:
        try:
            rgb = ros_image_to_rgb(msg)
        except BadFrame as err:
            self.skip(err, f"{self.topic} image at {msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d}")
            return None
        stamp_ns = int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)
        return Frame(index, stamp_ns, rgb, msg.header.frame_id or "camera", self.source_id)


def _single_mcap(paths: list[Path]) -> Path | None:
    path = paths[0]
    if path.is_dir():
        mcaps = sorted(path.glob("*.mcap"))
        return mcaps[0] if len(mcaps) == 1 else None
    return path if path.suffix == ".mcap" else None


def _stream_records(path: Path) -> Iterator[Any]:
    with path.open("rb") as f:
        yield from StreamReader(f, skip_magic=False).records


def _streamed_topics(path: Path) -> dict[str, str]:
    """Topic -> message type from the channel and schema records readable before the damage."""
    schemas: dict[int, str] = {}
    topics: dict[str, str] = {}
    with contextlib.suppress(Exception):
        for record in _stream_records(path):
            if isinstance(record, Schema):
                schemas[record.id] = record.name
            elif isinstance(record, Channel):
                topics[record.topic] = schemas.get(record.schema_id, "")
    return topics


def _streamed_messages(path: Path, wanted: set[str | None]) -> Iterator[tuple[str, str, bytes]]:
    schemas: dict[int, str] = {}
    channels: dict[int, tuple[str, str]] = {}
    for record in _stream_records(path):
        if isinstance(record, Schema):
            schemas[record.id] = record.name
        elif isinstance(record, Channel):
            channels[record.id] = (record.topic, schemas.get(record.schema_id, ""))
        elif isinstance(record, Message):
            topic, msgtype = channels.get(record.channel_id, ("", ""))
            if topic in wanted:
                yield topic, msgtype, record.data


def _attach(frame: Frame, ground_truth: OrderedDict[int, SceneGraph]) -> Frame:
    frame.ground_truth = ground_truth.pop(frame.stamp_ns, None)
    return frame
