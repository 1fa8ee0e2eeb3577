"""ZeroMQ PUB of scene graphs in wire format v1 (docs/wire-format.md).

Never blocks the pipeline: sends are non-blocking and a full high-water mark is a counted drop.
``latest_only`` sends single-frame ``topic NUL payload`` messages so that subscribers using
ZMQ_CONFLATE (which cannot handle multipart) keep just the newest graph.
"""

from __future__ import annotations

from collections import Counter

import zmq

from vsgg_ros.codec.wire import encode_graph, graph_topic, join_single_frame
from vsgg_ros.graph import Frame, SceneGraph


class ZmqGraphSink:
    def __init__(self, endpoint: str, latest_only: bool = False, hwm: int = 100, linger_ms: int = 200) -> None:
        self.latest_only = latest_only
        self.drops: Counter[str] = Counter()
        self._socket = zmq.Context.instance().socket(zmq.PUB)
        self._socket.setsockopt(zmq.SNDHWM, hwm)
        self._socket.setsockopt(zmq.LINGER, linger_ms)
        try:
            self._socket.bind(endpoint)
        except zmq.ZMQError as err:
            self._socket.close(0)
            raise ValueError(f"cannot bind ZeroMQ PUB to {endpoint!r}: {err}") from err
        self.endpoint: str = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._topics: dict[str, bytes] = {}

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        topic = self._topics.get(graph.source_id)
        if topic is None:
            topic = self._topics.setdefault(graph.source_id, graph_topic(graph.source_id))
        payload = encode_graph(graph)
        try:
            if self.latest_only:
                self._socket.send(join_single_frame(topic, payload), zmq.NOBLOCK)
            else:
                self._socket.send_multipart((topic, payload), zmq.NOBLOCK)
        except zmq.Again:
            self.drops["zmq_hwm"] += 1

    def close(self) -> None:
        if not self._socket.closed:
            self._socket.close()
