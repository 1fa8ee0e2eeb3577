"""The one table of node parameters and launch arguments, and how parameters become a RunConfig.

Everything that names a parameter reads it from here: the nodes declare each :class:`ParamSpec` (with its
description, type and validator), the launch files declare one launch argument per :class:`LaunchArg`,
and the tests check that the two agree. No rclpy or launch import happens in this module.

Parameters that choose models map onto `vsgg run`'s RunConfig (``run_key``), so the node builds exactly
the tracker and predictor that ``vsgg run`` would (:func:`run_config_from_params`). Options without a
node parameter come from a `vsgg run` YAML (``run_config``) or ``run_set`` items; a key given both ways is
an error rather than a silent precedence rule.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vsgg_ros.config import ConfigError, RunConfig, load_config
from vsgg_ros.ros.qos import RELIABILITIES

ParamValue = bool | int | float | str
Validator = Callable[[Any], str | None]


@dataclass(frozen=True)
class ParamSpec:
    """One ROS parameter: ``validate`` returns an error text (None when the value is fine)."""

    name: str
    default: ParamValue
    description: str
    validate: Validator | None = None
    run_key: str | None = None

    @property
    def type(self) -> type:
        return type(self.default)

    def check(self, value: Any) -> str | None:
        if type(value) is not self.type:
            return f"{self.name}: expected {self.type.__name__}, got {type(value).__name__} {value!r}"
        problem = self.validate(value) if self.validate is not None else None
        return f"{self.name}: {problem}" if problem else None


def one_of(*choices: str) -> Validator:
    return lambda v: None if v in choices else f"{v!r} is not one of {', '.join(choices)}"


def at_least(low: float) -> Validator:
    return lambda v: None if v >= low else f"must be >= {low}, got {v}"


def positive(v: float) -> str | None:
    return None if v > 0 else f"must be > 0, got {v}"


def non_empty(v: str) -> str | None:
    return None if v.strip() else "must not be empty"


def _head(v: str) -> str | None:
    from vsgg_ros import run

    return None if v in run.HEADS else f"{v!r} is not one of the heads of `vsgg run`: {', '.join(run.HEADS)}"


def _vocabulary(v: str) -> str | None:
    from vsgg_ros.vocab import available_vocabularies

    names = available_vocabularies()
    return None if v in names else f"{v!r} is not one of {', '.join(names)}"


def _run_set(v: str) -> str | None:
    try:
        parse_run_set(v)
    except ConfigError as err:
        return str(err)
    return None


def _existing_file(v: str) -> str | None:
    return None if not v or Path(v).is_file() else f"file {v!r} does not exist"


PERCEPTION_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("autostart", True, "Configure and activate on start (no lifecycle manager needed)."),
    ParamSpec("enabled", True, "Process images; the `enable` service (std_srvs/SetBool) toggles it at run time."),
    ParamSpec("compressed", False, "Subscribe to sensor_msgs/CompressedImage instead of sensor_msgs/Image."),
    ParamSpec(
        "qos_reliability",
        "best_effort",
        "Reliability of the image subscription: best_effort (sensor data, matches every publisher), "
        "reliable or system_default.",
        one_of(*RELIABILITIES),
    ),
    ParamSpec("qos_depth", 1, "History depth of the image subscription (1: only the newest image).", at_least(1)),
    ParamSpec("no_image_warn_s", 5.0, "Warn when no image arrives for this many seconds.", positive),
    ParamSpec(
        "source_id", "camera", "Camera name in outputs (SceneGraph.source_id, ZeroMQ topic).", non_empty, "source_id"
    ),
    ParamSpec("default_frame_id", "camera", "frame_id used when an image arrives with an empty one.", non_empty),
    ParamSpec("head", "gt", "Relation head, as `vsgg run --head` (gt needs the ground_truth topic).", _head, "head"),
    ParamSpec("device", "", "Inference device for the models (empty: the `vsgg run` default).", None, "device"),
    ParamSpec(
        "detector_model",
        "",
        "Detector model: a name in models/manifest.yaml or a folder (empty: none / the `vsgg run` default).",
        None,
        "detector_model",
    ),
    ParamSpec(
        "head_model",
        "",
        "Relation head model: a name in models/manifest.yaml or a folder (empty: the `vsgg run` default).",
        None,
        "head_model",
    ),
    ParamSpec(
        "cues",
        "",
        "VOST cues, as `vsgg run --cues`: vlm (the vlm section's SceneGraphVLM backend, live) or a file of an "
        "earlier VLM pass's graphs (empty: none).",
        None,
        "cues",
    ),
    ParamSpec(
        "predictor_mode",
        "auto",
        "auto (async when realtime), sync (every frame, deterministic) or async (own thread, newest frame).",
        one_of("auto", "sync", "async"),
        "engine.predictor_mode",
    ),
    ParamSpec("queue_size", 2, "Frames waiting inside the engine.", at_least(1), "engine.queue_size"),
    ParamSpec(
        "realtime",
        True,
        "Live input: drop frames the engine cannot keep up with. false: never drop inside the engine "
        "(bag evaluation; play the bag slowly enough).",
        None,
        "realtime",
    ),
    ParamSpec("run_config", "", "A `vsgg run` YAML for options without a node parameter.", _existing_file),
    ParamSpec("run_set", "", "`vsgg run --set` items for options without a node parameter, ';'-separated.", _run_set),
    ParamSpec(
        "vocabulary",
        "ag",
        "Label set published on the latched `vocabulary` topic; models chosen by zoo name must be trained on it.",
        _vocabulary,
        "models.vocabulary",
    ),
    ParamSpec(
        "use_external_detections",
        False,
        "Take detections from the `detections_in` topic (vision_msgs/Detection2DArray) instead of a detector.",
    ),
    ParamSpec(
        "sync_timeout_s",
        0.1,
        "How long the engine waits for ground truth / external detections with an image's stamp.",
        at_least(0.0),
    ),
    ParamSpec("marker_scale", 0.002, "RViz markers: metres per image pixel on the marker board.", positive),
    ParamSpec("marker_depth", 2.0, "RViz markers: distance of the marker board from the camera (m).", positive),
    ParamSpec("diagnostics_period_s", 1.0, "Period of the diagnostics message.", positive),
)

BRIDGE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("endpoint", "tcp://127.0.0.1:5555", "ZeroMQ PUB endpoint to bind.", non_empty),
    ParamSpec("topics", "scene_graph", "SceneGraph topics to republish, comma-separated.", non_empty),
    ParamSpec("latest_only", False, "Single-frame messages for subscribers that set ZMQ_CONFLATE."),
    ParamSpec("hwm", 100, "ZeroMQ send high-water mark (messages); beyond it graphs are dropped.", at_least(1)),
)


@dataclass(frozen=True)
class LaunchArg:
    """A launch argument and where it goes: ``param`` (node, parameter), ``remap`` (node, topic) or
    ``launch`` (namespace, config file, switches; used by the launch file itself)."""

    name: str
    default: str
    description: str
    kind: str
    node: str = ""
    target: str = ""


def launch_default(value: ParamValue) -> str:
    """A parameter default as launch-argument text (launch parses it back with YAML rules)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _param_arg(node: str, spec: ParamSpec, name: str | None = None) -> LaunchArg:
    return LaunchArg(name or spec.name, launch_default(spec.default), spec.description, "param", node, spec.name)


def _by_name(specs: tuple[ParamSpec, ...]) -> dict[str, ParamSpec]:
    return {s.name: s for s in specs}


_P = _by_name(PERCEPTION_PARAMS)
_B = _by_name(BRIDGE_PARAMS)

LIVE_LAUNCH_ARGS: tuple[LaunchArg, ...] = (
    LaunchArg("namespace", "vsgg", "Namespace of both nodes (one per camera).", "launch"),
    LaunchArg(
        "image_topic",
        "/camera/image_raw",
        "Camera topic (…/compressed with compressed:=true).",
        "remap",
        "perception",
        "image",
    ),
    LaunchArg(
        "ground_truth_topic",
        "/vsgg/ground_truth",
        "Ground-truth SceneGraph topic (head gt).",
        "remap",
        "perception",
        "ground_truth",
    ),
    LaunchArg(
        "detections_topic",
        "/detections",
        "External vision_msgs/Detection2DArray topic.",
        "remap",
        "perception",
        "detections_in",
    ),
    _param_arg("perception", _P["source_id"], "camera_name"),
    _param_arg("perception", _P["compressed"]),
    _param_arg("perception", _P["qos_reliability"]),
    _param_arg("perception", _P["head"]),
    _param_arg("perception", _P["device"]),
    _param_arg("perception", _P["detector_model"]),
    _param_arg("perception", _P["head_model"]),
    _param_arg("perception", _P["use_external_detections"]),
    _param_arg("perception", _P["realtime"]),
    _param_arg("perception", _P["predictor_mode"]),
    _param_arg("bridge", _B["endpoint"], "zmq_endpoint"),
    LaunchArg("use_sim_time", "false", "Use the /clock topic (bag replay).", "param", "*", "use_sim_time"),
    _param_arg("perception", _P["autostart"]),
    LaunchArg("zmq", "true", "Start the ZeroMQ bridge node.", "launch"),
    LaunchArg("rviz", "false", "Start RViz with launch/config/vsgg.rviz.", "launch"),
    LaunchArg(
        "config", "", "Parameter YAML for the perception node (default: launch/config/perception.yaml).", "launch"
    ),
    LaunchArg("log_level", "info", "ROS log level of the nodes.", "launch"),
)


REPLAY_LAUNCH_ARGS: tuple[LaunchArg, ...] = (
    LaunchArg("bag", "", "rosbag2 folder (or .mcap) to play; required.", "launch"),
    LaunchArg("rate", "1.0", "Playback rate; lower it until the diagnostics report no drops.", "launch"),
    LaunchArg("start_delay", "3.0", "Seconds to wait for the node to activate before playing.", "launch"),
    LaunchArg("drain", "2.0", "Seconds to keep recording after the bag ends.", "launch"),
    LaunchArg("out", "", "Folder for the recorded predictions (default: <bag>_vsgg).", "launch"),
    LaunchArg("protocol", "ag", "`vsgg eval --protocol` run on the recording (none: skip).", "launch"),
    *(a for a in LIVE_LAUNCH_ARGS if a.name in ("namespace", "image_topic", "ground_truth_topic", "camera_name")),
    *(a for a in LIVE_LAUNCH_ARGS if a.name in ("qos_reliability", "head", "device", "detector_model", "head_model")),
    *(a for a in LIVE_LAUNCH_ARGS if a.name in ("config", "log_level")),
)

# What replay.launch.py passes to live.launch.py regardless of arguments: evaluation wants the bag's clock,
# every frame predicted in order (sync predictor, no drops inside the engine) and no ZeroMQ/RViz side jobs.
REPLAY_FIXED: dict[str, str] = {
    "use_sim_time": "true",
    "realtime": "false",
    "predictor_mode": "sync",
    "zmq": "false",
    "rviz": "false",
}


def parse_launch_value(text: str, default: ParamValue) -> ParamValue:
    """Launch-argument text -> a value of the parameter's type (no YAML guessing: "0" stays a string
    for a string parameter); raises ConfigError naming the text."""
    kind = type(default)
    if kind is bool:
        folded = text.strip().lower()
        if folded not in ("true", "false"):
            raise ConfigError(f"{text!r} is not true or false")
        return folded == "true"
    if kind is int or kind is float:
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
    return text


def launch_parameters(args: tuple[LaunchArg, ...], given: Mapping[str, str], node: str) -> dict[str, ParamValue]:
    """The parameter dict a launch file passes to ``node``, from launch-argument texts."""
    specs = {s.name: s for s in param_specs(node)}
    out: dict[str, ParamValue] = {}
    for arg in args:
        if arg.kind != "param" or arg.node not in (node, "*") or arg.name not in given:
            continue
        default: ParamValue = specs[arg.target].default if arg.target in specs else False
        try:
            out[arg.target] = parse_launch_value(given[arg.name], default)
        except ConfigError as err:
            raise ConfigError(f"launch argument {arg.name}: {err}") from None
    return out


def param_specs(node: str) -> tuple[ParamSpec, ...]:
    if node == "perception":
        return PERCEPTION_PARAMS
    if node == "bridge":
        return BRIDGE_PARAMS
    raise ValueError(f"unknown node {node!r}; expected perception or bridge")


def validate(specs: tuple[ParamSpec, ...], values: Mapping[str, Any]) -> list[str]:
    """Every problem with ``values`` (unknown names included), each naming its parameter."""
    known = _by_name(specs)
    problems = [f"{name}: unknown parameter" for name in values if name not in known]
    problems += [p for name, value in values.items() if name in known and (p := known[name].check(value))]
    return problems


def resolve(specs: tuple[ParamSpec, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``given``; raises ConfigError listing every invalid value."""
    values = {s.name: s.default for s in specs}
    values.update(given)
    problems = validate(specs, values)
    if problems:
        raise ConfigError("invalid parameters: " + "; ".join(problems))
    return values


def parse_run_set(text: str) -> list[str]:
    """``"a.b=1; c=x"`` -> ``["a.b=1", "c=x"]``; each item must be ``key=value``."""
    items = [item.strip() for item in text.split(";") if item.strip()]
    for item in items:
        key, sep, _ = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"run_set item {item!r}: expected section.key=value")
    return items


def run_config_from_params(values: Mapping[str, Any]) -> RunConfig:
    """The RunConfig `vsgg run` would use for these node parameters.

    Node parameters with a ``run_key`` win; the same key set in ``run_config`` or ``run_set`` as well is
    a ConfigError. A non-default parameter whose key this build's RunConfig lacks is a ConfigError too
    (a model option of a newer `vsgg run`), an empty default one is simply not forwarded.
    """
    overrides = parse_run_set(values.get("run_set", ""))
    path = values.get("run_config") or None
    owned = {s.run_key: s.name for s in PERCEPTION_PARAMS if s.run_key}
    elsewhere = {item.partition("=")[0].strip() for item in overrides}
    if path is not None:
        elsewhere |= _yaml_keys(Path(path))
    for key in sorted(elsewhere & set(owned)):
        raise ConfigError(f"{key}: set it with the node parameter {owned[key]!r}, not in run_config/run_set")
    flags: dict[str, Any] = {}
    nested: list[str] = []
    for spec in PERCEPTION_PARAMS:
        if spec.run_key is None or spec.name not in values:
            continue
        value = values[spec.name]
        if value == "" and spec.default == "":
            continue  # empty means "the `vsgg run` default"
        if not _has_key(spec.run_key):
            if value != spec.default:
                raise ConfigError(f"parameter {spec.name}: this build's `vsgg run` has no option {spec.run_key!r}")
            continue
        if "." in spec.run_key:
            nested.append(f"{spec.run_key}={launch_default(value)}")
        else:
            flags[spec.run_key] = value
    return load_config(path, flags, overrides + nested)


def _has_key(dotted: str) -> bool:
    cls: Any = RunConfig
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(cls):
            return False
        hints = typing.get_type_hints(cls)
        if part not in hints:
            return False
        cls = hints[part]
    return True


def _yaml_keys(path: Path) -> set[str]:
    """Dotted keys set in a `vsgg run` YAML (``engine.queue_size``, ``head``)."""
    data = yaml.safe_load(path.read_text()) or {}
    keys: set[str] = set()

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                key = f"{prefix}{k}"
                keys.add(key)
                walk(v, key + ".")

    walk(data, "")
    return keys
