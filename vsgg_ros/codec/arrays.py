"""numpy arrays as the portable wire map ``{dtype, shape, data}``, and the wire format's error type.

The map form (string keys, raw bytes in a msgpack ``bin``) decodes in any language without an
extension codec: a JS client views ``data`` as a typed array, C++ ``memcpy``s it. msgpack-numpy
is avoided on purpose: it writes ``bin`` map keys, which JS msgpack decoders refuse.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Plain numeric kinds every client language has a type for: bool, signed, unsigned, float.
_KINDS = frozenset("biuf")


class WireFormatError(ValueError):
    """A payload (or a value to be encoded) does not follow wire format v1; the message says where."""


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """``{"dtype": "<f4", "shape": [...], "data": bytes}``: C order, little-endian, numpy dtype string."""
    a = np.asarray(array)
    if a.dtype.kind not in _KINDS:
        raise WireFormatError(f"array dtype {a.dtype.str!r} is not a plain bool/int/uint/float type")
    if a.dtype.str[0] == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return {"dtype": a.dtype.str, "shape": list(a.shape), "data": a.tobytes(order="C")}


def decode_array(obj: Any, *, copy: bool = False) -> np.ndarray:
    """Inverse of :func:`encode_array`.

    Without ``copy`` the result is a read-only view of the payload's bytes (no copy for large
    images); pass ``copy=True`` when the array will be modified in place.
    """
    if not isinstance(obj, dict):
        raise WireFormatError(f"array: expected a map with dtype/shape/data, got {type(obj).__name__}")
    missing = [k for k in ("dtype", "shape", "data") if k not in obj]
    if missing:
        raise WireFormatError(f"array: missing key(s) {missing}")
    dtype_str, shape, data = obj["dtype"], obj["shape"], obj["data"]
    if not isinstance(dtype_str, str):
        raise WireFormatError(f"array.dtype: expected a string like '<f4', got {type(dtype_str).__name__}")
    try:
        dtype = np.dtype(dtype_str)
    except (TypeError, ValueError, SyntaxError):
        raise WireFormatError(f"array.dtype: {dtype_str!r} is not a numpy dtype string") from None
    if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireFormatError(f"array.dtype: {dtype_str!r} is not a plain bool/int/uint/float type")
    if not isinstance(shape, (list, tuple)) or not all(type(n) is int and n >= 0 for n in shape):
        raise WireFormatError(f"array.shape: expected a list of non-negative integers, got {shape!r}")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WireFormatError(f"array.data: expected binary (msgpack bin), got {type(data).__name__}")
    expected = math.prod(shape) * dtype.itemsize
    nbytes = data.nbytes if isinstance(data, memoryview) else len(data)
    if nbytes != expected:
        raise WireFormatError(
            f"array.data: holds {nbytes} bytes, but shape {list(shape)} of {dtype.str} needs {expected}"
        )
    out = np.frombuffer(data, dtype=dtype).reshape(shape)
    return out.copy() if copy else out
