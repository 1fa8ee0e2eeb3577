"""The perception node without ROS: lifecycle, input handoff, service logic and diagnostics.

:class:`EngineHost` is what the rclpy node delegates to. It owns the same :class:`~vsgg_ros.pipeline.Pipeline`
that ``vsgg run`` uses, with a :class:`~vsgg_ros.io.push_source.PushSource` as its Source (fed by the
image callback, which only appends the raw message) and the node's publishers as its Sinks. The engine
runs on its own thread; images are decoded on the engine's reader thread, never in a callback.

Lifecycle: ``configure`` loads the models, ``activate`` starts the engine (reloading models released by
an earlier deactivate), ``deactivate`` stops it and frees the models and their GPU memory, ``cleanup``
forgets the configuration.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vsgg_ros.config import ConfigError
from vsgg_ros.graph import Box, Frame, SceneGraph, Vocabulary
from vsgg_ros.interfaces import Detection, Sink
from vsgg_ros.io.base import BadFrame, SkippingSource
from vsgg_ros.io.push_source import PushSource
from vsgg_ros.pipeline import EngineConfig, Pipeline
from vsgg_ros.ros.convert import image_to_frame
from vsgg_ros.ros.models import Models, PromptableTracker, VocabularyAware, build_models, release_accelerator_memory
from vsgg_ros.ros.params import PERCEPTION_PARAMS, resolve
from vsgg_ros.ros.sinks import LatestGraph
from vsgg_ros.ros.sync import ExternalDetector, GroundTruthSource, StampJoin
from vsgg_ros.vocab import load_vocabulary

log = logging.getLogger(__name__)
Reply = tuple[bool, str]


@dataclass(slots=True)
class Arrival:
    """A raw image message and its index in the stream (numbered on arrival, so drops leave gaps)."""

    index: int
    msg: Any


class DecodingSource(SkippingSource):
    """Frames decoded from pushed image messages on the consumer's (engine reader) thread."""

    name = "image topic"

    def __init__(self, push: PushSource[Arrival], source_id: str, default_frame_id: str) -> None:
        super().__init__()
        self.push = push
        self.source_id = source_id
        self.default_frame_id = default_frame_id

    def frames(self) -> Iterator[Frame]:
        for arrival in self.push.frames():
            try:
                yield image_to_frame(arrival.msg, arrival.index, self.source_id, self.default_frame_id)
            except BadFrame as err:
                self.skip(err, f"image {arrival.index}")

    def close(self) -> None:
        self.push.close()


class InputWatchdog:
    """Says when no input has arrived for ``timeout`` s; once per silence, re-armed by the next input."""

    def __init__(self, timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.clock = clock
        self.received = 0
        self._last = clock()
        self._warned = False

    def arm(self) -> None:
        self._last = self.clock()
        self._warned = False

    def seen(self) -> None:
        self.received += 1
        self._last = self.clock()
        self._warned = False

    def silent_for(self) -> float:
        return self.clock() - self._last

    def check(self) -> float | None:
        """Seconds of silence the first time it exceeds the timeout, else None."""
        silence = self.silent_for()
        if silence < self.timeout or self._warned:
            return None
        self._warned = True
        return silence


class EngineHost:
    """Everything the perception node does, minus rclpy."""

    def __init__(
        self,
        params: Mapping[str, Any],
        sinks: Sequence[Sink] = (),
        clock: Callable[[], float] = time.monotonic,
        models_factory: Callable[[Mapping[str, Any]], tuple[Models, EngineConfig]] = build_models,
    ) -> None:
        self.params = resolve(PERCEPTION_PARAMS, params)
        self.sinks = list(sinks)
        self.latest = LatestGraph()
        self.state = "unconfigured"
        self.enabled = bool(self.params["enabled"])
        self.watchdog = InputWatchdog(float(self.params["no_image_warn_s"]), clock)
        self.vocabulary: Vocabulary = load_vocabulary(self.params["vocabulary"])
        self.models: Models | None = None
        self.engine_config: EngineConfig | None = None
        self.pipeline: Pipeline | None = None
        self.input_drops: Counter[str] = Counter()
        self._models_factory = models_factory
        self._push: PushSource[Arrival] | None = None
        self._decoder: DecodingSource | None = None
        self._gt_source: GroundTruthSource | None = None
        self._ground_truth: StampJoin[SceneGraph] | None = None
        self._detections: StampJoin[list[Detection]] | None = None
        self._external: ExternalDetector | None = None
        self._thread: threading.Thread | None = None
        self._index = 0
        self._index_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def wants_ground_truth(self) -> bool:
        return self.params["head"] == "gt"

    @property
    def wants_detections(self) -> bool:
        return bool(self.params["use_external_detections"])

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def configure(self) -> None:
        """Check the parameters and load the models; raises ConfigError naming the bad parameter."""
        if self.state != "unconfigured":
            raise RuntimeError(f"configure from state {self.state!r}; cleanup first")
        self.models, self.engine_config = self._models_factory(self.params)
        self.state = "inactive"
        log.info("configured: head %s, engine %s", self.params["head"], self.engine_config)

    def activate(self) -> None:
        if self.state != "inactive":
            raise RuntimeError(f"activate from state {self.state!r}; configure first")
        if self.models is None:
            self.models, self.engine_config = self._models_factory(self.params)
        assert self.models is not None and self.engine_config is not None
        self._push = PushSource(maxsize=1)
        self._decoder = DecodingSource(self._push, self.params["source_id"], self.params["default_frame_id"])
        timeout = float(self.params["sync_timeout_s"])
        source: Any = self._decoder
        self._gt_source = None
        if self.wants_ground_truth:
            self._ground_truth = StampJoin()
            self._gt_source = GroundTruthSource(self._decoder, self._ground_truth, timeout)
            source = self._gt_source
        detector = self.models.detector
        if self.wants_detections:
            self._detections = StampJoin()
            self._external = ExternalDetector(self._detections, timeout)
            detector = self._external
        self.pipeline = Pipeline(
            source,
            self.models.tracker,
            self.models.predictor,
            [*self.sinks, self.latest],
            self.engine_config,
            detector=detector,
        )
        self.watchdog.arm()
        self._thread = threading.Thread(target=self._run, args=(self.pipeline,), name="vsgg-engine", daemon=True)
        self._thread.start()
        self.state = "active"

    def deactivate(self, timeout: float = 10.0) -> None:
        """Stop the engine, then drop the models and their GPU memory."""
        if self.state != "active":
            raise RuntimeError(f"deactivate from state {self.state!r}")
        self._stop_engine(timeout)
        self.models = None
        release_accelerator_memory()
        self.state = "inactive"

    def cleanup(self) -> None:
        if self.state == "active":
            self.deactivate()
        self.models = None
        self.engine_config = None
        self.latest.clear()
        self.state = "unconfigured"

    def shutdown(self) -> None:
        if self.state == "active":
            self.deactivate()
        self.state = "finalized"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the engine thread to end (tests, offline feeding); True if it has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def end_of_input(self) -> None:
        """No more images will come (offline feeding): the engine finishes what is queued, then stops."""
        if self._push is not None:
            self._push.close()

    def _stop_engine(self, timeout: float) -> None:
        if self.pipeline is not None:
            self.pipeline.stop()
        if self._push is not None:
            self._push.close()
            self._push.discard()
        for join in (self._ground_truth, self._detections):
            if join is not None:
                join.close()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("engine thread did not stop within %.1f s", timeout)
        self._thread = None

    def _run(self, pipeline: Pipeline) -> None:
        try:
            stats = pipeline.run()
            log.info("engine stopped: %s frames out", stats.get("frames_out"))
        except Exception:
            log.exception("engine failed; deactivate and activate the node to restart it")

    # -- input (subscription callbacks: never block) -----------------------------------------------
    def on_image(self, msg: Any) -> bool:
        """Queue a raw image message; False when it was not taken (inactive, disabled) or displaced one."""
        self.watchdog.seen()
        push = self._push
        if self.state != "active" or push is None:
            self.input_drops["inactive"] += 1
            return False
        if not self.enabled:
            self.input_drops["disabled"] += 1
            return False
        with self._index_lock:
            index = self._index
            self._index += 1
        return push.push(Arrival(index, msg))

    def push_wait(self, msg: Any, timeout: float | None = None) -> bool:
        """Lossless variant of :meth:`on_image` for offline feeding (bag replay tests)."""
        self.watchdog.seen()
        push = self._push
        if self.state != "active" or push is None or not self.enabled:
            return False
        with self._index_lock:
            index = self._index
            self._index += 1
        return push.push_wait(Arrival(index, msg), timeout)

    def on_ground_truth(self, graph: SceneGraph) -> None:
        join = self._ground_truth
        if join is not None:
            join.put(graph.stamp_ns, graph)

    def on_detections(self, stamp_ns: int, detections: list[Detection]) -> None:
        join = self._detections
        if join is not None:
            join.put(stamp_ns, detections)

    def object_labels(self) -> dict[str, int]:
        """Label -> class id of the active vocabulary (for external detections)."""
        return {label: i for i, label in enumerate(self.vocabulary.objects)}

    # -- services ----------------------------------------------------------------------------------
    def set_enabled(self, enabled: bool) -> Reply:
        self.enabled = bool(enabled)
        return True, "enabled" if self.enabled else "disabled: images are ignored until enabled again"

    def reset(self) -> Reply:
        """Forget tracks and relations; track ids keep increasing (the tracker's contract)."""
        if self.models is None:
            return False, f"no models loaded (state {self.state})"
        self.models.tracker.reset()
        if self.pipeline is not None:
            self.pipeline.assembler.reset()
        self.latest.clear()
        return True, "tracks and relations reset"

    def set_vocabulary(self, vocabulary: Vocabulary) -> Reply:
        """Switch label sets; every model that uses labels must accept it, or nothing changes."""
        if self.models is None:
            return False, f"no models loaded (state {self.state})"
        users = [m for m in (self.models.predictor, self.models.detector) if m is not None]
        targets = [getattr(m, "inner", m) for m in users]
        refusing = [type(t).__name__ for t in targets if not isinstance(t, VocabularyAware)]
        if refusing or not targets:
            names = ", ".join(refusing) or "no model"
            return False, f"vocabulary is fixed: {names} cannot change its labels (head {self.params['head']})"
        for model in users:
            if hasattr(model, "call"):
                model.call(lambda inner: inner.set_vocabulary(vocabulary))
            else:
                model.set_vocabulary(vocabulary)
        self.vocabulary = vocabulary
        sizes = f"{len(vocabulary.objects)} objects, {len(vocabulary.predicates)} predicates"
        return True, f"vocabulary {vocabulary.name!r}: {sizes}"

    def add_objects(self, boxes: Sequence[Box], labels: Sequence[str]) -> tuple[bool, str, list[int]]:
        if len(labels) not in (0, len(boxes)):
            return False, f"{len(labels)} labels for {len(boxes)} boxes; give one per box or none", []
        bad = [i for i, (x1, y1, x2, y2) in enumerate(boxes) if not (x2 > x1 and y2 > y1)]
        if bad:
            return False, f"boxes {bad} have no area (need x2 > x1 and y2 > y1)", []
        tracker = self._promptable()
        if isinstance(tracker, str):
            return False, tracker, []
        names = list(labels) or [""] * len(boxes)

        def add(inner: PromptableTracker) -> list[int]:
            return [
                inner.add_object(box=tuple(map(float, box)), label=name) for box, name in zip(boxes, names, strict=True)
            ]

        try:
            ids = self.models.tracker.call(add)  # type: ignore[union-attr]
        except RuntimeError as err:  # e.g. the tracker is full; objects added before the error stay
            return False, str(err), []
        return True, f"added {len(ids)} objects", ids

    def remove_objects(self, ids: Sequence[int]) -> tuple[bool, str, list[int]]:
        tracker = self._promptable()
        if isinstance(tracker, str):
            return False, tracker, []
        removed = self.models.tracker.call(lambda t: [i for i in ids if t.remove_object(int(i))])  # type: ignore[union-attr]
        missing = sorted(set(ids) - set(removed))
        return not missing, f"removed {len(removed)}" + (f"; unknown ids {missing}" if missing else ""), list(removed)

    def _promptable(self) -> PromptableTracker | str:
        if self.models is None:
            return f"no models loaded (state {self.state})"
        inner = self.models.tracker.inner
        if not isinstance(inner, PromptableTracker):
            return f"tracker {type(inner).__name__} cannot add or remove objects on request"
        return inner

    # -- diagnostics -------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.pipeline.snapshot() if self.pipeline is not None else {}
        drops = dict(result.get("drops", {}))
        if self._push is not None:
            for reason, n in self._push.dropped.items():
                drops[reason] = drops.get(reason, 0) + n
        for reason, n in self.input_drops.items():
            drops[reason] = drops.get(reason, 0) + n
        result["drops"] = dict(sorted(drops.items()))
        result["images_received"] = self.watchdog.received
        if self._gt_source is not None:
            result["ground_truth_missing"] = self._gt_source.missing["ground_truth"]
        if self._external is not None:
            result["detections_missing"] = self._external.missing
        return result

    def diagnostics(self) -> tuple[str, str, dict[str, str]]:
        """(level, message, key/values) for diagnostic_msgs/DiagnosticStatus."""
        stats = self.stats()
        latency = stats.get("latency_ms", {})
        values = {
            "state": self.state,
            "enabled": str(self.enabled).lower(),
            "images_received": str(stats["images_received"]),
            "frames_out": str(stats.get("frames_out", 0)),
            "input_fps": f"{stats.get('input_fps', 0.0):.2f}",
            "output_fps": f"{stats.get('output_fps', 0.0):.2f}",
            "latency_p50_ms": f"{latency.get('p50_ms', 0.0):.1f}",
            "latency_p95_ms": f"{latency.get('p95_ms', 0.0):.1f}",
            "drops_total": str(sum(stats["drops"].values())),
        }
        values.update({f"drops.{reason}": str(n) for reason, n in stats["drops"].items()})
        values.update({f"skipped.{reason}": str(n) for reason, n in stats.get("skipped_input", {}).items()})
        for key in ("ground_truth_missing", "detections_missing"):
            if key in stats:
                values[key] = str(stats[key])
        if self.state == "active" and not self.running:
            return "ERROR", "engine stopped; deactivate and activate to restart", values
        silence = self.watchdog.silent_for()
        if self.state == "active" and silence >= self.watchdog.timeout:
            return "WARN", f"no image for {silence:.1f} s", values
        if not self.enabled:
            return "OK", "disabled", values
        return "OK", f"{self.state}, {values['output_fps']} fps", values


def vocabulary_from_request(name: str, objects: Sequence[str], predicates: Sequence[str]) -> Vocabulary:
    """A built-in vocabulary by name, or a custom (open-vocabulary prompt) one from label lists."""
    if objects or predicates:
        if not objects or not predicates:
            raise ConfigError("a custom vocabulary needs both object_labels and predicate_labels")
        return Vocabulary(name or "custom", tuple(objects), tuple(predicates))
    if not name:
        raise ConfigError("give a vocabulary name or object_labels and predicate_labels")
    return load_vocabulary(name)
