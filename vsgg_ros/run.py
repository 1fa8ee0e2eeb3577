"""Builds a Pipeline from a RunConfig: which source, tracker, predictor and sinks a `vsgg run` uses."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from vsgg_ros.assembler import RelationPolicy
from vsgg_ros.config import ConfigError, RunConfig
from vsgg_ros.graph import Frame
from vsgg_ros.ground_truth import GroundTruthDetector, GroundTruthPredictor, GroundTruthTracker
from vsgg_ros.interfaces import Detector, Predictor, Sink, Source, Tracker
from vsgg_ros.io.files import VIDEO_SUFFIXES, ImageDirSource, VideoFileSource
from vsgg_ros.io.pacing import paced
from vsgg_ros.pipeline import EngineConfig, Pipeline

if TYPE_CHECKING:
    from vsgg_ros.heads.vost_cues import CueProvider

log = logging.getLogger(__name__)

HEADS = ("gt", "pals", "vost", "sage", "traser", "vlm", "none")
TRACKERS = ("gt", "association", "sam2", "vlm")
DETECTORS = ("none", "gt", "onnx")
DEVICES = {"cpu": "ort-cpu", "cuda": "ort-trt"}
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


class BuiltModels(NamedTuple):
    tracker: Tracker
    predictor: Predictor | None
    detector: Detector | None


def is_live(source: str) -> bool:
    return source.startswith(("tcp://", "ipc://", "inproc://"))


def open_source(config: RunConfig) -> Source:
    """The source for ``config.source``, chosen by its form; a clear error when it fits none."""
    spec = config.source
    if not spec:
        raise ConfigError("source: missing; give --source PATH or tcp://host:port")
    if is_live(spec):
        from vsgg_ros.io.zmq_source import ZmqImageSource

        return ZmqImageSource(spec, source_id=config.source_id)
    path = Path(spec)
    if not path.exists():
        raise FileNotFoundError(f"source {spec!r} does not exist")
    if path.suffix in (".mcap", ".db3") or (path.is_dir() and (path / "metadata.yaml").is_file()):
        from vsgg_ros.io.bag_source import BagSource

        return BagSource(path, config.topic, config.gt_topic, config.source_id)
    if path.is_dir():
        return ImageDirSource(path, source_id=config.source_id)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoFileSource(path, source_id=config.source_id)
    raise ConfigError(f"source: cannot tell what {spec!r} is (video {', '.join(VIDEO_SUFFIXES)}, folder, bag, tcp://)")


class _Paced:
    """Wraps a source so its frames arrive at the recorded rate."""

    def __init__(self, source: Source, speed: float) -> None:
        self.source = source
        self.speed = speed
        self.skipped = getattr(source, "skipped", {})

    def frames(self) -> Iterator[Frame]:
        return paced(self.source.frames(), self.speed)

    def close(self) -> None:
        self.source.close()


def build_models(config: RunConfig) -> BuiltModels:
    """The tracker, predictor and detector a config asks for; heavy libraries load only when chosen."""
    for key, value, allowed in (
        ("head", config.head, HEADS),
        ("tracker", config.tracker, TRACKERS),
        ("detector", config.detector, DETECTORS),
        ("device", config.device, tuple(DEVICES)),
    ):
        if value not in allowed:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(allowed)}")
    if config.tracker == "association" and config.detector == "none":
        raise ConfigError("tracker: association needs detections; set detector to onnx or gt")
    if config.tracker == "vlm" and config.head != "vlm":
        raise ConfigError("tracker: vlm publishes the VLM head's own objects; it needs head vlm")
    backend = DEVICES[config.device]
    predictor = _predictor(config, backend)
    tracker = predictor.tracker() if config.tracker == "vlm" else _tracker(config)  # type: ignore[union-attr]
    return BuiltModels(tracker, predictor, _detector(config, backend))


def _model_folder(config: RunConfig, key: str, head: str, default: str) -> Path:
    """``config.<key>`` as a folder; a bare name that is no existing folder is looked up in the model zoo,
    which verifies the files and refuses a model of another head or trained on another vocabulary."""
    explicit = getattr(config, key)
    if explicit and "/" not in explicit and not Path(explicit).is_dir():
        from vsgg_ros.vocab import load_vocabulary
        from vsgg_ros.zoo import Zoo

        try:
            zoo = Zoo.load(config.models.manifest)
            return zoo.resolve(explicit, head=head, vocabulary=load_vocabulary(config.models.vocabulary))
        except ValueError as err:  # ZooError, or an unknown models.vocabulary
            raise ConfigError(f"{key}: {err}") from err
    folder = Path(explicit) if explicit else MODELS_DIR / default
    if not (folder / "io_spec.json").is_file():
        raise FileNotFoundError(f"model folder {folder} has no io_spec.json")
    return folder


def _tracker(config: RunConfig) -> Tracker:
    if config.tracker == "association":
        from vsgg_ros.tracking.association import AssociationTracker

        return AssociationTracker()
    if config.tracker == "sam2":
        from vsgg_ros.tracking.sam2_stream import build_sam2_tracker

        settings = dict(config.sam2)
        settings["model"] = {"device": config.device, **settings.get("model", {})}
        return build_sam2_tracker(settings)
    return GroundTruthTracker()


def _cached_cues(path: str) -> CueProvider:
    """VOST cues from the graphs an earlier VLM pass wrote (``vsgg run --head vlm --jsonl …``), read once."""
    from vsgg_ros.eval.readers import read_graphs
    from vsgg_ros.heads.vost_cues import cached_cues

    stream = read_graphs(path, None)
    if not stream.graphs:
        raise ValueError(f"--cues {path}: no scene graphs could be read ({stream.invalid} invalid entries)")
    return cached_cues(stream.graphs)


def _predictor(config: RunConfig, backend: str) -> Predictor | None:
    if config.cues and config.head != "vost":
        raise ConfigError(f"cues: only the vost head reads cues, the head is {config.head!r}")
    if config.head == "pals":
        from vsgg_ros.heads.pals import PalsPredictor

        return PalsPredictor(_model_folder(config, "head_model", "pals", "pals-synth"), backend=backend)
    if config.head == "vost":
        from vsgg_ros.heads.vost import VostPredictor

        folder = _model_folder(config, "head_model", "vost", "vost-synth")
        if config.cues == "vlm":  # the SceneGraphVLM backend live, at its own rate (heads/vlm_cue_feed.py)
            from vsgg_ros.heads.vlm_cue_feed import VlmCuedPredictor, VlmCueFeed

            feed = VlmCueFeed(_vlm_predictor(config.vlm))
            return VlmCuedPredictor(VostPredictor(folder, backend=backend, cues=feed.provider), feed)
        return VostPredictor(folder, backend=backend, cues=_cached_cues(config.cues) if config.cues else None)
    if config.head == "sage":
        from vsgg_ros.heads.sage import SagePredictor

        return SagePredictor(_model_folder(config, "head_model", "sage", "sage-synth"), backend=backend)
    if config.head == "traser":
        from vsgg_ros.heads.traser import TraserPredictor

        folder = _model_folder(config, "head_model", "traser", "traser-synth")
        return TraserPredictor.from_folder(folder, backend=backend)
    if config.head == "vlm":
        return _vlm_predictor(config.vlm)
    return GroundTruthPredictor() if config.head == "gt" else None


VLM_KEYS = ("backend", "endpoint", "model", "schema", "vocabulary", "previous", "on_failure", "max_pixels", "timeout_s")


def _vlm_predictor(settings: dict[str, Any]) -> Predictor:
    """SceneGraphVLM over the configured backend (default: a vLLM server on loopback; docs/vlm.md)."""
    from vsgg_ros.vlm.backends import make_backend
    from vsgg_ros.vlm.predictor import VlmPredictor
    from vsgg_ros.vlm.schema import build_schema
    from vsgg_ros.vocab import load_vocabulary

    unknown = sorted(set(settings) - set(VLM_KEYS))
    if unknown:
        raise ConfigError(f"vlm.{unknown[0]}: unknown key; expected one of {', '.join(VLM_KEYS)}")
    name = settings.get("backend", "vllm-server")
    options: dict[str, Any] = {"model": settings.get("model", "sgvlm" if name == "vllm-server" else "tiny")}
    if name == "vllm-server":
        options["endpoint"] = settings.get("endpoint", "http://127.0.0.1:8000")
        if "timeout_s" in settings:
            options["timeout_s"] = settings["timeout_s"]
    schema_name = settings.get("schema", "ag")
    vocab = None if schema_name == "open" else load_vocabulary(settings.get("vocabulary", schema_name))
    extra = {k: settings[k] for k in ("previous", "on_failure", "max_pixels") if k in settings}
    return VlmPredictor(make_backend(name, **options), build_schema(schema_name, vocab), **extra)


def _detector(config: RunConfig, backend: str) -> Detector | None:
    if config.detector == "onnx":
        from vsgg_ros.detection.detector import OnnxDetector

        return OnnxDetector(_model_folder(config, "detector_model", "detector", "detector-synth"), backend=backend)
    return GroundTruthDetector() if config.detector == "gt" else None


def open_sinks(config: RunConfig, stack: contextlib.ExitStack) -> list[Sink]:
    """Every output asked for; each is registered on ``stack`` so a failure while opening the next
    still closes (finalises) the ones already open."""
    sinks: list[Sink] = []

    def add(sink: Any) -> None:
        stack.callback(sink.close)
        sinks.append(sink)

    if config.zmq:
        from vsgg_ros.io.zmq_sink import ZmqGraphSink

        add(ZmqGraphSink(config.zmq, latest_only=config.zmq_latest_only))
    if config.out:
        from vsgg_ros.io.bag_sink import McapGraphSink

        add(McapGraphSink(config.out, debug_images=config.out_images))
    if config.jsonl:
        from vsgg_ros.io.jsonl_sink import JsonlSink

        add(JsonlSink(config.jsonl))
    if config.render:
        from vsgg_ros.render import VideoRenderSink

        add(VideoRenderSink(config.render))
    return sinks


def engine_config(config: RunConfig) -> EngineConfig:
    live = config.realtime or is_live(config.source)
    mode = config.engine.predictor_mode
    return EngineConfig(
        queue_size=config.engine.queue_size,
        drop_frames=live,
        predictor_mode=("async" if live else "sync") if mode == "auto" else mode,
        latency_from=config.engine.latency_from,
        max_frames=config.max_frames,
        relation_policy=RelationPolicy(
            config.relations.max_age_frames, config.relations.max_age_sec, config.relations.keep_lost
        ),
    )


def run(config: RunConfig, progress: bool = True) -> dict[str, object]:
    """Run the whole stream; returns the engine's stats (also on interruption)."""
    tracker, predictor, detector = build_models(config)
    source = open_source(config)
    if config.realtime and not is_live(config.source):
        source = _Paced(source, config.speed)
    with contextlib.ExitStack() as stack:
        stack.callback(source.close)
        if callable(close := getattr(predictor, "close", None)):  # e.g. the live VLM cue feed's thread
            stack.callback(close)
        sinks = open_sinks(config, stack)
        pipeline = Pipeline(source, tracker, predictor, sinks, engine_config(config), detector)
        bar = _progress_bar(config, progress)
        stats = pipeline.run(on_graph=(lambda _graph: bar.update(1)) if bar is not None else None)
        if bar is not None:
            bar.close()
    outputs = {name: value for name in ("zmq", "out", "jsonl", "render") if (value := getattr(config, name))}
    if config.out:
        from vsgg_ros.io.bag_writer import bag_folder

        outputs["out"] = str(bag_folder(config.out))
    stats["outputs"] = outputs
    return stats


def _progress_bar(config: RunConfig, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=config.max_frames, unit="frame", desc="vsgg run", dynamic_ncols=True)
