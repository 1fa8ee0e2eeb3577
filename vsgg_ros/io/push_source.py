"""A Source fed by callbacks (a ROS subscription, a socket handler) instead of pulled from a file.

The producer side must never wait on the engine: :meth:`PushSource.push` returns at once and, when the
bounded buffer is full, the oldest waiting frame makes room (newest wins, counted in ``dropped``).
:meth:`PushSource.push_wait` is the lossless variant for offline feeders and tests that want every frame.
The engine's reader thread consumes :meth:`PushSource.frames`, which blocks until a frame arrives or the
source is closed; closing wakes it, so ``Pipeline.stop`` ends the stream promptly.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class PushSource(Generic[T]):
    """Bounded newest-wins handoff from a producer thread to the engine's reader thread.

    Items are usually Frames; the ROS node pushes raw image messages and decodes them on the reader
    thread (see ``vsgg_ros.ros.engine.DecodingSource``), so decoding never runs in a callback.
    """

    name = "push"

    def __init__(self, maxsize: int = 1) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self.pushed = 0
        self.dropped: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self._items: deque[T] = deque()
        self._cond = threading.Condition()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def push(self, item: T) -> bool:
        """Hand over an item without waiting; False if it displaced an older one or the source is closed."""
        with self._cond:
            if self._closed:
                self.dropped["closed"] += 1
                return False
            displaced = len(self._items) >= self.maxsize
            if displaced:
                self._items.popleft()
                self.dropped["push_queue_full"] += 1
            self._items.append(item)
            self.pushed += 1
            self._cond.notify_all()
            return not displaced

    def push_wait(self, item: T, timeout: float | None = None) -> bool:
        """Wait for room instead of dropping; False on timeout or when the source is closed."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._closed or len(self._items) < self.maxsize, timeout):
                return False
            if self._closed:
                return False
            self._items.append(item)
            self.pushed += 1
            self._cond.notify_all()
            return True

    def frames(self) -> Iterator[T]:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or bool(self._items))
                if not self._items:
                    return
                item = self._items.popleft()
                self._cond.notify_all()
            yield item

    def close(self) -> None:
        """End the stream: the consumer gets the items already queued, then StopIteration."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def discard(self) -> int:
        """Drop what is queued (e.g. on stop); returns how many items were thrown away."""
        with self._cond:
            n = len(self._items)
            self._items.clear()
            self._cond.notify_all()
            return n
