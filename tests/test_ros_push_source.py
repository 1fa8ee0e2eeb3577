"""PushSource: the callback side never waits, the newest frames win, and closing ends the stream."""

from __future__ import annotations

import threading
import time

import numpy as np

from vsgg_ros.graph import Frame
from vsgg_ros.io.push_source import PushSource
from vsgg_ros.pipeline import EngineConfig, Pipeline
from vsgg_ros.ros.sinks import LatestGraph


def frame(i: int) -> Frame:
    return Frame(i, i * 1000, np.zeros((2, 2, 3), np.uint8))


def test_newest_wins_and_drops_are_counted() -> None:
    source: PushSource[Frame] = PushSource(maxsize=2)
    accepted = [source.push(frame(i)) for i in range(5)]
    assert accepted == [True, True, False, False, False]
    assert source.dropped == {"push_queue_full": 3}
    source.close()
    assert [f.index for f in source.frames()] == [3, 4]


def test_push_does_not_wait_for_a_stalled_consumer() -> None:
    source: PushSource[Frame] = PushSource(maxsize=1)
    start = time.perf_counter()
    for i in range(2000):
        source.push(frame(i))
    assert time.perf_counter() - start < 1.0  # nobody consumes; a blocking push would hang here
    assert source.pushed == 2000 and source.dropped["push_queue_full"] == 1999


def test_push_wait_is_lossless_and_ordered() -> None:
    source: PushSource[Frame] = PushSource(maxsize=1)
    received: list[int] = []
    consumer = threading.Thread(target=lambda: received.extend(f.index for f in source.frames()))
    consumer.start()
    for i in range(200):
        assert source.push_wait(frame(i), timeout=5.0)
    source.close()
    consumer.join(timeout=5.0)
    assert received == list(range(200)) and not source.dropped


def test_close_wakes_a_waiting_consumer_and_refuses_more() -> None:
    source: PushSource[Frame] = PushSource()
    done = threading.Event()

    def consume() -> None:
        list(source.frames())
        done.set()

    threading.Thread(target=consume, daemon=True).start()
    time.sleep(0.05)
    source.close()
    assert done.wait(2.0)
    assert not source.push(frame(0)) and source.dropped["closed"] == 1
    assert not source.push_wait(frame(1), timeout=0.1)


class _CountingTracker:
    def step(self, frame: Frame, detections: object) -> list:
        return []

    def reset(self) -> None:
        """Stateless."""


def test_pipeline_stop_ends_a_run_blocked_on_an_idle_push_source() -> None:
    source: PushSource[Frame] = PushSource()
    latest = LatestGraph()
    pipeline = Pipeline(source, _CountingTracker(), None, [latest], EngineConfig(drop_frames=True))
    thread = threading.Thread(target=pipeline.run, daemon=True)
    thread.start()
    source.push(frame(7))
    deadline = time.monotonic() + 5.0
    while latest.get() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert latest.get() is not None and latest.get().frame_index == 7
    pipeline.stop()
    thread.join(timeout=3.0)
    assert not thread.is_alive() and source.closed
