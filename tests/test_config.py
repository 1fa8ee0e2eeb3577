"""`vsgg run` configuration: one strict schema for files, --set overrides and flags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from vsgg_ros.cli import build_parser
from vsgg_ros.config import ConfigError, RunConfig, flag_specs, from_dict, load_config
from vsgg_ros.run import engine_config


def test_precedence_defaults_file_set_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("source: a.mp4\nmax_frames: 10\nengine:\n  queue_size: 5\nrelations:\n  max_age_sec: null\n")
    config = load_config(cfg, {"max_frames": 20, "zmq": None}, ["engine.queue_size=7", "relations.keep_lost=true"])
    assert config.source == "a.mp4"
    assert config.max_frames == 20  # the flag wins over the file
    assert config.engine.queue_size == 7  # --set wins over the file
    assert config.relations.keep_lost is True and config.relations.max_age_sec is None
    assert config.relations.max_age_frames == RunConfig().relations.max_age_frames


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("engine:\n  queue_sise: 3\n", "engine.queue_sise: unknown key"),
        ("sourse: x\n", "sourse: unknown key"),
        ("max_frames: many\n", "max_frames: expected an integer"),
        ("realtime: 1\n", "realtime: expected true/false"),
        ("engine:\n  predictor_mode: sometimes\n", "engine.predictor_mode: 'sometimes' is not one of"),
        ("engine: 3\n", "engine: expected a mapping"),
        ("- a\n- b\n", "top level must be a mapping"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(cfg, {}, [])


def test_bad_set_syntax() -> None:
    with pytest.raises(ConfigError, match=r"expected section\.key=value"):
        load_config(None, {}, ["engine.queue_size"])


def test_every_scalar_field_is_a_flag_and_parses() -> None:
    parser = build_parser()
    names = {name for name, _, _ in flag_specs()}
    assert names == {"source", "topic", "gt_topic", "source_id", "head", "head_model", "cues", "tracker", "detector",
                     "detector_model", "device", "zmq", "zmq_latest_only", "out", "out_images", "jsonl", "render",
                     "max_frames", "realtime", "speed"}
    args = parser.parse_args(["run", "--source", "x.mp4", "--max-frames", "3", "--realtime", "--speed", "2"])
    assert (args.source, args.max_frames, args.realtime, args.speed) == ("x.mp4", 3, True, 2.0)
    assert args.zmq is None and args.out_images is None  # unset flags do not override a config file


def test_engine_mode_follows_the_source() -> None:
    offline = engine_config(load_config(None, {"source": "x.mcap"}, []))
    assert (offline.predictor_mode, offline.drop_frames) == ("sync", False)
    live = engine_config(load_config(None, {"source": "tcp://127.0.0.1:5000"}, []))
    assert (live.predictor_mode, live.drop_frames) == ("async", True)
    forced = engine_config(load_config(None, {"source": "x.mcap", "realtime": True},
                                       ["engine.predictor_mode=sync"]))
    assert (forced.predictor_mode, forced.drop_frames) == ("sync", True)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"head": "sttran"}, "head: 'sttran' is not one of"),
        ({"tracker": "kalman"}, "tracker: 'kalman' is not one of"),
        ({"tracker": "association"}, "association needs detections"),
        ({"device": "tpu"}, "device: 'tpu' is not one of"),
    ],
)
def test_model_choices_are_validated(flags: dict, message: str) -> None:
    from vsgg_ros.run import build_models

    with pytest.raises(ConfigError, match=re.escape(message)):
        build_models(load_config(None, {"source": "x.mcap", **flags}, []))


def test_model_folders_must_exist(tmp_path: Path) -> None:
    from vsgg_ros.run import build_models

    with pytest.raises(FileNotFoundError, match=r"io_spec\.json"):
        build_models(load_config(None, {"source": "x", "head": "pals", "head_model": str(tmp_path)}, []))


def test_vlm_head_settings_are_checked_before_anything_loads() -> None:
    from vsgg_ros.run import build_models

    with pytest.raises(ConfigError, match=r"vlm\.endpiont: unknown key"):
        build_models(load_config(None, {"source": "x", "head": "vlm"}, ["vlm.endpiont=http://127.0.0.1:1"]))
    with pytest.raises(ConfigError, match="needs head vlm"):
        build_models(load_config(None, {"source": "x", "tracker": "vlm"}, []))


def test_vlm_head_builds_a_server_backend_without_contacting_it() -> None:
    from vsgg_ros.run import build_models
    from vsgg_ros.vlm.predictor import VlmPredictor

    built = build_models(load_config(None, {"source": "x", "head": "vlm", "tracker": "vlm"},
                                     ["vlm.endpoint=http://127.0.0.1:9", "vlm.schema=ag"]))
    assert isinstance(built.predictor, VlmPredictor)
    assert type(built.tracker).__name__ == "VlmObjectTracker"  # the VLM's own objects become the tracks
    assert built.detector is None


def test_tuples_are_read_from_lists_with_their_item_types_checked() -> None:
    @dataclass
    class Shape:
        size: tuple[int, int] = (1, 1)
        weights: tuple[float, ...] = ()

    assert from_dict(Shape, {"size": [320, 240], "weights": [1, 2.5]}) == Shape((320, 240), (1.0, 2.5))
    with pytest.raises(ConfigError, match="size: expected 2 items"):
        from_dict(Shape, {"size": [1, 2, 3]})
    with pytest.raises(ConfigError, match=r"weights\[1\]: expected a number"):
        from_dict(Shape, {"weights": [1.0, "x"]})
    with pytest.raises(ConfigError, match="size: expected a list"):
        from_dict(Shape, {"size": 5})
