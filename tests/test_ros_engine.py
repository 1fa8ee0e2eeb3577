"""EngineHost: the perception node's lifecycle, input handoff, services and diagnostics, without rclpy."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
import zmq

from vsgg_ros.codec.rosmsg import MsgTypes, graph_to_msg
from vsgg_ros.codec.wire import decode_graph, graph_topic
from vsgg_ros.graph import Box, Frame, SceneGraph, Track, Vocabulary
from vsgg_ros.interfaces import Detection
from vsgg_ros.io.zmq_sink import ZmqGraphSink
from vsgg_ros.pipeline import EngineConfig
from vsgg_ros.ros.bridge import GraphRelay, parse_topics
from vsgg_ros.ros.convert import make_header, rgb_to_image
from vsgg_ros.ros.engine import EngineHost, InputWatchdog, vocabulary_from_request
from vsgg_ros.ros.models import GuardedTracker, Models
from vsgg_ros.ros.msgs import TypestoreFactory, ros_typestore
from vsgg_ros.ros.sync import StampJoin

FACTORY = TypestoreFactory()


def image_msg(stamp_ns: int, value: int = 0) -> Any:
    rgb = np.full((6, 8, 3), value, np.uint8)
    return rgb_to_image(rgb, FACTORY, make_header(FACTORY, stamp_ns, "cam"))


class RecordingTracker:
    """One track per frame; records what it saw; optionally slow."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.frames: list[int] = []
        self.detections: list[list[Detection] | None] = []
        self.resets = 0

    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]:
        time.sleep(self.delay)
        self.frames.append(frame.index)
        self.detections.append(detections)
        return [Track(1, (0.0, 0.0, 2.0, 2.0), "cup", 3)]

    def reset(self) -> None:
        self.resets += 1


class PromptTracker(RecordingTracker):
    def __init__(self) -> None:
        super().__init__()
        self.next_id = 10
        self.alive: set[int] = set()

    def add_object(self, *, box: Box | None = None, label: str = "") -> int:
        if len(self.alive) >= 3:
            raise RuntimeError("tracker is full: max_objects=3")
        self.alive.add(self.next_id)
        self.next_id += 1
        return self.next_id - 1

    def remove_object(self, track_id: int) -> bool:
        if track_id not in self.alive:
            return False
        self.alive.discard(track_id)
        return True


class Factory:
    """Counts model builds (configure / re-activate) and hands out the given tracker."""

    def __init__(self, tracker: RecordingTracker) -> None:
        self.tracker = tracker
        self.builds = 0

    def __call__(self, params: Mapping[str, Any]) -> tuple[Models, EngineConfig]:
        self.builds += 1
        return Models(GuardedTracker(self.tracker), None, None), EngineConfig(drop_frames=True)


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def host_with(tracker: RecordingTracker, **params: Any) -> tuple[EngineHost, Factory, list[SceneGraph]]:
    graphs: list[SceneGraph] = []

    class Collect:
        def write(self, graph: SceneGraph, frame: Frame | None) -> None:
            graphs.append(graph)

        def close(self) -> None:
            """Nothing to release."""

    factory = Factory(tracker)
    host = EngineHost({"head": "none", **params}, [Collect()], models_factory=factory)
    return host, factory, graphs


def test_lifecycle_loads_on_configure_frees_on_deactivate_and_reloads_on_activate() -> None:
    host, factory, graphs = host_with(RecordingTracker())
    with pytest.raises(RuntimeError, match="configure first"):
        host.activate()
    host.configure()
    assert (host.state, factory.builds, host.models is not None) == ("inactive", 1, True)
    host.activate()
    assert host.state == "active" and host.running and factory.builds == 1
    host.on_image(image_msg(5))
    assert wait_for(lambda: len(graphs) == 1)
    assert (graphs[0].stamp_ns, graphs[0].frame_id) == (5, "cam")  # header copied, not restamped
    host.deactivate()
    assert host.state == "inactive" and host.models is None and not host.running
    assert not host.on_image(image_msg(6)) and host.input_drops["inactive"] == 1
    host.activate()
    assert factory.builds == 2 and host.running
    host.cleanup()
    assert host.state == "unconfigured" and host.models is None


def test_image_callback_never_waits_for_a_slow_engine() -> None:
    tracker = RecordingTracker(delay=0.2)
    host, _, graphs = host_with(tracker)
    host.configure()
    host.activate()
    msgs = [image_msg(1_000 + i) for i in range(50)]
    start = time.perf_counter()
    for msg in msgs:
        host.on_image(msg)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"50 callbacks took {elapsed:.2f} s behind a 0.2 s/frame engine"
    assert wait_for(lambda: len(graphs) >= 1)
    host.deactivate()
    stats = host.stats()
    assert sum(stats["drops"].values()) >= 40  # most images were displaced, and counted
    assert stats["images_received"] == 50
    assert tracker.frames == sorted(tracker.frames)  # indices are arrival order; gaps mark drops


def test_disable_ignores_images_and_enable_resumes() -> None:
    host, _, graphs = host_with(RecordingTracker())
    host.configure()
    host.activate()
    assert host.set_enabled(False)[0]
    assert not host.on_image(image_msg(1))
    assert host.set_enabled(True) == (True, "enabled")
    host.on_image(image_msg(2))
    assert wait_for(lambda: len(graphs) == 1)
    assert graphs[0].stamp_ns == 2 and host.input_drops["disabled"] == 1
    host.deactivate()


def test_reset_reaches_the_tracker_and_clears_the_latest_graph() -> None:
    tracker = RecordingTracker()
    host, _, _ = host_with(tracker)
    assert host.reset() == (False, "no models loaded (state unconfigured)")
    host.configure()
    host.activate()
    host.on_image(image_msg(1))
    assert wait_for(lambda: host.latest.get() is not None)
    assert host.reset()[0] and tracker.resets == 1 and host.latest.get() is None
    host.deactivate()


def test_object_services_need_a_promptable_tracker() -> None:
    host, _, _ = host_with(RecordingTracker())
    host.configure()
    ok, message, ids = host.add_objects([(0, 0, 5, 5)], ["cup"])
    assert not ok and "cannot add or remove" in message and ids == []

    prompt = PromptTracker()
    host, _, _ = host_with(prompt)
    host.configure()
    assert host.add_objects([(0, 0, 5, 5), (1, 1, 4, 9)], ["cup", "box"]) == (True, "added 2 objects", [10, 11])
    assert not host.add_objects([(3, 3, 3, 9)], [])[0]  # zero width
    assert not host.add_objects([(0, 0, 5, 5)], ["a", "b"])[0]  # label count
    assert host.remove_objects([11, 99]) == (False, "removed 1; unknown ids [99]", [11])
    host.add_objects([(0, 0, 1, 1), (0, 0, 2, 2)], [])
    assert host.add_objects([(0, 0, 1, 1)], []) == (False, "tracker is full: max_objects=3", [])


def test_fixed_vocabulary_refuses_changes_and_keeps_the_old_one() -> None:
    host, _, _ = host_with(RecordingTracker(), vocabulary="ag")
    host.configure()
    ok, message = host.set_vocabulary(Vocabulary("mine", ("a",), ("on",)))
    assert not ok and "fixed" in message and host.vocabulary.name != "mine"


def test_vocabulary_from_request() -> None:
    custom = vocabulary_from_request("", ["cup", "table"], ["on"])
    assert (custom.name, custom.objects, custom.predicates) == ("custom", ("cup", "table"), ("on",))
    assert vocabulary_from_request("vidvrd", [], []).name == "vidvrd"
    with pytest.raises(ValueError, match="both"):
        vocabulary_from_request("x", ["cup"], [])


def test_external_detections_reach_the_tracker_by_stamp() -> None:
    tracker = RecordingTracker()
    host, _, graphs = host_with(tracker, use_external_detections=True, sync_timeout_s=2.0)
    host.configure()
    host.activate()
    host.on_image(image_msg(42))
    time.sleep(0.05)  # the detector publishes after the image; the engine waits for the matching stamp
    host.on_detections(41, [Detection((0, 0, 1, 1), "stale", -1, 0.1)])
    host.on_detections(42, [Detection((1, 2, 3, 4), "cup", 3, 0.9)])
    assert wait_for(lambda: len(graphs) == 1)
    host.deactivate()
    assert tracker.detections == [[Detection((1, 2, 3, 4), "cup", 3, 0.9)]]


def test_stamp_join_is_bounded_and_drops_older_stamps() -> None:
    join: StampJoin[str] = StampJoin(capacity=3)
    for stamp in range(10):
        join.put(stamp, f"gt{stamp}")
    assert len(join) == 3 and join.take(5, timeout=0.0) is None
    assert join.take(8, timeout=0.0) == "gt8" and len(join) == 1  # 7 is older than 8: discarded
    threading.Timer(0.05, join.put, args=(20, "late")).start()
    assert join.take(20, timeout=2.0) == "late"


def test_watchdog_warns_once_per_silence() -> None:
    now = [0.0]
    dog = InputWatchdog(5.0, clock=lambda: now[0])
    now[0] = 4.9
    assert dog.check() is None
    now[0] = 6.0
    assert dog.check() == pytest.approx(6.0)
    now[0] = 20.0
    assert dog.check() is None  # already warned for this silence
    dog.seen()
    now[0] = 25.5
    assert dog.check() == pytest.approx(5.5) and dog.received == 1


def test_diagnostics_levels() -> None:
    now = [0.0]
    host = EngineHost({"head": "none", "no_image_warn_s": 2.0}, clock=lambda: now[0])
    assert host.diagnostics()[0:2] == ("OK", "unconfigured, 0.00 fps")
    host.configure()
    host.activate()
    now[0] = 3.0
    level, message, values = host.diagnostics()
    assert (level, message) == ("WARN", "no image for 3.0 s")
    assert values["state"] == "active" and values["drops_total"] == "0"
    host.deactivate()


def test_bridge_relays_scene_graph_messages_in_wire_format() -> None:
    parse_topics("scene_graph, /other/scene_graph")
    with pytest.raises(ValueError, match="twice"):
        parse_topics("a,a")
    sink = ZmqGraphSink("tcp://127.0.0.1:*", linger_ms=0)
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(sink.endpoint)
    relay = GraphRelay(sink)
    graph = SceneGraph(stamp_ns=123_000_000_007, frame_index=4, frame_id="cam", source_id="front", sequence=9)
    msg = graph_to_msg(graph, MsgTypes.from_typestore(ros_typestore()))
    try:
        received = None
        for _ in range(50):  # slow joiner: resend until the subscription is up
            relay.on_message(msg)
            if sub.poll(100):
                received = sub.recv_multipart()
                break
        assert received is not None
        topic, payload = received
        assert decode_graph(payload) == graph and topic == graph_topic("front")
        relay.on_message(object())
        assert relay.errors["bad_message"] == 1
    finally:
        sub.close()
        relay.close()
