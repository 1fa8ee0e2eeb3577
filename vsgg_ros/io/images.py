"""Conversion between ROS image messages and RGB arrays, without cv_bridge.

Raw images honour ``step`` (row padding) and endianness; colour conversion of the many ROS encodings
is delegated to rosbags-image. Every failure becomes a :class:`BadFrame` with a stable reason.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from rosbags.image import ImageError
from rosbags.image.image import convert_color, to_cvtype

from vsgg_ros.io.base import BadFrame


def ros_image_to_rgb(msg: Any) -> np.ndarray:
    """sensor_msgs/Image or sensor_msgs/CompressedImage (any object with those fields) -> HxWx3 uint8."""
    if hasattr(msg, "format"):
        return _compressed_to_rgb(bytes(msg.data), str(msg.format))
    return raw_to_rgb(
        bytes(msg.data), int(msg.height), int(msg.width), int(msg.step), str(msg.encoding), bool(msg.is_bigendian)
    )


def raw_to_rgb(data: bytes, height: int, width: int, step: int, encoding: str, bigendian: bool = False) -> np.ndarray:
    if height <= 0 or width <= 0:
        raise BadFrame("zero_size", f"{width}x{height} image")
    try:
        _, _, typestr, channels = to_cvtype(encoding)
    except ImageError:
        raise BadFrame("unknown_encoding", f"encoding {encoding!r}") from None
    dtype = np.dtype(typestr).newbyteorder(">" if bigendian else "<")
    row_bytes = width * channels * dtype.itemsize
    step = step or row_bytes
    if step < row_bytes or len(data) < step * (height - 1) + row_bytes:
        raise BadFrame("truncated_image", f"{len(data)} bytes for {width}x{height} {encoding} (step {step})")
    rows = np.frombuffer(data, dtype=np.uint8, count=step * (height - 1) + row_bytes)
    padded = np.lib.stride_tricks.as_strided(rows, shape=(height, row_bytes), strides=(step, 1))
    img = np.ascontiguousarray(padded).view(dtype).reshape(height, width, channels)
    if channels == 1:
        img = img[:, :, 0]
    img = img.astype(dtype.newbyteorder("="), copy=False)
    try:
        rgb = convert_color(img, encoding, "rgb8")
    except ImageError as err:
        raise BadFrame("unknown_encoding", f"cannot convert {encoding!r} to rgb8: {err}") from None
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def _compressed_to_rgb(data: bytes, fmt: str) -> np.ndarray:
    if not data:
        raise BadFrame("zero_size", f"empty compressed image ({fmt!r})")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise BadFrame("corrupt_compressed", f"{len(data)} bytes of {fmt or 'unknown format'} do not decode")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def decode_compressed(data: bytes, fmt: str = "") -> np.ndarray:
    """JPEG/PNG bytes -> RGB array (BadFrame on corrupt data)."""
    return _compressed_to_rgb(data, fmt)


def encode_compressed(rgb: np.ndarray, fmt: str = "jpeg", quality: int = 90) -> bytes:
    """RGB array -> JPEG or PNG bytes."""
    ext = {"jpeg": ".jpg", "jpg": ".jpg", "png": ".png"}.get(fmt.lower())
    if ext is None:
        raise ValueError(f"compressed format must be jpeg or png, got {fmt!r}")
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == ".jpg" else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {rgb.shape} image as {fmt}")
    return buf.tobytes()
