"""Sources: every supported input decodes; bad input is counted and skipped and the stream goes on."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import zmq
from rosbags.rosbag2 import StoragePlugin, Writer

from vsgg_ros.codec.rosmsg import graph_to_msg, typestore_types
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE, typestore
from vsgg_ros.codec.wire import pack_image_message
from vsgg_ros.graph import Frame, ObjectNode, Relation, SceneGraph
from vsgg_ros.io.bag_source import BagSource, choose_image_topic
from vsgg_ros.io.files import ImageDirSource, VideoFileSource
from vsgg_ros.io.images import encode_compressed
from vsgg_ros.io.zmq_source import ZmqImageSource

H, W = 24, 32


def _image(i: int) -> np.ndarray:
    """A frame whose pixel values encode its index, so order and colour channels can be checked."""
    img = np.zeros((H, W, 3), np.uint8)
    img[..., 0] = 10 * i
    img[..., 1] = 100
    img[..., 2] = 200
    return img


def _header(store, stamp_ns: int):
    types = store.types
    sec, nanosec = divmod(stamp_ns, 1_000_000_000)
    return types["std_msgs/msg/Header"](
        stamp=types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec), frame_id="cam"
    )


def _raw_msg(store, stamp_ns: int, img: np.ndarray, encoding: str = "rgb8", height: int = H, width: int = W):
    data = img if encoding == "rgb8" else img[..., ::-1]
    if encoding == "mono8":
        data = img[..., 0]
    channels = 1 if encoding == "mono8" else 3
    return store.types["sensor_msgs/msg/Image"](
        header=_header(store, stamp_ns),
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=0,
        step=width * channels,
        data=np.ascontiguousarray(data).reshape(-1),
    )


def _compressed_msg(store, stamp_ns: int, data: bytes, fmt: str = "png"):
    return store.types["sensor_msgs/msg/CompressedImage"](
        header=_header(store, stamp_ns), format=fmt, data=np.frombuffer(data, np.uint8)
    )


def _gt(stamp_ns: int, index: int) -> SceneGraph:
    objects = [ObjectNode(1, "person", (1, 1, 10, 20)), ObjectNode(2, "cup/glass/bottle", (12, 5, 16, 9))]
    return SceneGraph(stamp_ns, index, objects=objects, relations=[Relation(1, 2, "holding", 20, "contacting")])


def write_bag(path: Path, items: list[tuple[str, object]], storage=StoragePlugin.MCAP, with_gt: bool = True) -> None:
    """items: (topic kind, message) in log order; kinds 'raw', 'compressed'."""
    store = typestore()
    with Writer(path, version=9, storage_plugin=storage) as writer:
        raw = writer.add_connection("/camera/image_raw", "sensor_msgs/msg/Image", typestore=store)
        comp = writer.add_connection("/camera/image_raw/compressed", "sensor_msgs/msg/CompressedImage", typestore=store)
        gt = writer.add_connection("/vsgg/ground_truth", SCENE_GRAPH_TYPE, typestore=store)
        for kind, msg in items:
            stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
            conn = raw if kind == "raw" else comp
            writer.write(conn, stamp, bytes(store.serialize_cdr(msg, conn.msgtype)))
            if with_gt and kind == "raw":
                index = stamp // 100_000_000
                gt_msg = graph_to_msg(_gt(stamp, index), typestore_types())
                writer.write(gt, stamp, bytes(store.serialize_cdr(gt_msg, SCENE_GRAPH_TYPE)))


@pytest.mark.parametrize("storage", [StoragePlugin.MCAP, StoragePlugin.SQLITE3])
def test_bag_source_decodes_encodings_and_attaches_ground_truth(tmp_path: Path, storage) -> None:
    store = typestore()
    encodings = ["rgb8", "bgr8", "rgb8"]
    items = [("raw", _raw_msg(store, i * 100_000_000, _image(i), enc)) for i, enc in enumerate(encodings)]
    write_bag(tmp_path / "bag", items, storage)
    source = BagSource(tmp_path / "bag", topic="/camera/image_raw")
    frames = list(source.frames())
    assert [f.index for f in frames] == [0, 1, 2]
    assert [f.stamp_ns for f in frames] == [0, 100_000_000, 200_000_000]
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(frame.image, _image(i))  # bgr8 converted back to RGB
        assert frame.frame_id == "cam"
        assert frame.ground_truth is not None and frame.ground_truth.relations[0].predicate == "holding"
    assert source.skipped == {}


def test_bag_source_compressed_topic_and_mono(tmp_path: Path) -> None:
    store = typestore()
    png = encode_compressed(_image(3), "png")
    items = [("compressed", _compressed_msg(store, 0, png)), ("raw", _raw_msg(store, 0, _image(5), "mono8"))]
    write_bag(tmp_path / "bag", items, with_gt=False)
    frames = list(BagSource(tmp_path / "bag", topic="/camera/image_raw/compressed").frames())
    np.testing.assert_array_equal(frames[0].image, _image(3))
    mono = next(iter(BagSource(tmp_path / "bag", topic="/camera/image_raw").frames())).image
    assert mono.shape == (H, W, 3) and (mono[..., 1] == _image(5)[..., 0]).all()


def test_bad_images_in_a_bag_are_counted_and_skipped(tmp_path: Path) -> None:
    store = typestore()
    items = [
        ("raw", _raw_msg(store, 0, _image(0))),
        ("raw", _raw_msg(store, 100_000_000, _image(1), "weird16")),
        ("raw", _raw_msg(store, 200_000_000, np.zeros((0, 0, 3), np.uint8), height=0, width=0)),
        ("raw", _raw_msg(store, 300_000_000, _image(3))),
    ]
    write_bag(tmp_path / "raw", items, with_gt=False)
    source = BagSource(tmp_path / "raw")
    frames = list(source.frames())
    assert [f.stamp_ns for f in frames] == [0, 300_000_000]
    assert source.skipped == {"unknown_encoding": 1, "zero_size": 1}

    jpeg = encode_compressed(_image(1), "jpeg")
    corrupt = jpeg[:20] + b"\x00" * 50
    comp = [("compressed", _compressed_msg(store, i * 10, d, "jpeg")) for i, d in enumerate([jpeg, corrupt, jpeg])]
    write_bag(tmp_path / "comp", comp, with_gt=False)
    source = BagSource(tmp_path / "comp", topic="/camera/image_raw/compressed")
    assert len(list(source.frames())) == 2
    assert source.skipped == {"corrupt_compressed": 1}


def test_truncated_bag_yields_what_is_readable_then_stops(tmp_path: Path) -> None:
    # rosbags writes 1 MiB chunks; 40 frames of 160x120 span a few, so a cut keeps the first ones whole.
    store = typestore()
    big = np.zeros((120, 160, 3), np.uint8)
    items = [("raw", _raw_msg(store, i * 100_000_000, big + i, height=120, width=160)) for i in range(40)]
    write_bag(tmp_path / "bag", items, with_gt=False)
    mcap = next((tmp_path / "bag").glob("*.mcap"))
    data = mcap.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[: len(data) * 7 // 10])
    source = BagSource(cut)
    frames = list(source.frames())
    assert 0 < len(frames) < 40
    assert [int(f.image[0, 0, 0]) for f in frames] == list(range(len(frames)))  # intact, in order
    assert source.skipped.get("truncated_bag") == 1


def test_image_topic_autodetection() -> None:
    topics = {"/a/image_raw": "sensor_msgs/msg/Image", "/a/image_raw/compressed": "sensor_msgs/msg/CompressedImage"}
    assert choose_image_topic(topics, None) == "/a/image_raw"
    assert choose_image_topic({"/x": "sensor_msgs/msg/CompressedImage"}, None) == "/x"
    with pytest.raises(ValueError, match="no image topic"):
        choose_image_topic({"/tf": "tf2_msgs/msg/TFMessage"}, None)
    with pytest.raises(ValueError, match="not in the bag"):
        choose_image_topic(topics, "/nope")


def test_image_dir_skips_corrupt_and_empty_files(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), cv2.cvtColor(_image(i), cv2.COLOR_RGB2BGR))
    (tmp_path / "001b.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "002b.png").write_bytes(b"")
    source = ImageDirSource(tmp_path, fps=10)
    frames = list(source.frames())
    assert [f.stamp_ns for f in frames] == [0, 100_000_000, 200_000_000]
    np.testing.assert_array_equal(frames[2].image, _image(2))
    assert source.skipped == {"corrupt_image": 1, "zero_size": 1}


def test_video_file_source(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (W, H))
    for i in range(5):
        writer.write(cv2.cvtColor(_image(i * 2), cv2.COLOR_RGB2BGR))
    writer.release()
    frames = list(VideoFileSource(path).frames())
    assert len(frames) == 5
    assert [f.stamp_ns for f in frames] == [i * 100_000_000 for i in range(5)]
    assert abs(float(frames[4].image[..., 0].mean()) - 80) < 8  # lossy codec: close to the drawn value


def test_zmq_source_skips_garbage_and_keeps_going() -> None:
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    source = ZmqImageSource(f"tcp://127.0.0.1:{port}")
    frames = source.frames()
    good = [pack_image_message(Frame(i, i * 1000, _image(i), "cam", "camera"), "png") for i in range(3)]
    garbage = [
        [b"vsgg/image/camera/", b"\xc1\xc1 not msgpack"],
        [b"vsgg/image/camera/", b"a", b"b"],
        [b"vsgg/image/camera/", b"\x81\xa1x\x01"],
    ]
    received: list[Frame] = []
    deadline = time.monotonic() + 10
    sent_all = False
    while len(received) < 3 and time.monotonic() < deadline:
        if not sent_all:
            time.sleep(0.3)  # slow joiner
            for bad, ok in zip(garbage, good, strict=True):
                pub.send_multipart(bad)
                pub.send_multipart(ok)
            sent_all = True
        received.append(next(frames))
    source.close()
    pub.close()
    assert [f.index for f in received] == [0, 1, 2]
    np.testing.assert_array_equal(received[1].image, _image(1))
    assert sum(source.skipped.values()) == 3
