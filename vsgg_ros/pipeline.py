"""The streaming engine: decode → track → predict → assemble → publish.

Read top to bottom for the path of one frame:

1. A reader thread pulls decoded frames from the Source into a bounded queue. Live and paced input
   drops the oldest queued frame when the queue is full (newest wins); offline replay waits instead,
   so evaluation sees every frame. Every drop is counted by reason.
2. The camera loop (the caller's thread) takes the next frame and runs the Tracker on it.
3. The Predictor either runs inline on that frame (``sync``: deterministic, for evaluation) or is
   handed the frame through a one-slot mailbox and runs on its own thread at its own rate
   (``async``: a slow model never stalls tracking; a frame replaced in the mailbox is a counted drop).
4. The GraphAssembler joins the current tracks with the predictor's latest relations (keyed by track
   id, aged, expired by policy) into a SceneGraph stamped with the image header.
5. Every Sink gets the graph. Latency is measured from the frame's arrival (or its header stamp when
   that is on the wall clock) to the end of publishing.

State is bounded: two small queues, the latest prediction, and fixed-size histograms.
SIGINT/SIGTERM stop the loop; sinks and the source are always closed, so files are finalised.
SIGUSR1 logs the stats so far (fps, drops, latency percentiles) without stopping.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from vsgg_ros.assembler import GraphAssembler, RelationPolicy
from vsgg_ros.graph import Frame, SceneGraph, Track
from vsgg_ros.interfaces import Detector, Predictor, Sink, Source, Tracker
from vsgg_ros.stats import PipelineStats

log = logging.getLogger(__name__)
T = TypeVar("T")
GraphCallback = Callable[[SceneGraph], None]

_WALL_CLOCK_TOLERANCE_NS = 10 * 1_000_000_000


@dataclass(frozen=True)
class EngineConfig:
    """How the engine schedules work (the models themselves are configured elsewhere).

    ``drop_frames``: newest-frame-wins queues (live, paced replay) instead of back-pressure.
    ``predictor_mode``: ``sync`` predicts every frame inline; ``async`` runs the predictor on its own
    thread on the newest frame. ``latency_from``: ``stamp`` measures from the image header stamp,
    ``arrival`` from when the engine started decoding the frame, ``auto`` picks ``stamp`` when the first
    stamp is within 10 s of the wall clock (a live camera) and ``arrival`` otherwise (recorded data).
    """

    queue_size: int = 2
    drop_frames: bool = False
    predictor_mode: Literal["sync", "async"] = "sync"
    latency_from: Literal["auto", "stamp", "arrival"] = "auto"
    max_frames: int | None = None
    relation_policy: RelationPolicy = field(default_factory=RelationPolicy)

    def __post_init__(self) -> None:
        if self.queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {self.queue_size}")
        if self.predictor_mode not in ("sync", "async"):
            raise ValueError(f"predictor_mode must be 'sync' or 'async', got {self.predictor_mode!r}")
        if self.latency_from not in ("auto", "stamp", "arrival"):
            raise ValueError(f"latency_from must be auto, stamp or arrival, got {self.latency_from!r}")


@dataclass(slots=True)
class _Arrival:
    frame: Frame
    arrival_ns: int
    decode_ms: float


_END = object()


class Pipeline:
    def __init__(
        self,
        source: Source,
        tracker: Tracker,
        predictor: Predictor | None,
        sinks: Sequence[Sink],
        config: EngineConfig | None = None,
        detector: Detector | None = None,
    ) -> None:
        self.source = source
        self.tracker = tracker
        self.predictor = predictor
        self.detector = detector
        self.sinks = list(sinks)
        self.config = config or EngineConfig()
        self.stats = PipelineStats()
        self.assembler = GraphAssembler(
            self.config.relation_policy, predictor.model_id if predictor is not None else ""
        )
        self._stop = threading.Event()
        self._inbox: queue.Queue[object] = queue.Queue(maxsize=self.config.queue_size)
        self._mailbox: _Mailbox[tuple[Frame, list[Track]]] = _Mailbox()
        self._use_stamp: bool | None = {"stamp": True, "arrival": False}.get(self.config.latency_from)

    def stop(self) -> None:
        """Ask the engine to finish; safe from signal handlers and other threads."""
        self._stop.set()
        self._mailbox.close()

    def run(self, on_graph: GraphCallback | None = None) -> dict[str, object]:
        """Process the stream until it ends, ``max_frames`` is reached or ``stop`` is called."""
        reader = threading.Thread(target=self._read, name="vsgg-reader", daemon=True)
        worker = None
        if self.predictor is not None and self.config.predictor_mode == "async":
            worker = threading.Thread(target=self._predict_loop, name="vsgg-predictor", daemon=True)
        with _signal_handlers(self.stop, self.snapshot):
            try:
                reader.start()
                if worker is not None:
                    worker.start()
                for arrival in self._arrivals():
                    graph = self._process(arrival)
                    if on_graph is not None:
                        on_graph(graph)
            finally:
                self.stop()
                self._close_all()
                if worker is not None:
                    worker.join(timeout=5.0)
                reader.join(timeout=1.0)
        return self.snapshot()

    def snapshot(self) -> dict[str, object]:
        """Stats so far (safe at any time), including the input items the source skipped."""
        result = self.stats.snapshot()
        skipped = dict(result["skipped_input"])  # type: ignore[arg-type]
        for reason, n in getattr(self.source, "skipped", {}).items():
            skipped[reason] = skipped.get(reason, 0) + n
        result["skipped_input"] = dict(sorted(skipped.items()))
        return result

    # -- stage 1: reader thread --------------------------------------------------------------------
    def _read(self) -> None:
        frames = self.source.frames()
        try:
            while not self._stop.is_set():
                arrival_ns = time.time_ns()
                t0 = time.perf_counter()
                try:
                    frame = next(frames)
                except StopIteration:
                    break
                self._enqueue(_Arrival(frame, arrival_ns, (time.perf_counter() - t0) * 1e3))
        except Exception:
            log.exception("source %s failed; ending the stream", type(self.source).__name__)
            self.stats.error("source_failed")
        finally:
            self._put_end()

    def _enqueue(self, item: _Arrival) -> None:
        self.stats.input_rate.tick()
        if self.config.drop_frames:
            while True:
                try:
                    self._inbox.put_nowait(item)
                    return
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        self._inbox.get_nowait()
                        self.stats.drop("input_queue_full")
        while not self._stop.is_set():
            try:
                self._inbox.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _put_end(self) -> None:
        while True:
            try:
                self._inbox.put(_END, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set():
                    with contextlib.suppress(queue.Empty):
                        self._inbox.get_nowait()

    def _arrivals(self) -> Iterator[_Arrival]:
        limit = self.config.max_frames
        processed = 0
        while not self._stop.is_set() and (limit is None or processed < limit):
            try:
                item = self._inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is _END:
                return
            assert isinstance(item, _Arrival)
            processed += 1
            yield item

    # -- stages 2–5: camera loop -------------------------------------------------------------------
    def _process(self, arrival: _Arrival) -> SceneGraph:
        frame = arrival.frame
        latency = {"decode": arrival.decode_ms}
        t0 = time.perf_counter()

        detections = self.detector.detect(frame) if self.detector is not None else None
        t1 = time.perf_counter()
        if self.detector is not None:
            latency["detect"] = (t1 - t0) * 1e3
        tracks = self.tracker.step(frame, detections)
        t2 = time.perf_counter()
        latency["track"] = (t2 - t1) * 1e3

        if self.predictor is not None:
            if self.config.predictor_mode == "sync":
                self.assembler.update(self.predictor.predict(frame, tracks))
                self.stats.predictions += 1
                latency["predict"] = (time.perf_counter() - t2) * 1e3
            elif self._mailbox.post((frame, tracks)):
                self.stats.drop("predictor_busy")
        t3 = time.perf_counter()

        graph = self.assembler.assemble(frame, tracks, latency)
        t4 = time.perf_counter()
        latency["assemble"] = (t4 - t3) * 1e3
        latency["total"] = self._age_ms(frame, arrival)

        for sink in self.sinks:
            sink.write(graph, frame)
        t5 = time.perf_counter()

        stats = self.stats
        for stage, ms in latency.items():
            if stage != "total":
                stats.stage(stage, ms)
        stats.stage("publish", (t5 - t4) * 1e3)
        stats.end_to_end.add(self._age_ms(frame, arrival))
        stats.output_rate.tick(t5)
        return graph

    def _age_ms(self, frame: Frame, arrival: _Arrival) -> float:
        now = time.time_ns()
        if self._use_stamp is None:
            self._use_stamp = abs(now - frame.stamp_ns) < _WALL_CLOCK_TOLERANCE_NS
        origin = frame.stamp_ns if self._use_stamp else arrival.arrival_ns
        return (now - origin) / 1e6

    # -- async predictor thread --------------------------------------------------------------------
    def _predict_loop(self) -> None:
        assert self.predictor is not None
        while True:
            job = self._mailbox.take()
            if job is None:
                return
            frame, tracks = job
            t0 = time.perf_counter()
            try:
                prediction = self.predictor.predict(frame, tracks)
            except Exception:
                log.exception("predictor %s failed on frame %d", self.predictor.model_id, frame.index)
                self.stats.error("predictor_failed")
                continue
            self.stats.stage("predict", (time.perf_counter() - t0) * 1e3)
            self.stats.predictions += 1
            self.assembler.update(prediction)

    def _close_all(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                log.exception("closing sink %s failed", type(sink).__name__)
        try:
            self.source.close()
        except Exception:
            log.exception("closing source %s failed", type(self.source).__name__)


class _Mailbox(Generic[T]):
    """A one-slot handoff: posting replaces an unconsumed item (the newest frame wins)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False

    def post(self, item: T) -> bool:
        """Leave ``item`` for the consumer; True if it replaced one that was never taken."""
        with self._cond:
            replaced = self._item is not None
            self._item = item
            self._cond.notify()
            return replaced

    def take(self) -> T | None:
        """Block until an item is posted; None once the mailbox is closed."""
        with self._cond:
            while self._item is None and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@contextlib.contextmanager
def _signal_handlers(stop: Callable[[], None], report: Callable[[], dict[str, object]]) -> Iterator[None]:
    """While the engine runs: SIGINT/SIGTERM stop it cleanly, SIGUSR1 logs the stats so far.

    Only the main thread may install handlers; elsewhere (a ROS executor thread, tests) this is a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_stop(signum: int, _frame: object) -> None:
        log.warning("received %s; finishing and closing outputs", signal.Signals(signum).name)
        stop()

    def on_report(_signum: int, _frame: object) -> None:
        log.info("stats: %s", json.dumps(report(), sort_keys=True))

    handlers = {signal.SIGINT: on_stop, signal.SIGTERM: on_stop, signal.SIGUSR1: on_report}
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
