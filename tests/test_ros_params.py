"""The parameter table: defaults valid, bad values named, and the mapping onto `vsgg run`'s RunConfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from vsgg_ros import run
from vsgg_ros.config import ConfigError, load_config
from vsgg_ros.ros.params import (
    BRIDGE_PARAMS,
    PERCEPTION_PARAMS,
    parse_launch_value,
    parse_run_set,
    resolve,
    run_config_from_params,
    validate,
)
from vsgg_ros.ros.qos import LATCHED_QOS, QosSettings, image_qos, incompatible_qos_message, no_input_message


@pytest.mark.parametrize("specs", [PERCEPTION_PARAMS, BRIDGE_PARAMS])
def test_every_default_is_valid_and_documented(specs: tuple) -> None:
    assert validate(specs, {s.name: s.default for s in specs}) == []
    assert len({s.name for s in specs}) == len(specs)
    for spec in specs:
        assert spec.description.strip().endswith((".", ")")), spec.name
        assert spec.type in (bool, int, float, str), spec.name


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("qos_reliability", "reliabel", "qos_reliability: 'reliabel' is not one of best_effort, reliable"),
        ("qos_depth", 0, "qos_depth: must be >= 1, got 0"),
        ("no_image_warn_s", 5, "no_image_warn_s: expected float, got int 5"),
        ("head", "pals9", "head: 'pals9' is not one of the heads of `vsgg run`"),
        ("vocabulary", "coco", "vocabulary: 'coco' is not one of ag"),
        ("source_id", " ", "source_id: must not be empty"),
        ("run_set", "engine.queue_size", "expected section.key=value"),
        ("run_config", "/nonexistent/run.yaml", "does not exist"),
        ("compressed", "yes", "compressed: expected bool, got str"),
        ("nope", 1, "nope: unknown parameter"),
    ],
)
def test_bad_values_are_rejected_by_name(name: str, value: object, message: str) -> None:
    problems = validate(PERCEPTION_PARAMS, {name: value})
    assert len(problems) == 1 and message in problems[0]
    with pytest.raises(ConfigError, match=name):
        resolve(PERCEPTION_PARAMS, {name: value})


def test_node_defaults_build_what_vsgg_run_builds_for_a_live_source() -> None:
    config = run_config_from_params(resolve(PERCEPTION_PARAMS, {}))
    assert config == load_config(None, {"head": "gt", "source_id": "camera", "realtime": True}, [])
    engine = run.engine_config(config)
    assert engine.drop_frames and engine.predictor_mode == "async"  # live: newest frame wins
    tracker, predictor = run.build_models(config)[:2]
    assert type(tracker).__name__ == "GroundTruthTracker" and predictor is not None and predictor.model_id == "gt"


def test_evaluation_settings_match_an_offline_vsgg_run() -> None:
    values = resolve(PERCEPTION_PARAMS, {"realtime": False, "predictor_mode": "sync", "queue_size": 4, "head": "none"})
    config = run_config_from_params(values)
    assert (config.head, config.realtime, config.engine.predictor_mode, config.engine.queue_size) == (
        "none",
        False,
        "sync",
        4,
    )
    engine = run.engine_config(config)
    assert not engine.drop_frames and engine.predictor_mode == "sync" and engine.queue_size == 4


def test_run_set_and_run_config_fill_options_without_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("relations:\n  max_age_frames: 7\n")
    values = resolve(PERCEPTION_PARAMS, {"run_config": str(path), "run_set": "relations.keep_lost=true; max_frames=9"})
    config = run_config_from_params(values)
    assert (config.relations.max_age_frames, config.relations.keep_lost, config.max_frames) == (7, True, 9)


@pytest.mark.parametrize("run_set", ["head=none", "engine.queue_size=3"])
def test_a_key_owned_by_a_parameter_cannot_be_set_twice(run_set: str) -> None:
    with pytest.raises(ConfigError, match="set it with the node parameter"):
        run_config_from_params(resolve(PERCEPTION_PARAMS, {"run_set": run_set}))


def test_model_options_unknown_to_this_run_config() -> None:
    from vsgg_ros.config import RunConfig

    if "device" in RunConfig.__dataclass_fields__:
        pytest.skip("this RunConfig has a device option")
    run_config_from_params(resolve(PERCEPTION_PARAMS, {}))  # empty default: not forwarded
    with pytest.raises(ConfigError, match="parameter device: this build's `vsgg run` has no option 'device'"):
        run_config_from_params(resolve(PERCEPTION_PARAMS, {"device": "cuda:0"}))


def test_parse_run_set() -> None:
    assert parse_run_set(" a.b=1 ;; c=x ") == ["a.b=1", "c=x"]
    with pytest.raises(ConfigError, match="'=3'"):
        parse_run_set("=3")


@pytest.mark.parametrize(
    ("text", "default", "value"),
    [("True", False, True), ("false", True, False), ("3", 1, 3), ("0.5", 1.0, 0.5), ("0", "", "0"), ("", "x", "")],
)
def test_launch_text_is_parsed_by_the_parameter_type(text: str, default: object, value: object) -> None:
    parsed = parse_launch_value(text, default)  # type: ignore[arg-type]
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(("text", "default"), [("yes", True), ("1.5", 1), ("fast", 1.0)])
def test_bad_launch_text_is_an_error(text: str, default: object) -> None:
    with pytest.raises(ConfigError, match=repr(text)):
        parse_launch_value(text, default)  # type: ignore[arg-type]


def test_qos_defaults_follow_the_sensor_data_profile() -> None:
    default = next(s.default for s in PERCEPTION_PARAMS if s.name == "qos_reliability")
    depth = next(s.default for s in PERCEPTION_PARAMS if s.name == "qos_depth")
    assert image_qos(default, depth) == QosSettings("best_effort", "volatile", 1)
    assert (LATCHED_QOS.reliability, LATCHED_QOS.durability) == ("reliable", "transient_local")
    with pytest.raises(ValueError, match="'fast'"):
        QosSettings("fast")


def test_qos_messages_tell_the_user_what_to_change() -> None:
    text = incompatible_qos_message("/cam/image", "RELIABILITY", image_qos("reliable"))
    assert "/cam/image" in text and "qos_reliability:=best_effort" in text
    text = no_input_message("/vsgg/image", 5.0, image_qos("best_effort"), received=0)
    assert text.startswith("no image has arrived on /vsgg/image for 5.0 s") and "ros2 topic info -v /vsgg/image" in text
