"""SceneGraph <-> JSON with exactly the wire format's key layout.

The dict layout lives in :mod:`vsgg_ros.codec.wire`; this module only adds the text step, so a
JSONL line and a msgpack payload of the same graph decode to identical maps. Output is strict
JSON (no NaN/Infinity tokens), which every JSON parser accepts.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from vsgg_ros.codec.wire import WireFormatError, graph_from_dict, graph_to_dict
from vsgg_ros.graph import SceneGraph

__all__ = ["dumps_graph", "graph_from_dict", "graph_to_dict", "loads_graph"]


def dumps_graph(graph: SceneGraph) -> str:
    """One compact JSON document (no newlines, UTF-8 text kept as is): ready to be a JSONL line."""
    try:
        return json.dumps(
            graph_to_dict(graph),
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError) as exc:
        raise WireFormatError(f"graph cannot be written as JSON: {exc}") from exc


def loads_graph(text: str | bytes) -> SceneGraph:
    """Inverse of :func:`dumps_graph`; bad input raises :class:`WireFormatError` naming the problem."""
    try:
        d = json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        raise WireFormatError(f"graph is not valid JSON ({type(exc).__name__}: {exc})") from None
    return graph_from_dict(d)


def _json_default(obj: Any) -> Any:
    """numpy scalars become plain numbers; anything else is a caller bug worth a clear error."""
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot write a value of type {type(obj).__name__} as JSON")
