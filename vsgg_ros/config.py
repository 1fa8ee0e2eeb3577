"""One schema for `vsgg run`: YAML config files and command-line flags fill the same dataclasses.

Loading is strict: an unknown key, or a value of the wrong type, is an error that names the key
(``engine.queue_sise: unknown key; expected one of …``). Flags are generated from the top-level
fields, so a flag and a config key can never drift apart; nested sections are set from a file or
with ``--set section.key=value``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml


class ConfigError(ValueError):
    """A config file or flag that does not fit the schema; the message names the key."""


def _opt(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass
class EngineSection:
    queue_size: int = 2
    predictor_mode: Literal["auto", "sync", "async"] = "auto"
    latency_from: Literal["auto", "stamp", "arrival"] = "auto"


@dataclass
class RelationSection:
    max_age_frames: int | None = 150
    max_age_sec: float | None = 5.0
    keep_lost: bool = False


@dataclass
class ModelsSection:
    """Model zoo (models/manifest.yaml): where it is, and the label set models chosen by name must be trained on."""

    manifest: str | None = None
    vocabulary: str = "ag"


@dataclass
class RunConfig:
    """Everything `vsgg run` needs; each field's help is also its `--flag` help."""

    source: str = _opt("", "video, image folder, rosbag2 folder/.mcap/.db3, or tcp://host:port ZeroMQ images")
    topic: str | None = _opt(None, "image topic inside a bag (default: auto-detect)")
    gt_topic: str = _opt("/vsgg/ground_truth", "ground-truth SceneGraph topic in a bag (for --head gt, evaluation)")
    source_id: str = _opt("camera", "name of the camera in outputs (ZeroMQ topic suffix, SceneGraph.source_id)")
    head: str = _opt("gt", "relation predictor: gt (replay ground truth), pals, vost, sage, traser, vlm, or none")
    head_model: str | None = _opt(
        None, "head model: a name in models/manifest.yaml (verified), or a folder (default: models/<head>-synth)"
    )
    cues: str | None = _opt(
        None,
        "VOST cues: 'vlm' (the SceneGraphVLM backend of the vlm section, live at its own rate) or the scene "
        "graphs of an earlier VLM pass over the same source (JSONL or bag); default: none",
    )
    tracker: str = _opt("gt", "tracker: gt (annotated tracks), association, sam2, or vlm (the VLM's own objects)")
    detector: str = _opt("none", "detections for the tracker: none, gt (annotated boxes), or onnx")
    detector_model: str | None = _opt(
        None, "ONNX detector: a name in models/manifest.yaml (verified), or a folder (default: models/detector-synth)"
    )
    device: str = _opt("cpu", "cpu (ONNX Runtime CPU) or cuda (ONNX Runtime TensorRT, strict: no CPU fallback)")
    zmq: str | None = _opt(None, "publish graphs on this ZeroMQ endpoint, e.g. tcp://127.0.0.1:5555")
    zmq_latest_only: bool = _opt(False, "single-frame messages for subscribers that set ZMQ_CONFLATE")
    out: str | None = _opt(None, "write SceneGraph messages to this MCAP file")
    out_images: bool = _opt(False, "also write the rendered debug image into the MCAP")
    jsonl: str | None = _opt(None, "write one JSON graph per line to this file")
    render: str | None = _opt(None, "draw graphs on the frames into this .mp4")
    max_frames: int | None = _opt(None, "stop after this many frames")
    realtime: bool = _opt(False, "pace recorded input by its timestamps and drop frames the engine cannot keep up with")
    speed: float = _opt(1.0, "playback speed factor for --realtime")
    engine: EngineSection = field(default_factory=EngineSection)
    relations: RelationSection = field(default_factory=RelationSection)
    models: ModelsSection = field(default_factory=ModelsSection)
    # Passed through to the SAM2 tracker / the VLM head, which validate them and name unknown keys
    # (docs/sam2.md, docs/vlm.md).
    sam2: dict[str, Any] = field(default_factory=dict)
    vlm: dict[str, Any] = field(default_factory=dict)


def load_config(path: str | Path | None, flags: dict[str, Any], overrides: list[str]) -> RunConfig:
    """Merge defaults <- YAML file <- ``--set`` overrides <- explicit flags (later wins)."""
    data: dict[str, Any] = {}
    if path is not None:
        text = Path(path).read_text()
        loaded = yaml.safe_load(text) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(loaded).__name__}")
        data = loaded
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected section.key=value")
        _assign(data, key.split("."), yaml.safe_load(raw))
    for key, value in flags.items():
        if value is not None:
            data[key] = value
    return from_dict(RunConfig, data)


def from_dict(cls: type[Any], data: Any, where: str = "") -> Any:
    """Build dataclass ``cls`` from plain data, rejecting unknown keys and mistyped values by name."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{key}: unknown key; expected one of {', '.join(sorted(fields))}")
    values = {}
    for name, value in data.items():
        key = f"{where}.{name}" if where else name
        values[name] = _coerce(hints[name], value, key)
    return cls(**values)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if errors else f"{key}: invalid value {value!r}")
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(map(repr, allowed))}")
        return value
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, key)
    if origin is tuple:
        return _coerce_tuple(typing.get_args(hint), value, key)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true/false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported schema type {hint!r}")


def _coerce_tuple(items: tuple[Any, ...], value: Any, key: str) -> tuple[Any, ...]:
    """``tuple[X, ...]`` or a fixed ``tuple[X, Y]`` from a list (YAML, JSON and checkpoints store lists)."""
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{key}: expected a list, got {value!r}")
    if len(items) == 2 and items[1] is Ellipsis:
        items = (items[0],) * len(value)
    elif len(value) != len(items):
        raise ConfigError(f"{key}: expected {len(items)} items, got {len(value)}")
    return tuple(_coerce(hint, v, f"{key}[{i}]") for i, (hint, v) in enumerate(zip(items, value, strict=True)))


def _assign(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        node = data.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{'.'.join(path)}: {part} is not a section")
        data = node
    data[path[-1]] = value


def flag_specs() -> list[tuple[str, Any, str]]:
    """(field name, type hint, help) for each top-level scalar field: the CLI builds its flags from these."""
    hints = typing.get_type_hints(RunConfig)
    return [
        (f.name, hints[f.name], f.metadata.get("help", ""))
        for f in dataclasses.fields(RunConfig)
        if not dataclasses.is_dataclass(hints[f.name]) and typing.get_origin(hints[f.name]) is not dict
    ]
