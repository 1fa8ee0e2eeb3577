"""Camera frames from another app over ZeroMQ (wire v1 image messages, docs/wire-format.md).

vsgg connects a SUB socket to the publisher's endpoint. Anything that is not a valid image message
— wrong framing, garbage bytes, a newer schema, a corrupt JPEG — is counted and skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import zmq

from vsgg_ros.codec.wire import IMAGE_TOPIC_PREFIX, WireFormatError, decode_image_message, split_message
from vsgg_ros.graph import Frame
from vsgg_ros.io.base import BadFrame, SkippingSource


class ZmqImageSource(SkippingSource):
    def __init__(self, endpoint: str, source_id: str | None = None, hwm: int = 4, poll_ms: int = 100) -> None:
        super().__init__()
        self.name = endpoint
        self.endpoint = endpoint
        self.poll_ms = poll_ms
        self._closed = threading.Event()
        self._socket = zmq.Context.instance().socket(zmq.SUB)
        self._socket.setsockopt(zmq.RCVHWM, hwm)
        self._socket.setsockopt(zmq.LINGER, 0)
        topic = IMAGE_TOPIC_PREFIX + (f"{source_id}/".encode() if source_id and source_id != "camera" else b"")
        self._socket.setsockopt(zmq.SUBSCRIBE, topic)
        try:
            self._socket.connect(endpoint)
        except zmq.ZMQError as err:
            self._socket.close(0)
            raise ValueError(f"cannot connect ZeroMQ SUB to {endpoint!r}: {err}") from err

    def frames(self) -> Iterator[Frame]:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        index = 0
        while not self._closed.is_set():
            if not poller.poll(self.poll_ms) or self._closed.is_set():
                continue
            parts = self._socket.recv_multipart()
            try:
                _topic, payload = split_message(parts)
                frame = decode_image_message(payload)
            except (WireFormatError, BadFrame, ValueError) as err:
                reason = err.reason if isinstance(err, BadFrame) else "garbage_zmq"
                self.skip(BadFrame(reason, str(err)), f"message {index} from {self.endpoint}")
                continue
            index += 1
            yield frame
        self._socket.close(0)

    def close(self) -> None:
        self._closed.set()
