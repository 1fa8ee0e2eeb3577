"""msgpack wire format v1: the ZeroMQ contract between vsgg and apps written in any language.

``docs/wire-format.md`` is the specification; this module is its reference implementation.
Graphs travel as msgpack maps with string keys named like the ROS message fields, so a JSON line,
a msgpack payload and a ROS message carry the same structure. The dict layout here is shared
with :mod:`vsgg_ros.codec.jsoncodec`.

Decoding is strict about types (a non-Python client's mistake is reported where it happens, not
three stages later) but lenient about evolution: unknown keys are ignored, optional keys get
defaults, and only a newer ``schema_version`` is refused. Every failure is a
:class:`WireFormatError` naming the offending key, because the ZeroMQ input counts and skips
bad messages instead of crashing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgpack
import numpy as np

from vsgg_ros.codec.arrays import WireFormatError, decode_array, encode_array
from vsgg_ros.codec.rle import from_uncompressed
from vsgg_ros.graph import Frame, Mask, ObjectNode, Relation, SceneGraph, TrackState

__all__ = [
    "FRAME_SEPARATOR",
    "GRAPH_TOPIC_PREFIX",
    "IMAGE_ENCODINGS",
    "IMAGE_TOPIC_PREFIX",
    "SCHEMA_VERSION",
    "TOPIC_TERMINATOR",
    "WireFormatError",
    "decode_array",
    "decode_graph",
    "decode_image_message",
    "encode_array",
    "encode_graph",
    "encode_image_message",
    "graph_from_dict",
    "graph_to_dict",
    "graph_topic",
    "image_topic",
    "join_single_frame",
    "pack_image_message",
    "pack_message",
    "pack_single_frame",
    "split_message",
    "split_single_frame",
]

SCHEMA_VERSION = 1
GRAPH_TOPIC_PREFIX = b"vsgg/graph/"
IMAGE_TOPIC_PREFIX = b"vsgg/image/"
# Ends every topic, so the SUB prefix match of "vsgg/graph/cam1/" cannot match "vsgg/graph/cam10/".
TOPIC_TERMINATOR = b"/"
# Joins topic and payload in single-frame (CONFLATE) mode; topics never contain it.
FRAME_SEPARATOR = b"\x00"
RAW_IMAGE_ENCODINGS = ("rgb8", "bgr8", "mono8")
COMPRESSED_IMAGE_ENCODINGS = ("jpeg", "png")
IMAGE_ENCODINGS = RAW_IMAGE_ENCODINGS + COMPRESSED_IMAGE_ENCODINGS

_NS_PER_SEC = 1_000_000_000
_U64_MAX = 2**64 - 1
_U32_MAX = 2**32 - 1
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1
_STATES = {int(state): state for state in TrackState}
_REQUIRED: Any = object()
# pycocotools writes each 5-bit group of a run length as chr(48 + value), value in 0..63.
_RLE_STRING = re.compile(r"[0-o]*")
_T = TypeVar("_T")

# ---------------------------------------------------------------------------------------------
# SceneGraph <-> dict (the layout shared by msgpack and JSON)


def graph_to_dict(graph: SceneGraph) -> dict[str, Any]:
    """The wire map of a graph (``schema_version`` first). Shares, not copies, attribute/latency dicts."""
    sec, nanosec = divmod(graph.stamp_ns, _NS_PER_SEC)
    return {
        "schema_version": SCHEMA_VERSION,
        "stamp": {"sec": sec, "nanosec": nanosec},
        "source_id": graph.source_id,
        "frame_id": graph.frame_id,
        "frame_index": graph.frame_index,
        "sequence_number": graph.sequence,
        "model_id": graph.model_id,
        "objects": [
            {
                "id": o.id,
                "label": o.label,
                "class_id": o.class_id,
                "score": o.score,
                "box": tuple(o.box),
                "state": int(o.state),
                "mask": None if o.mask is None else _mask_to_dict(o.mask),
                "attributes": o.attributes,
            }
            for o in graph.objects
        ],
        "relations": [
            {
                "subject_id": r.subject_id,
                "object_id": r.object_id,
                "predicate": r.predicate,
                "predicate_id": r.predicate_id,
                "group": r.group,
                "score": r.score,
                "affinity": r.affinity,
                "age_frames": r.age_frames,
                "age_sec": r.age_sec,
            }
            for r in graph.relations
        ],
        "latency": graph.latency_ms,
    }


def _mask_to_dict(mask: Mask) -> dict[str, Any]:
    return {"size": [mask.height, mask.width], "counts": mask.counts}


def graph_from_dict(d: Any) -> SceneGraph:
    """Inverse of :func:`graph_to_dict`; validates types and raises :class:`WireFormatError`."""
    if type(d) is not dict:
        raise WireFormatError(f"graph: expected a map at the top level, got {_describe(d)}")
    _check_schema(d, "graph")
    return SceneGraph(
        stamp_ns=_stamp(d, "graph"),
        frame_index=_uint(d, "frame_index", _REQUIRED, "graph"),
        frame_id=_string(d, "frame_id", "camera", "graph"),
        source_id=_string(d, "source_id", "camera", "graph"),
        sequence=_uint(d, "sequence_number", 0, "graph"),
        model_id=_string(d, "model_id", "", "graph"),
        objects=_convert_list(d.get("objects", []), _object_from_dict, "graph.objects"),
        relations=_convert_list(d.get("relations", []), _relation_from_dict, "graph.relations"),
        latency_ms=_latency(d.get("latency")),
    )


def _object_from_dict(d: dict[str, Any]) -> ObjectNode:
    oid, label, box = d["id"], d["label"], d["box"]
    class_id = d.get("class_id", -1)
    score = d.get("score", 1.0)
    state = d.get("state", 1)
    mask = d.get("mask")
    attributes = d.get("attributes")
    if type(oid) is not int or not 0 <= oid <= _U64_MAX:
        raise _bad("id", "a uint64", oid)
    if type(label) is not str:
        raise _bad("label", "a string", label)
    if (type(box) is not list and type(box) is not tuple) or len(box) != 4:
        raise _bad("box", "an array of 4 numbers [x1, y1, x2, y2]", box)
    x1, y1, x2, y2 = box
    if type(x1) is float and type(y1) is float and type(x2) is float and type(y2) is float:
        box = (x1, y1, x2, y2)
    else:
        box = (_real(x1, "box[0]"), _real(y1, "box[1]"), _real(x2, "box[2]"), _real(y2, "box[3]"))
    if type(class_id) is not int or not _I32_MIN <= class_id <= _I32_MAX:
        raise _bad("class_id", "an int32", class_id)
    if type(score) is not float:
        score = _real(score, "score")
    track_state = _STATES.get(state) if type(state) is int else None
    if track_state is None:
        raise _bad("state", f"one of {sorted(_STATES)}", state)
    if mask is not None:
        mask = _mask_from_dict(mask)
    if attributes is None:
        attributes = {}
    elif type(attributes) is not dict or not all(type(k) is str and type(v) is str for k, v in attributes.items()):
        raise _bad("attributes", "a map of string to string", attributes)
    # Positional construction (field order of graph.ObjectNode) is measurably faster than keywords.
    return ObjectNode(oid, label, box, class_id, score, track_state, mask, attributes)


def _relation_from_dict(d: dict[str, Any]) -> Relation:
    subject_id, object_id, predicate = d["subject_id"], d["object_id"], d["predicate"]
    predicate_id = d.get("predicate_id", -1)
    group = d.get("group", "")
    score = d.get("score", 1.0)
    affinity = d.get("affinity", 1.0)
    age_frames = d.get("age_frames", 0)
    age_sec = d.get("age_sec", 0.0)
    if type(subject_id) is not int or not 0 <= subject_id <= _U64_MAX:
        raise _bad("subject_id", "a uint64", subject_id)
    if type(object_id) is not int or not 0 <= object_id <= _U64_MAX:
        raise _bad("object_id", "a uint64", object_id)
    if type(predicate) is not str:
        raise _bad("predicate", "a string", predicate)
    if type(predicate_id) is not int or not _I32_MIN <= predicate_id <= _I32_MAX:
        raise _bad("predicate_id", "an int32", predicate_id)
    if type(group) is not str:
        raise _bad("group", "a string", group)
    if type(score) is not float:
        score = _real(score, "score")
    if type(affinity) is not float:
        affinity = _real(affinity, "affinity")
    if type(age_frames) is not int or not 0 <= age_frames <= _U32_MAX:
        raise _bad("age_frames", "a uint32", age_frames)
    if type(age_sec) is not float:
        age_sec = _real(age_sec, "age_sec")
    return Relation(subject_id, object_id, predicate, predicate_id, group, score, affinity, age_frames, age_sec)


def _mask_from_dict(m: Any) -> Mask:
    """COCO RLE: compressed ``counts`` string (or its bytes), or the uncompressed list of runs."""
    if type(m) is not dict:
        raise _bad("mask", "a map {size, counts} or nil", m)
    size, counts = m.get("size"), m.get("counts")
    if (
        (type(size) is not list and type(size) is not tuple)
        or len(size) != 2
        or not all(type(n) is int and 0 <= n <= _I32_MAX for n in size)
    ):
        raise _bad("mask.size", "[height, width] as non-negative int32s", size)
    height, width = size
    if type(counts) is bytes:
        try:
            counts = counts.decode("ascii")
        except UnicodeDecodeError:
            raise _bad("mask.counts", "an ASCII COCO RLE string", counts) from None
    if type(counts) is str:
        if _RLE_STRING.fullmatch(counts) is None:
            raise _bad("mask.counts", "a COCO RLE string (characters '0'..'o')", counts)
        return Mask(height, width, counts)
    if type(counts) is list and all(type(n) is int and 0 <= n <= _U32_MAX for n in counts):
        try:
            return from_uncompressed(height, width, counts)
        except (ValueError, OverflowError) as exc:
            raise WireFormatError(f"mask.counts: {exc}") from None
    raise _bad("mask.counts", "a COCO RLE string or a list of uint32 run lengths", counts)


def _latency(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _bad("graph.latency", "a map of stage name to milliseconds", value)
    out: dict[str, float] = {}
    for stage, ms in value.items():
        if type(stage) is not str:
            raise _bad("graph.latency", "string stage names", stage)
        out[stage] = ms if type(ms) is float else _real(ms, f"graph.latency[{stage!r}]")
    return out


def _convert_list(items: Any, convert: Callable[[dict[str, Any]], _T], where: str) -> list[_T]:
    """Convert every map of an array; on failure, name the index (found as ``len(out)``)."""
    if type(items) is not list:
        raise _bad(where, "an array", items)
    out: list[_T] = []
    append = out.append
    try:
        for item in items:
            append(convert(item))
    except WireFormatError as exc:
        raise WireFormatError(f"{where}[{len(out)}].{exc}") from None
    except KeyError as exc:
        raise WireFormatError(f"{where}[{len(out)}]: missing required key {exc.args[0]!r}") from None
    except (TypeError, AttributeError) as exc:
        item = items[len(out)]
        if type(item) is dict:
            raise WireFormatError(f"{where}[{len(out)}]: {exc}") from None
        raise _bad(f"{where}[{len(out)}]", "a map", item) from None
    return out


# ---------------------------------------------------------------------------------------------
# Field helpers


def _stamp(d: dict[str, Any], what: str) -> int:
    """``{"sec": int, "nanosec": 0..999999999}`` (ROS builtin_interfaces/Time) -> integer nanoseconds."""
    if "stamp" not in d:
        raise WireFormatError(f"{what}: missing required key 'stamp'")
    stamp = d["stamp"]
    if type(stamp) is not dict:
        raise _bad(f"{what}.stamp", "a map {sec, nanosec}", stamp)
    sec, nanosec = stamp.get("sec"), stamp.get("nanosec")
    if type(sec) is not int:
        raise _bad(f"{what}.stamp.sec", "an integer", sec)
    if type(nanosec) is not int or not 0 <= nanosec < _NS_PER_SEC:
        raise _bad(f"{what}.stamp.nanosec", "an integer in [0, 999999999]", nanosec)
    return sec * _NS_PER_SEC + nanosec


def _check_schema(d: dict[str, Any], what: str) -> None:
    version = d.get("schema_version")
    if version is None:
        raise WireFormatError(f"{what}: missing schema_version (wire format v{SCHEMA_VERSION} requires it)")
    if type(version) is not int:
        raise _bad(f"{what}.schema_version", "an integer", version)
    if version > SCHEMA_VERSION:
        raise WireFormatError(
            f"{what}: schema_version {version} is newer than this decoder supports ({SCHEMA_VERSION}); upgrade vsgg_ros"
        )
    if version < 1:
        raise WireFormatError(f"{what}: schema_version {version} is not a valid version (first is 1)")


def _uint(d: dict[str, Any], key: str, default: Any, what: str) -> int:
    value = d.get(key, default)
    if value is _REQUIRED:
        raise WireFormatError(f"{what}: missing required key {key!r}")
    if type(value) is not int or not 0 <= value <= _U64_MAX:
        raise _bad(f"{what}.{key}", "a uint64", value)
    return value


def _string(d: dict[str, Any], key: str, default: str, what: str) -> str:
    value = d.get(key, default)
    if type(value) is not str:
        raise _bad(f"{what}.{key}", "a string", value)
    return value


def _real(value: Any, field: str) -> float:
    """msgpack/JSON ints are accepted where floats are expected (JS encoders send 1.0 as 1)."""
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            raise _bad(field, "a number within float64 range", value) from None
    raise _bad(field, "a number", value)


def _bad(field: str, expected: str, value: Any) -> WireFormatError:
    return WireFormatError(f"{field}: expected {expected}, got {_describe(value)}")


def _describe(value: Any) -> str:
    """A value as a client would see it: its msgpack/JSON kind and a short repr."""
    kinds = {
        type(None): "nil",
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        bytes: "binary",
        list: "array",
        tuple: "array",
        dict: "map",
    }
    if value is None:
        return "nil"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kinds.get(type(value), type(value).__name__)} {text}"


# ---------------------------------------------------------------------------------------------
# msgpack payloads


def encode_graph(graph: SceneGraph) -> bytes:
    """One msgpack payload (wire format v1)."""
    return _pack(graph_to_dict(graph), "graph")


def decode_graph(payload: bytes | bytearray | memoryview) -> SceneGraph:
    """Inverse of :func:`encode_graph`; garbage raises :class:`WireFormatError`, never a msgpack error."""
    return graph_from_dict(_unpack(payload, "graph"))


def _pack(obj: dict[str, Any], what: str) -> bytes:
    try:
        return msgpack.packb(obj, use_bin_type=True, default=_msgpack_default)
    except (TypeError, ValueError, OverflowError) as exc:
        raise WireFormatError(f"{what} cannot be encoded as wire format v{SCHEMA_VERSION}: {exc}") from exc


def _msgpack_default(obj: Any) -> Any:
    """Called by msgpack only for types it does not know: numpy scalars and arrays."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return encode_array(obj)
    raise TypeError(f"cannot encode a value of type {type(obj).__name__}")


def _unpack(payload: Any, what: str) -> Any:
    try:
        return msgpack.unpackb(payload, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException, RecursionError) as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise WireFormatError(f"{what} payload is not valid msgpack ({detail})") from None


# ---------------------------------------------------------------------------------------------
# Topics and framing


def graph_topic(source_id: str) -> bytes:
    """``vsgg/graph/<source_id>/``: subscribing to it receives exactly that source (and its sub-ids)."""
    return GRAPH_TOPIC_PREFIX + _topic_name(source_id) + TOPIC_TERMINATOR


def image_topic(source_id: str) -> bytes:
    """``vsgg/image/<source_id>/``: the camera-frame input stream of one source."""
    return IMAGE_TOPIC_PREFIX + _topic_name(source_id) + TOPIC_TERMINATOR


def _topic_name(source_id: str) -> bytes:
    if not isinstance(source_id, str) or not source_id:
        raise ValueError(f"source_id must be a non-empty string, got {source_id!r}")
    if "\x00" in source_id or source_id.endswith("/"):
        raise ValueError(f"source_id {source_id!r} must not contain NUL or end with '/'")
    return source_id.encode("utf-8")


def pack_message(graph: SceneGraph) -> list[bytes]:
    """Multipart ``[topic, payload]`` for ``send_multipart`` on a PUB socket."""
    return [graph_topic(graph.source_id), encode_graph(graph)]


def pack_single_frame(graph: SceneGraph) -> bytes:
    """``topic + NUL + payload`` in one frame, for latest-only subscribers (CONFLATE drops multipart)."""
    return join_single_frame(graph_topic(graph.source_id), encode_graph(graph))


def join_single_frame(topic: bytes, payload: bytes) -> bytes:
    if FRAME_SEPARATOR in topic:
        raise ValueError(f"topic {topic!r} contains the frame separator (NUL)")
    return b"".join((topic, FRAME_SEPARATOR, payload))


def split_single_frame(frame: bytes | bytearray | memoryview) -> tuple[bytes, bytes]:
    """Inverse of :func:`join_single_frame`: ``(topic, payload)`` split at the first NUL byte."""
    data = _as_bytes(frame)
    cut = data.find(FRAME_SEPARATOR)
    if cut < 0:
        raise WireFormatError("single-frame message has no NUL separator between topic and payload")
    return data[:cut], data[cut + 1 :]


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    return data if type(data) is bytes else bytes(data)


def split_message(frames: Sequence[bytes | bytearray | memoryview]) -> tuple[bytes, bytes]:
    """``(topic, payload)`` from either framing: multipart ``[topic, payload]`` or one single frame."""
    if len(frames) == 2:
        return _as_bytes(frames[0]), _as_bytes(frames[1])
    if len(frames) == 1:
        return split_single_frame(frames[0])
    raise WireFormatError(f"expected [topic, payload] or one topic+NUL+payload frame, got {len(frames)} frames")


# ---------------------------------------------------------------------------------------------
# Image input stream (another app publishes camera frames for vsgg)


def encode_image_message(frame: Frame, encoding: str = "rgb8", *, jpeg_quality: int = 90) -> bytes:
    """A camera frame (``frame.image`` HxWx3 uint8 RGB) as a wire v1 image message."""
    image = frame.image
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
        raise ValueError(f"frame.image must be an HxWx3 uint8 RGB array, got {_array_summary(image)}")
    body: Any
    if encoding == "rgb8":
        body = encode_array(image)
    elif encoding == "bgr8":
        body = encode_array(image[..., ::-1])
    elif encoding == "mono8":
        import cv2

        body = encode_array(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY))
    elif encoding in COMPRESSED_IMAGE_ENCODINGS:
        body = _compress(image, encoding, jpeg_quality)
    else:
        raise ValueError(f"unknown image encoding {encoding!r}; expected one of {IMAGE_ENCODINGS}")
    sec, nanosec = divmod(frame.stamp_ns, _NS_PER_SEC)
    message = {
        "schema_version": SCHEMA_VERSION,
        "stamp": {"sec": sec, "nanosec": nanosec},
        "source_id": frame.source_id,
        "frame_id": frame.frame_id,
        "index": frame.index,
        "encoding": encoding,
        "image": body,
    }
    return _pack(message, "image message")


def pack_image_message(frame: Frame, encoding: str = "rgb8", *, jpeg_quality: int = 90) -> list[bytes]:
    """Multipart ``[image_topic, payload]`` for a publisher of camera frames."""
    return [image_topic(frame.source_id), encode_image_message(frame, encoding, jpeg_quality=jpeg_quality)]


def decode_image_message(payload: bytes | bytearray | memoryview) -> Frame:
    """A wire v1 image message -> :class:`Frame` with a writable HxWx3 uint8 RGB image."""
    d = _unpack(payload, "image message")
    if type(d) is not dict:
        raise WireFormatError(f"image message: expected a map at the top level, got {_describe(d)}")
    _check_schema(d, "image message")
    encoding = d.get("encoding")
    if encoding not in IMAGE_ENCODINGS:
        raise _bad("image message.encoding", f"one of {list(IMAGE_ENCODINGS)}", encoding)
    if "image" not in d:
        raise WireFormatError("image message: missing required key 'image'")
    raw = encoding in RAW_IMAGE_ENCODINGS
    rgb = _raw_to_rgb(d["image"], encoding) if raw else _decompress(d["image"], encoding)
    return Frame(
        index=_uint(d, "index", _REQUIRED, "image message"),
        stamp_ns=_stamp(d, "image message"),
        image=rgb,
        frame_id=_string(d, "frame_id", "camera", "image message"),
        source_id=_string(d, "source_id", "camera", "image message"),
    )


def _raw_to_rgb(body: Any, encoding: str) -> np.ndarray:
    try:
        array = decode_array(body)
    except WireFormatError as exc:
        raise WireFormatError(f"image message.image: {exc}") from None
    channels = 1 if encoding == "mono8" else 3
    shape_ok = array.ndim == 3 and array.shape[2] == channels
    if encoding == "mono8":
        shape_ok = shape_ok or array.ndim == 2
    if array.dtype != np.uint8 or not shape_ok or array.size == 0:
        raise WireFormatError(
            f"image message.image: {encoding} needs non-empty uint8 of shape "
            f"{'[h, w] or [h, w, 1]' if channels == 1 else '[h, w, 3]'}, got {_array_summary(array)}"
        )
    if encoding == "rgb8":
        return array.copy()
    if encoding == "bgr8":
        return np.ascontiguousarray(array[..., ::-1])
    return np.repeat(array.reshape(array.shape[0], array.shape[1], 1), 3, axis=2)


def _compress(rgb: np.ndarray, encoding: str, jpeg_quality: int) -> bytes:
    from vsgg_ros.io.images import encode_compressed

    return encode_compressed(rgb, encoding, jpeg_quality)


def _decompress(body: Any, encoding: str) -> np.ndarray:
    from vsgg_ros.io.base import BadFrame
    from vsgg_ros.io.images import decode_compressed

    if type(body) is not bytes:
        raise _bad("image message.image", f"{encoding} file bytes (msgpack bin)", body)
    try:
        return decode_compressed(body, encoding)
    except BadFrame:
        raise WireFormatError(f"image message.image: {len(body)} bytes do not decode as a {encoding} image") from None


def _array_summary(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {list(value.shape)}"
    return type(value).__name__
