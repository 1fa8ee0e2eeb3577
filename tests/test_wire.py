"""Wire format v1: round trips, the documented contract (payloads built by hand), bad input, framing
and topic behaviour on real ZeroMQ sockets (loopback only)."""

from __future__ import annotations

import contextlib
import json
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import msgpack
import numpy as np
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import masks, scene_graphs

from vsgg_ros.codec.wire import (
    SCHEMA_VERSION,
    WireFormatError,
    decode_array,
    decode_graph,
    decode_image_message,
    encode_array,
    encode_graph,
    encode_image_message,
    graph_from_dict,
    graph_to_dict,
    graph_topic,
    image_topic,
    join_single_frame,
    pack_image_message,
    pack_message,
    pack_single_frame,
    split_message,
    split_single_frame,
)
from vsgg_ros.graph import Frame, Mask, ObjectNode, Relation, SceneGraph, TrackState

DOC = Path(__file__).resolve().parents[1] / "docs" / "wire-format.md"
U64_MAX = 2**64 - 1


def small_graph(source_id: str = "cam1", sequence: int = 0) -> SceneGraph:
    return SceneGraph(
        stamp_ns=1_700_000_000_000_000_001,
        frame_index=3,
        source_id=source_id,
        sequence=sequence,
        objects=[
            ObjectNode(id=1, label="person", box=(1.0, 2.0, 30.0, 40.0)),
            ObjectNode(id=2, label="cup", box=(5.0, 6.0, 7.0, 8.0), attributes={"color": "red"}),
        ],
        relations=[Relation(subject_id=1, object_id=2, predicate="holding", score=0.5)],
        latency_ms={"track": 1.5},
    )


# --------------------------------------------------------------------------------- round trips


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene_graphs())
def test_msgpack_round_trip_is_exact(graph: SceneGraph) -> None:
    assert decode_graph(encode_graph(graph)) == graph


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene_graphs(max_objects=5, max_relations=5))
def test_dict_layout_round_trip_without_serialising(graph: SceneGraph) -> None:
    assert graph_from_dict(graph_to_dict(graph)) == graph


def test_encoder_writes_every_documented_key_with_schema_version_first() -> None:
    graph = small_graph()
    graph.objects[0].mask = Mask.from_array(np.eye(3, dtype=bool))
    d = msgpack.unpackb(encode_graph(graph), raw=False)
    assert list(d) == [
        "schema_version",
        "stamp",
        "source_id",
        "frame_id",
        "frame_index",
        "sequence_number",
        "model_id",
        "objects",
        "relations",
        "latency",
    ]
    assert d["schema_version"] == 1 == SCHEMA_VERSION
    assert d["stamp"] == {"sec": 1_700_000_000, "nanosec": 1}
    assert set(d["objects"][0]) == {"id", "label", "class_id", "score", "box", "state", "mask", "attributes"}
    assert set(d["relations"][0]) == {
        "subject_id",
        "object_id",
        "predicate",
        "predicate_id",
        "group",
        "score",
        "affinity",
        "age_frames",
        "age_sec",
    }
    assert d["objects"][0]["mask"]["size"] == [3, 3]
    assert isinstance(d["objects"][0]["mask"]["counts"], str)
    assert d["objects"][1]["mask"] is None


def test_negative_stamp_keeps_nanosec_in_range() -> None:
    graph = SceneGraph(stamp_ns=-1, frame_index=0)
    d = msgpack.unpackb(encode_graph(graph))
    assert d["stamp"] == {"sec": -1, "nanosec": 999_999_999}
    assert decode_graph(encode_graph(graph)).stamp_ns == -1


def test_numpy_scalars_and_box_arrays_encode_as_plain_numbers() -> None:
    graph = SceneGraph(
        stamp_ns=np.int64(5),
        frame_index=np.uint64(2),
        objects=[
            ObjectNode(id=np.uint64(U64_MAX), label="a", box=np.array([1, 2, 3, 4], np.float32), score=np.float32(0.5))
        ],
    )
    decoded = decode_graph(encode_graph(graph))
    assert decoded.objects[0].id == U64_MAX
    assert decoded.objects[0].box == (1.0, 2.0, 3.0, 4.0)
    assert decoded.objects[0].score == 0.5
    assert decoded.frame_index == 2


# ------------------------------------------------------------------ the contract, built by hand


def test_hand_built_payload_with_defaults_ints_for_floats_and_unknown_keys() -> None:
    """What a JS/C++ client may legally send: minimal keys, integer numbers, runs-form mask, extras."""
    payload = msgpack.packb(
        {
            "schema_version": 1,
            "stamp": {"sec": 1_700_000_000, "nanosec": 500_000_000, "clock": "ros"},
            "frame_index": 9,
            "from_the_future": [1, {"x": 2}],
            "objects": [
                {"id": U64_MAX, "label": "cup", "box": [200, 100, 204, 150], "extra": 1},
                {
                    "id": 3,
                    "label": "person",
                    "box": [0.5, 1, 2, 3],
                    "score": 1,
                    "state": 0,
                    "class_id": 4,
                    "mask": {"size": [480, 640], "counts": [96100, 50, 430, 50, 430, 50, 430, 50, 209610]},
                    "attributes": {"pose": "standing"},
                },
            ],
            "relations": [{"subject_id": 3, "object_id": U64_MAX, "predicate": "holding", "age_frames": 2}],
        },
        use_bin_type=True,
    )
    g = decode_graph(payload)
    assert g.stamp_ns == 1_700_000_000_500_000_000
    assert (g.frame_index, g.sequence, g.source_id, g.frame_id, g.model_id) == (9, 0, "camera", "camera", "")
    assert g.latency_ms == {}
    cup, person = g.objects
    assert cup == ObjectNode(
        id=U64_MAX,
        label="cup",
        box=(200.0, 100.0, 204.0, 150.0),
        class_id=-1,
        score=1.0,
        state=TrackState.TRACKED,
        mask=None,
        attributes={},
    )
    assert all(type(v) is float for v in cup.box)
    assert person.state is TrackState.NEW and person.class_id == 4 and type(person.score) is float
    assert person.attributes == {"pose": "standing"}
    pixels = person.mask.to_array()
    expected = np.zeros((480, 640), dtype=bool)
    expected[100:150, 200:204] = True
    np.testing.assert_array_equal(pixels, expected)
    (rel,) = g.relations
    assert rel == Relation(
        subject_id=3,
        object_id=U64_MAX,
        predicate="holding",
        predicate_id=-1,
        group="",
        score=1.0,
        affinity=1.0,
        age_frames=2,
        age_sec=0.0,
    )


def _doc_json_example() -> dict:
    match = re.search(r"## 10\. Worked example.*?```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, "docs/wire-format.md lost its worked JSON example"
    return json.loads(match.group(1))


def test_doc_worked_example_decodes_from_json_and_msgpack() -> None:
    example = _doc_json_example()
    for g in (graph_from_dict(example), decode_graph(msgpack.packb(example, use_bin_type=True))):
        assert g.stamp_ns == 1_700_000_000_500_000_000
        assert (g.source_id, g.frame_id, g.frame_index, g.sequence, g.model_id) == (
            "cam1",
            "camera_optical",
            4242,
            4240,
            "pals-ag",
        )
        person, cup = g.objects
        assert person.mask is None and person.box == (120.5, 40.0, 380.25, 470.0)
        assert cup.id == U64_MAX and cup.state is TrackState.NEW
        pixels = cup.mask.to_array()
        assert pixels.shape == (480, 640) and pixels.sum() == 200
        assert pixels[100:150, 200:204].all()
        assert g.triplets() == [("person", "holding", "cup/glass/bottle")]
        assert g.latency_ms == {"track": 12.5, "predict": 31.0}


def test_doc_example_mask_uses_the_string_pycocotools_produces() -> None:
    counts = _doc_json_example()["objects"][1]["mask"]["counts"]
    pixels = np.zeros((480, 640), dtype=bool)
    pixels[100:150, 200:204] = True
    assert Mask.from_array(pixels).counts == counts


def _doc_rle_runs(s: str) -> list[int]:
    """The compressed-string decoder exactly as docs/wire-format.md §5 describes it."""
    runs: list[int] = []
    p = 0
    while p < len(s):
        x = 0
        k = 0
        more = True
        while more:
            c = ord(s[p]) - 48
            p += 1
            x |= (c & 0x1F) << (5 * k)
            k += 1
            more = bool(c & 0x20)
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[len(runs) - 2]
        runs.append(x)
    return runs


def _column_major_runs(pixels: np.ndarray) -> list[int]:
    """Runs counted plainly: alternate 0/1 down the columns, starting with a (maybe empty) zero run."""
    runs = [0]
    current = 0
    for value in pixels.flatten(order="F"):
        if int(value) != current:
            runs.append(0)
            current = int(value)
        runs[-1] += 1
    return runs


@settings(max_examples=80, deadline=None)
@given(masks(max_side=20))
def test_doc_rle_algorithm_decodes_pycocotools_strings(mask: Mask) -> None:
    assert _doc_rle_runs(mask.counts) == _column_major_runs(mask.to_array())


def test_doc_rle_worked_example() -> None:
    assert _doc_rle_runs("Tkm2b1^=00000lX\\6") == [96100, 50, 430, 50, 430, 50, 430, 50, 209610]
    assert _doc_rle_runs("Tkm2")[0] == 4 + 27 * 32 + 29 * 32**2 + 2 * 32**3


def test_mask_counts_as_bin_bytes_are_accepted() -> None:
    d = graph_to_dict(small_graph())
    d["objects"][0]["mask"] = {"size": [480, 640], "counts": b"Tkm2b1^=00000lX\\6"}
    assert decode_graph(msgpack.packb(d, use_bin_type=True)).objects[0].mask.to_array().sum() == 200


# ------------------------------------------------------------------------------- bad payloads


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_wire_format_error(data: bytes) -> None:
    with pytest.raises(WireFormatError):
        decode_graph(data)


def test_every_truncation_of_a_payload_is_reported() -> None:
    payload = encode_graph(small_graph())
    for cut in range(len(payload)):
        with pytest.raises(WireFormatError):
            decode_graph(payload[:cut])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupted_payload_decodes_or_raises_wire_format_error_only(data: st.DataObject) -> None:
    payload = bytearray(encode_graph(small_graph()))
    for _ in range(data.draw(st.integers(1, 4))):
        payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(WireFormatError):
        assert isinstance(decode_graph(bytes(payload)), SceneGraph)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=5)
    | st.binary(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path inside a decoded payload."""
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    out = []
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_value_anywhere_decodes_or_raises_wire_format_error_only(data: st.DataObject) -> None:
    graph = small_graph()
    graph.objects[0].mask = Mask.from_array(np.eye(3, dtype=bool))
    d = msgpack.unpackb(encode_graph(graph), raw=False)
    path = data.draw(st.sampled_from(_paths(d)))
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(_json_values)
    with contextlib.suppress(WireFormatError):
        assert isinstance(graph_from_dict(d), SceneGraph)


def _payload_with(**changes: object) -> bytes:
    d = graph_to_dict(small_graph())
    for path, value in changes.items():
        target = d
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is KeyError:
            del target[leaf]
        else:
            target[leaf] = value
    return msgpack.packb(d, use_bin_type=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"schema_version": 2}, "schema_version 2 is newer than this decoder supports (1)"),
        ({"schema_version": KeyError}, "missing schema_version"),
        ({"schema_version": "1"}, "graph.schema_version: expected an integer"),
        ({"schema_version": 0}, "schema_version 0 is not a valid version"),
        ({"stamp": 1_700_000_000}, "graph.stamp: expected a map"),
        ({"stamp__nanosec": 1_000_000_000}, "graph.stamp.nanosec"),
        ({"frame_index": KeyError}, "missing required key 'frame_index'"),
        ({"frame_index": -1}, "graph.frame_index: expected a uint64"),
        ({"source_id": 5}, "graph.source_id: expected a string, got integer 5"),
        ({"objects": {}}, "graph.objects: expected an array"),
        ({"objects__1__box": "1,2,3,4"}, "graph.objects[1].box: expected an array of 4 numbers"),
        ({"objects__1__box": [1, 2, 3]}, "graph.objects[1].box"),
        ({"objects__0__box": [1, 2, "3", 4]}, "graph.objects[0].box[2]: expected a number, got string"),
        ({"objects__1__label": KeyError}, "graph.objects[1]: missing required key 'label'"),
        ({"objects__0__id": -3}, "graph.objects[0].id: expected a uint64"),
        ({"objects__0__score": "0.9"}, "graph.objects[0].score: expected a number"),
        ({"objects__0__score": True}, "graph.objects[0].score: expected a number, got boolean"),
        ({"objects__0__state": 3}, "graph.objects[0].state: expected one of [0, 1, 2]"),
        ({"objects__1__attributes": {"n": 1}}, "graph.objects[1].attributes"),
        ({"objects__0__mask": {"size": [2], "counts": "0"}}, "graph.objects[0].mask.size"),
        ({"objects__0__mask": {"size": [2, 2], "counts": "a b"}}, "graph.objects[0].mask.counts"),
        ({"objects__0__mask": {"size": [2, 2], "counts": [1, 2]}}, "RLE runs sum to 3, expected 2x2=4"),
        ({"relations__0__subject_id": "1"}, "graph.relations[0].subject_id"),
        ({"relations__0__age_frames": -1}, "graph.relations[0].age_frames"),
        ({"latency": {"track": "fast"}}, "graph.latency['track']: expected a number"),
    ],
)
def test_invalid_fields_are_named(changes: dict, message: str) -> None:
    with pytest.raises(WireFormatError, match=re.escape(message)):
        decode_graph(_payload_with(**changes))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "not valid msgpack"),
        (b"\xc1", "not valid msgpack (FormatError"),
        (msgpack.packb([1, 2]), "graph: expected a map at the top level, got array"),
        (msgpack.packb({1: 2}), "not valid msgpack"),
        (msgpack.packb({"schema_version": 1, "frame_index": 0}), "graph: missing required key 'stamp'"),
        (encode_graph(small_graph()) + b"\x00", "not valid msgpack (ExtraData"),
    ],
)
def test_non_graph_payloads_are_named(payload: bytes, message: str) -> None:
    with pytest.raises(WireFormatError, match=re.escape(message)):
        decode_graph(payload)


def test_item_that_is_not_a_map_is_named() -> None:
    d = graph_to_dict(small_graph())
    d["relations"] = ["holding"]
    with pytest.raises(WireFormatError, match=re.escape("graph.relations[0]: expected a map, got string")):
        graph_from_dict(d)


def test_wire_format_error_is_a_value_error() -> None:
    assert issubclass(WireFormatError, ValueError)


# ------------------------------------------------------------------------------------- arrays

_wire_dtypes = st.sampled_from(["|b1", "|u1", "|i1", "<u2", "<i2", "<i4", "<u8", "<i8", "<f2", "<f4", "<f8"])


@settings(max_examples=80, deadline=None)
@given(_wire_dtypes.flatmap(lambda dt: hnp.arrays(np.dtype(dt), hnp.array_shapes(min_dims=0, min_side=0))))
def test_array_round_trip_through_msgpack(array: np.ndarray) -> None:
    obj = msgpack.unpackb(msgpack.packb(encode_array(array), use_bin_type=True), raw=False)
    out = decode_array(obj)
    assert out.dtype == array.dtype and out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_hand_built_array_map() -> None:
    obj = {"dtype": "<f4", "shape": [2, 3], "data": struct.pack("<6f", 1, 2, 3, 4, 5, 6.5)}
    out = decode_array(msgpack.unpackb(msgpack.packb(obj, use_bin_type=True)))
    np.testing.assert_array_equal(out, np.array([[1, 2, 3], [4, 5, 6.5]], dtype=np.float32))
    assert not out.flags.writeable
    assert decode_array(obj, copy=True).flags.writeable


def test_array_encoding_is_little_endian_c_order() -> None:
    big = np.array([[1, 2], [3, 4]], dtype=">i4").T
    obj = encode_array(big)
    assert obj["dtype"] == "<i4" and obj["shape"] == [2, 2]
    assert obj["data"] == struct.pack("<4i", 1, 3, 2, 4)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], "expected a map"),
        ({"dtype": "<f4", "shape": [2]}, "missing key(s) ['data']"),
        ({"dtype": "<f4", "shape": [2], "data": b"\x00" * 7}, "holds 7 bytes, but shape [2] of <f4 needs 8"),
        ({"dtype": "|O", "shape": [1], "data": b"\x00" * 8}, "not a plain bool/int/uint/float"),
        ({"dtype": "<U2", "shape": [1], "data": b"\x00" * 8}, "not a plain bool/int/uint/float"),
        ({"dtype": "float32x", "shape": [1], "data": b"\x00" * 4}, "not a numpy dtype string"),
        ({"dtype": "<f4", "shape": [-1], "data": b""}, "array.shape"),
        ({"dtype": "<f4", "shape": [1], "data": "abcd"}, "array.data: expected binary"),
    ],
)
def test_bad_arrays_are_named(obj: object, message: str) -> None:
    with pytest.raises(WireFormatError, match=re.escape(message)):
        decode_array(obj)


def test_object_arrays_are_refused_on_encode() -> None:
    with pytest.raises(WireFormatError, match="not a plain"):
        encode_array(np.array(["a"], dtype=object))


# --------------------------------------------------------------------------- topics & framing


def test_topics_are_terminated_so_prefixes_do_not_collide() -> None:
    assert graph_topic("cam1") == b"vsgg/graph/cam1/"
    assert image_topic("cam1") == b"vsgg/image/cam1/"
    assert not graph_topic("cam10").startswith(graph_topic("cam1"))
    assert graph_topic("robot1/front").startswith(graph_topic("robot1"))
    assert graph_topic("kamera-ü") == "vsgg/graph/kamera-ü/".encode()


@pytest.mark.parametrize("bad", ["", "cam1/", "a\x00b"])
def test_unroutable_source_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="source_id"):
        graph_topic(bad)


def test_pack_message_is_topic_then_payload() -> None:
    graph = small_graph("cam7")
    topic, payload = pack_message(graph)
    assert topic == b"vsgg/graph/cam7/"
    assert decode_graph(payload) == graph


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1).filter(lambda s: "\x00" not in s and not s.endswith("/")), st.binary())
def test_single_frame_split_inverts_join(source_id: str, payload: bytes) -> None:
    topic = graph_topic(source_id)
    assert split_single_frame(join_single_frame(topic, payload)) == (topic, payload)
    assert split_message([join_single_frame(topic, payload)]) == (topic, payload)
    assert split_message([topic, payload]) == (topic, payload)


def test_single_frame_layout_is_topic_nul_payload() -> None:
    graph = small_graph()
    frame = pack_single_frame(graph)
    assert frame == b"vsgg/graph/cam1/\x00" + encode_graph(graph)


def test_framing_errors() -> None:
    with pytest.raises(WireFormatError, match="no NUL separator"):
        split_single_frame(b"vsgg/graph/cam1/")
    with pytest.raises(WireFormatError, match="got 3 frames"):
        split_message([b"a", b"b", b"c"])
    with pytest.raises(ValueError, match="separator"):
        join_single_frame(b"a\x00b", b"")


@pytest.fixture
def zmq_context() -> Iterator[zmq.Context]:
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def _socket(ctx: zmq.Context, kind: int, **options: int) -> zmq.Socket:
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    for name, value in options.items():
        sock.setsockopt(getattr(zmq, name), value)
    return sock


def test_pub_sub_cam1_subscriber_never_receives_cam10(zmq_context: zmq.Context) -> None:
    pub = _socket(zmq_context, zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    exact = _socket(zmq_context, zmq.SUB)
    exact.setsockopt(zmq.SUBSCRIBE, graph_topic("cam1"))
    naive = _socket(zmq_context, zmq.SUB)
    naive.setsockopt(zmq.SUBSCRIBE, b"vsgg/graph/cam1")  # what an unterminated topic scheme would do
    for sub in (exact, naive):
        sub.connect(f"tcp://127.0.0.1:{port}")
    poller = zmq.Poller()
    poller.register(exact, zmq.POLLIN)
    poller.register(naive, zmq.POLLIN)
    received: dict[zmq.Socket, list[tuple[bytes, SceneGraph]]] = {exact: [], naive: []}
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and (
        len(received[exact]) < 3 or not any(g.source_id == "cam10" for _, g in received[naive])
    ):
        pub.send_multipart(pack_message(small_graph("cam10")))
        pub.send_multipart(pack_message(small_graph("cam1")))
        for sock, _ in poller.poll(20):
            while sock.poll(0):
                topic, payload = sock.recv_multipart()
                received[sock].append((topic, decode_graph(payload)))
    assert len(received[exact]) >= 3, "subscriber never got its messages within 10 s"
    assert {(t, g.source_id) for t, g in received[exact]} == {(b"vsgg/graph/cam1/", "cam1")}
    assert any(g.source_id == "cam10" for _, g in received[naive]), "the unterminated prefix should leak"


def test_conflate_single_frame_keeps_only_the_latest(zmq_context: zmq.Context) -> None:
    pub = _socket(zmq_context, zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub = _socket(zmq_context, zmq.SUB, CONFLATE=1)
    sub.setsockopt(zmq.SUBSCRIBE, graph_topic("cam1"))
    sub.connect(f"tcp://127.0.0.1:{port}")
    deadline = time.monotonic() + 10.0
    while not sub.poll(20):  # slow joiner: probe until the subscription has reached the PUB
        assert time.monotonic() < deadline, "subscription never propagated"
        pub.send(pack_single_frame(small_graph(sequence=0)))
    while sub.poll(200):
        sub.recv()
    burst = 200
    for seq in range(1, burst + 1):
        pub.send(pack_single_frame(small_graph(sequence=seq)))
    time.sleep(0.3)
    seen: list[int] = []
    while (not seen or seen[-1] != burst) and time.monotonic() < deadline:
        if sub.poll(100):
            topic, payload = split_message([sub.recv()])
            assert topic == graph_topic("cam1")
            seen.append(decode_graph(payload).sequence)
    assert seen and seen[-1] == burst
    assert len(seen) <= 3, f"CONFLATE should keep only the newest message, got {len(seen)}: {seen[:10]}"


# ------------------------------------------------------------------------------ image messages


def _frame(image: np.ndarray) -> Frame:
    return Frame(index=41, stamp_ns=1_700_000_000_000_000_123, image=image, frame_id="optical", source_id="cam2")


def _assert_same_meta(frame: Frame) -> None:
    assert (frame.index, frame.stamp_ns, frame.frame_id, frame.source_id) == (
        41,
        1_700_000_000_000_000_123,
        "optical",
        "cam2",
    )


def _rgb(h: int = 6, w: int = 5) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "png"])
def test_lossless_image_round_trips(encoding: str) -> None:
    image = _rgb()
    frame = decode_image_message(encode_image_message(_frame(image), encoding))
    _assert_same_meta(frame)
    np.testing.assert_array_equal(frame.image, image)
    assert frame.image.flags.writeable and frame.image.flags.c_contiguous


def test_mono8_round_trip_of_a_gray_image() -> None:
    gray = np.random.default_rng(1).integers(0, 256, size=(4, 7), dtype=np.uint8)
    image = np.repeat(gray[:, :, None], 3, axis=2)
    msg = msgpack.unpackb(encode_image_message(_frame(image), "mono8"))
    assert msg["image"]["shape"] == [4, 7] and msg["image"]["dtype"] == "|u1"
    np.testing.assert_array_equal(decode_image_message(encode_image_message(_frame(image), "mono8")).image, image)


def test_jpeg_round_trip_is_close() -> None:
    image = np.full((32, 48, 3), (200, 30, 90), dtype=np.uint8)
    frame = decode_image_message(encode_image_message(_frame(image), "jpeg", jpeg_quality=95))
    assert frame.image.shape == image.shape
    assert np.abs(frame.image.astype(int) - image).max() <= 8


def test_hand_built_image_messages() -> None:
    """bgr8 as an array map and a JPEG made by OpenCV directly, as another app would send them."""
    bgr = np.zeros((2, 3, 3), dtype=np.uint8)
    bgr[..., 0] = 255  # pure blue in BGR order
    raw = {
        "schema_version": 1,
        "stamp": {"sec": 10, "nanosec": 20},
        "index": 5,
        "encoding": "bgr8",
        "image": {"dtype": "|u1", "shape": [2, 3, 3], "data": bgr.tobytes()},
    }
    frame = decode_image_message(msgpack.packb(raw, use_bin_type=True))
    assert frame.stamp_ns == 10_000_000_020 and frame.index == 5 and frame.source_id == "camera"
    assert (frame.image[..., 2] == 255).all() and (frame.image[..., :2] == 0).all()
    ok, png = cv2.imencode(".png", bgr)
    assert ok
    compressed = raw | {"encoding": "png", "image": png.tobytes()}
    np.testing.assert_array_equal(decode_image_message(msgpack.packb(compressed)).image, frame.image)


def test_pack_image_message_uses_the_image_topic() -> None:
    topic, payload = pack_image_message(_frame(_rgb()))
    assert topic == b"vsgg/image/cam2/"
    assert msgpack.unpackb(payload)["encoding"] == "rgb8"


def _image_payload(**changes: object) -> bytes:
    d = msgpack.unpackb(encode_image_message(_frame(_rgb(2, 2))), raw=False)
    d.update(changes)
    return msgpack.packb(d, use_bin_type=True)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x93", "image message payload is not valid msgpack"),
        (_image_payload(encoding="yuv422"), "image message.encoding: expected one of"),
        (_image_payload(schema_version=7), "schema_version 7 is newer"),
        (_image_payload(index=None), "image message.index"),
        (_image_payload(image={"dtype": "<f4", "shape": [1, 1, 3], "data": b"\x00" * 12}), "needs non-empty uint8"),
        (_image_payload(image={"dtype": "|u1", "shape": [2, 2], "data": b"\x00" * 4}), "[h, w, 3]"),
        (_image_payload(image={"dtype": "|u1", "shape": [2, 2, 3], "data": b"\x00"}), "holds 1 bytes"),
        (_image_payload(image={"dtype": "|u1", "shape": [0, 2, 3], "data": b""}), "needs non-empty uint8"),
        (_image_payload(encoding="jpeg", image=b"not a jpeg"), "do not decode as a jpeg image"),
        (_image_payload(encoding="png", image="text"), "png file bytes"),
    ],
)
def test_bad_image_messages_are_named(payload: bytes, message: str) -> None:
    with pytest.raises(WireFormatError, match=re.escape(message)):
        decode_image_message(payload)


def test_image_encoder_checks_its_input() -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8 RGB"):
        encode_image_message(_frame(np.zeros((2, 2), dtype=np.uint8)))
    with pytest.raises(ValueError, match="unknown image encoding"):
        encode_image_message(_frame(_rgb()), "yuv422")
