"""Launch files, parameter YAML, RViz config and CMake entries agree with the nodes' parameter table.

`launch`/`launch_ros` are not installed here, so the launch files are read with `ast`: they must take
every argument from the table in vsgg_ros.ros.params and read no argument that is not in it. The table
is then checked against the parameters the nodes declare (names, defaults, QoS included).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml

from vsgg_ros.ros.params import (
    LIVE_LAUNCH_ARGS,
    PERCEPTION_PARAMS,
    REPLAY_FIXED,
    REPLAY_LAUNCH_ARGS,
    launch_default,
    param_specs,
    parse_launch_value,
)

ROOT = Path(__file__).resolve().parents[1]
LAUNCH = ROOT / "launch"
NODES = ROOT / "vsgg_ros" / "ros"
TABLES = {
    "live.launch.py": ("LIVE_LAUNCH_ARGS", LIVE_LAUNCH_ARGS),
    "replay.launch.py": ("REPLAY_LAUNCH_ARGS", REPLAY_LAUNCH_ARGS),
}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def calls(module: ast.AST, name: str) -> list[ast.Call]:
    def called(node: ast.Call) -> str:
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")

    return [n for n in ast.walk(module) if isinstance(n, ast.Call) and called(n) == name]


@pytest.mark.parametrize("filename", sorted(TABLES))
def test_launch_file_declares_exactly_the_table(filename: str) -> None:
    table_name, table = TABLES[filename]
    module = tree(LAUNCH / filename)
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description" for n in module.body)
    imported = {
        alias.name
        for n in module.body
        if isinstance(n, ast.ImportFrom) and n.module == "vsgg_ros.ros.params"
        for alias in n.names
    }
    assert table_name in imported
    (declare,) = calls(module, "DeclareLaunchArgument")
    comprehensions = [n for n in ast.walk(module) if isinstance(n, ast.ListComp) and declare in ast.walk(n.elt)]
    (comp,) = comprehensions
    assert isinstance(comp.generators[0].iter, ast.Name) and comp.generators[0].iter.id == table_name
    # Every argument the file reads by name (given["..."]) is one the table declares.
    read = {
        n.slice.value
        for n in ast.walk(module)
        if isinstance(n, ast.Subscript)
        and isinstance(n.value, ast.Name)
        and n.value.id == "given"
        and isinstance(n.slice, ast.Constant)
    }
    assert read and read <= {a.name for a in table}, read - {a.name for a in table}


def test_every_launch_argument_maps_to_a_node_parameter_with_the_same_default() -> None:
    for arg in LIVE_LAUNCH_ARGS:
        if arg.kind != "param":
            continue
        if arg.target == "use_sim_time":  # declared by rclpy on every node
            assert arg.node == "*" and arg.default == "false"
            continue
        specs = {s.name: s for s in param_specs(arg.node)}
        assert arg.target in specs, f"launch argument {arg.name} sets undeclared {arg.node} parameter {arg.target}"
        spec = specs[arg.target]
        assert arg.default == launch_default(spec.default), arg.name
        assert parse_launch_value(arg.default, spec.default) == spec.default, arg.name
        assert arg.description == spec.description


def test_qos_default_is_sensor_data_in_node_and_launch_alike() -> None:
    node = next(s for s in PERCEPTION_PARAMS if s.name == "qos_reliability")
    launch = next(a for a in LIVE_LAUNCH_ARGS if a.name == "qos_reliability")
    assert node.default == launch.default == "best_effort"


def test_nodes_declare_their_parameters_from_the_table() -> None:
    for filename, table in (("perception_node.py", "PERCEPTION_PARAMS"), ("zmq_bridge_node.py", "BRIDGE_PARAMS")):
        module = tree(NODES / filename)
        loops = [n for n in ast.walk(module) if isinstance(n, ast.For) and isinstance(n.iter, ast.Name)]
        assert any(loop.iter.id == table and calls(loop, "declare_parameter") for loop in loops), filename


def test_remapped_topics_are_the_ones_the_node_subscribes_to() -> None:
    module = tree(NODES / "perception_node.py")
    subscribed = {c.args[1].value for c in calls(module, "create_subscription") if isinstance(c.args[1], ast.Constant)}
    remapped = {a.target for a in LIVE_LAUNCH_ARGS if a.kind == "remap"}
    assert remapped == subscribed == {"image", "ground_truth", "detections_in"}


def test_parameter_yaml_holds_defaults_of_the_parameters_without_a_launch_argument() -> None:
    data = yaml.safe_load((LAUNCH / "config" / "perception.yaml").read_text())
    ((node, section),) = data.items()
    assert node.endswith("/vsgg_perception")
    values = section["ros__parameters"]
    specs = {s.name: s for s in PERCEPTION_PARAMS}
    mirrored = {a.target for a in LIVE_LAUNCH_ARGS if a.kind == "param" and a.node == "perception"}
    assert set(values) <= set(specs)
    assert not set(values) & mirrored, "a launch argument would silently override these"
    assert set(values) | mirrored == set(specs), "every parameter has a launch argument or a YAML default"
    for name, value in values.items():
        assert value == specs[name].default and type(value) is specs[name].type, name


def test_rviz_config_shows_the_node_outputs_in_the_default_namespace() -> None:
    config = yaml.safe_load((LAUNCH / "config" / "vsgg.rviz").read_text())
    displays = {d["Class"]: d for d in config["Visualization Manager"]["Displays"]}
    namespace = next(a.default for a in LIVE_LAUNCH_ARGS if a.name == "namespace")
    module = tree(NODES / "perception_node.py")
    published = {
        key.value
        for node in ast.walk(module)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }
    assert {"debug_image", "markers"} <= published
    assert displays["rviz_default_plugins/Image"]["Topic"]["Value"] == f"/{namespace}/debug_image"
    assert displays["rviz_default_plugins/MarkerArray"]["Topic"]["Value"] == f"/{namespace}/markers"
    assert set(displays["rviz_default_plugins/MarkerArray"]["Namespaces"]) == {
        "objects",
        "labels",
        "relations",
        "predicates",
    }


def test_replay_fixes_evaluation_settings_through_live_arguments() -> None:
    live = {a.name: a for a in LIVE_LAUNCH_ARGS}
    assert set(REPLAY_FIXED) <= set(live)
    assert not set(REPLAY_FIXED) & {a.name for a in REPLAY_LAUNCH_ARGS}, "a fixed value must not look configurable"
    specs = {s.name: s for s in PERCEPTION_PARAMS}
    for name, text in REPLAY_FIXED.items():
        target = live[name].target
        parse_launch_value(text, specs[target].default if target in specs else False)
    assert (REPLAY_FIXED["realtime"], REPLAY_FIXED["predictor_mode"], REPLAY_FIXED["use_sim_time"]) == (
        "false",
        "sync",
        "true",
    )
    for arg in REPLAY_LAUNCH_ARGS:
        assert arg.kind == "launch" or live[arg.name] == arg
    assert next(a for a in REPLAY_LAUNCH_ARGS if a.name == "bag").default == ""


def test_cmake_installs_each_node_and_generates_each_service() -> None:
    cmake = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    entries = dict(re.findall(r'"([A-Za-z0-9_]+)=([A-Za-z0-9_.]+:[A-Za-z0-9_]+)"', cmake))
    assert entries["perception_node"] == "vsgg_ros.ros.perception_node:main"
    assert entries["zmq_bridge_node"] == "vsgg_ros.ros.zmq_bridge_node:main"
    for name in ("perception_node", "zmq_bridge_node"):
        module = tree(NODES / f"{name}.py")
        assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in module.body)
    for srv in sorted((ROOT / "srv").glob("*.srv")):
        assert f'"srv/{srv.name}"' in cmake
    assert "find_package(vision_msgs REQUIRED)" in cmake


def test_only_node_modules_import_rclpy() -> None:
    for path in sorted((ROOT / "vsgg_ros").rglob("*.py")):
        imports = {
            (n.module or "") if isinstance(n, ast.ImportFrom) else alias.name
            for n in ast.walk(tree(path))
            if isinstance(n, (ast.Import, ast.ImportFrom))
            for alias in n.names
        }
        uses_rclpy = any(name == "rclpy" or name.startswith("rclpy.") for name in imports)
        assert not uses_rclpy or (path.name.endswith("_node.py") and path.parent == NODES), path


@pytest.mark.parametrize("module", ["params", "qos", "convert", "msgs", "sync", "sinks", "models", "engine", "bridge"])
def test_rclpy_free_modules_import_without_ros(module: str) -> None:
    """On a machine without ROS these import; the node modules are the only ones allowed to need rclpy."""
    importlib.import_module(f"vsgg_ros.ros.{module}")
