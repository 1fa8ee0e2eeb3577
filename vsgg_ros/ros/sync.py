"""Joining side inputs (ground truth, external detections) to images by header stamp.

Subscription callbacks only ``put``; the engine's threads ``take`` and may wait a little for a message
that has not arrived yet (an external detector publishes after the image). Nothing here blocks a
callback, and every buffer is bounded, so a side topic without images (or the reverse) cannot grow memory.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.interfaces import Detection, Source

log = logging.getLogger(__name__)
T = TypeVar("T")


class StampJoin(Generic[T]):
    """Items keyed by stamp (ns); at most ``capacity`` are kept, the oldest stamps go first."""

    def __init__(self, capacity: int = 64) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[int, T] = OrderedDict()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, stamp_ns: int, item: T) -> None:
        with self._cond:
            self._items[stamp_ns] = item
            self._items.move_to_end(stamp_ns)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
            self._cond.notify_all()

    def take(self, stamp_ns: int, timeout: float) -> T | None:
        """The item with exactly this stamp, waiting up to ``timeout`` s; None if it does not come.

        Items with older stamps are discarded: frames arrive in stamp order, so nobody will ask for them.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._closed or stamp_ns in self._items, timeout)
            item = self._items.pop(stamp_ns, None)
            for stale in [s for s in self._items if s < stamp_ns]:
                del self._items[stale]
            return item

    def close(self) -> None:
        """Wake every waiter (shutdown); later takes return at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)


class GroundTruthSource:
    """Wraps a Source and attaches the ground-truth graph with each frame's stamp (head ``gt``)."""

    def __init__(self, inner: Source, ground_truth: StampJoin[SceneGraph], timeout: float) -> None:
        self.inner = inner
        self.ground_truth = ground_truth
        self.timeout = timeout
        self.missing: Counter[str] = Counter()

    @property
    def skipped(self) -> Counter[str]:
        return getattr(self.inner, "skipped", Counter())

    def frames(self) -> Iterator[Frame]:
        for frame in self.inner.frames():
            frame.ground_truth = self.ground_truth.take(frame.stamp_ns, self.timeout)
            if frame.ground_truth is None:
                self.missing["ground_truth"] += 1
                if self.missing["ground_truth"] == 1:
                    log.warning(
                        "no ground truth with stamp %d within %.2f s (further misses counted)",
                        frame.stamp_ns,
                        self.timeout,
                    )
            yield frame

    def close(self) -> None:
        self.ground_truth.close()
        self.inner.close()


class ExternalDetector:
    """A Detector whose detections come from a topic (yolo_ros, Isaac ROS, ...), matched by stamp."""

    def __init__(self, detections: StampJoin[list[Detection]], timeout: float) -> None:
        self.detections = detections
        self.timeout = timeout
        self.missing = 0

    def detect(self, frame: Frame) -> list[Detection]:
        found = self.detections.take(frame.stamp_ns, self.timeout)
        if found is None:
            self.missing += 1
            if self.missing == 1:
                log.warning(
                    "no external detections with stamp %d within %.2f s (further misses counted)",
                    frame.stamp_ns,
                    self.timeout,
                )
            return []
        return found
