"""SceneGraph messages -> ZeroMQ (wire format v1), without rclpy: the ZeroMQ bridge node's logic.

The bridge reuses the ZeroMQ sink of ``vsgg run``, so a ZeroMQ client cannot tell whether graphs come
from ``vsgg run --zmq`` or from a ROS graph relayed here. A message that does not convert is counted
and logged once, never fatal: one bad graph must not stop the stream.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from vsgg_ros.codec.rosmsg import msg_to_graph
from vsgg_ros.interfaces import Sink

log = logging.getLogger(__name__)


def parse_topics(text: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``; duplicates and empty items are errors (they hide typos)."""
    topics = [t.strip() for t in text.split(",")]
    if not all(topics):
        raise ValueError(f"topics {text!r}: empty item in the comma-separated list")
    if len(set(topics)) != len(topics):
        raise ValueError(f"topics {text!r}: a topic is listed twice")
    return topics


class GraphRelay:
    """Writes each received ``vsgg_ros/msg/SceneGraph`` to a Sink (the ZeroMQ PUB)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.relayed = 0
        self.errors: Counter[str] = Counter()

    def on_message(self, msg: Any) -> None:
        try:
            graph = msg_to_graph(msg)
        except (ValueError, AttributeError) as err:
            self.errors["bad_message"] += 1
            if self.errors["bad_message"] == 1:
                log.error("cannot convert a SceneGraph message (%s); further ones are counted", err)
            return
        self.sink.write(graph, None)
        self.relayed += 1

    def close(self) -> None:
        self.sink.close()
