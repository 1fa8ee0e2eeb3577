"""Building ROS messages the same way for rclpy and for rosbags' typestore (tests, bags).

The node publishes rclpy classes; the tests build the very same messages from a rosbags typestore.
Both go through :class:`MsgFactory`: ``new(typename, **fields)`` and ``const(typename, name)``.
rosbags classes need every field, so :class:`TypestoreFactory` fills the missing ones with ROS defaults
(zero, empty, nested defaults); rclpy classes default their fields themselves.

rosbags' bundled stores lack ``vision_msgs``; :data:`VISION_MSGS` holds its definitions as published
for Humble/Jazzy (vision_msgs 4.1, docs.ros.org ``vision_msgs/msg/*``), reduced to the fields.
This module never imports rclpy; :class:`RclpyFactory` imports only generated message modules.
"""

from __future__ import annotations

import array
import importlib
from functools import cache
from typing import Any, Protocol

import numpy as np
from rosbags.typesys import get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from vsgg_ros.codec.typestore import BASE_STORE, msg_definitions

VISION_MSGS: dict[str, str] = {
    "vision_msgs/msg/Point2D": "float64 x\nfloat64 y\n",
    "vision_msgs/msg/Pose2D": "vision_msgs/Point2D position\nfloat64 theta\n",
    "vision_msgs/msg/BoundingBox2D": "vision_msgs/Pose2D center\nfloat64 size_x\nfloat64 size_y\n",
    "vision_msgs/msg/ObjectHypothesis": "string class_id\nfloat64 score\n",
    "vision_msgs/msg/ObjectHypothesisWithPose": (
        "vision_msgs/ObjectHypothesis hypothesis\ngeometry_msgs/PoseWithCovariance pose\n"
    ),
    "vision_msgs/msg/Detection2D": (
        "std_msgs/Header header\nvision_msgs/ObjectHypothesisWithPose[] results\n"
        "vision_msgs/BoundingBox2D bbox\nstring id\n"
    ),
    "vision_msgs/msg/Detection2DArray": "std_msgs/Header header\nvision_msgs/Detection2D[] detections\n",
}


class MsgFactory(Protocol):
    """Creates message objects of one backend by full type name (``pkg/msg/Name``)."""

    def new(self, typename: str, **fields: Any) -> Any: ...

    def const(self, typename: str, name: str) -> Any: ...

    def u8(self, data: bytes) -> Any: ...


@cache
def ros_typestore() -> Typestore:
    """ROS 2 Humble base types + vsgg_ros messages + vision_msgs (built once per process)."""
    store = get_typestore(BASE_STORE)
    types: dict[str, Any] = {}
    for name, text in {**msg_definitions(), **VISION_MSGS}.items():
        types.update(get_types_from_msg(text, name))
    store.register(types)
    return store


class TypestoreFactory:
    """Messages as rosbags dataclasses (serialisable to CDR with the same store)."""

    def __init__(self, store: Typestore | None = None) -> None:
        self.store = store if store is not None else ros_typestore()

    def new(self, typename: str, **fields: Any) -> Any:
        try:
            consts, fielddefs = self.store.fielddefs[typename]
        except KeyError:
            raise ValueError(f"message type {typename!r} is not in the typestore") from None
        del consts
        names = {name for name, _ in fielddefs}
        unknown = sorted(set(fields) - names)
        if unknown:
            raise ValueError(f"{typename} has no field(s) {unknown}")
        for name, desc in fielddefs:
            if name not in fields:
                fields[name] = self._default(desc)
        return self.store.types[typename](**fields)

    def const(self, typename: str, name: str) -> Any:
        consts, _ = self.store.fielddefs[typename]
        for const_name, _type, value in consts:
            if const_name == name:
                return value
        raise ValueError(f"{typename} has no constant {name!r}")

    def u8(self, data: bytes) -> Any:
        return np.frombuffer(data, dtype=np.uint8)

    def _default(self, desc: tuple[Any, Any]) -> Any:
        kind, detail = desc
        kind = int(kind)
        if kind == 1:  # BASE
            return _BASE_DEFAULTS.get(detail[0], 0)
        if kind == 2:  # NAME: a nested message
            return self.new(detail)
        if kind == 3:  # fixed ARRAY
            (sub_kind, sub_detail), length = detail
            if int(sub_kind) == 1 and sub_detail[0] in _NUMPY:
                return np.zeros(length, dtype=_NUMPY[sub_detail[0]])
            return [self._default((sub_kind, sub_detail)) for _ in range(length)]
        (sub_kind, sub_detail), _bound = detail  # SEQUENCE
        if int(sub_kind) == 1 and sub_detail[0] in _NUMPY:
            return np.zeros(0, dtype=_NUMPY[sub_detail[0]])
        return []


class RclpyFactory:
    """Messages as rosidl-generated Python classes (a sourced ROS 2 environment)."""

    def new(self, typename: str, **fields: Any) -> Any:
        return _rclpy_class(typename)(**fields)

    def const(self, typename: str, name: str) -> Any:
        return getattr(_rclpy_class(typename), name)

    def u8(self, data: bytes) -> Any:
        return array.array("B", data)


@cache
def _rclpy_class(typename: str) -> type:
    package, kind, name = typename.split("/")
    try:
        module = importlib.import_module(f"{package}.{kind}")
    except ImportError as exc:
        raise ImportError(
            f"ROS 2 messages '{package}.{kind}' are not importable; source ROS 2 and the workspace"
        ) from exc
    return getattr(module, name)


_BASE_DEFAULTS: dict[str, Any] = {"string": "", "bool": False, "float32": 0.0, "float64": 0.0}
_NUMPY = {
    "bool": np.bool_,
    "byte": np.uint8,
    "char": np.uint8,
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "float32": np.float32,
    "float64": np.float64,
}
