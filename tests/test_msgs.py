"""The ROS 2 message contract (msg/*.msg) and the ROS package files that build it."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.base import Nodetype

import vsgg_ros
from vsgg_ros import graph
from vsgg_ros.codec import typestore as ts_mod

ROOT = Path(__file__).resolve().parents[1]
MSG_DIR = ROOT / "msg"
NAMES = ("ObjectNode", "Relation", "SceneGraph", "StageLatency", "Vocabulary")

# Field lists as specified for the contract (name, ROS type), in wire order.
EXPECTED_FIELDS = {
    "ObjectNode": [
        ("id", "uint64"),
        ("label", "string"),
        ("class_id", "int32"),
        ("score", "float32"),
        ("box", "float32[4]"),
        ("state", "uint8"),
        ("has_mask", "bool"),
        ("mask_height", "uint32"),
        ("mask_width", "uint32"),
        ("mask_counts", "string"),
        ("attributes", "diagnostic_msgs/msg/KeyValue[]"),
    ],
    "Relation": [
        ("subject_id", "uint64"),
        ("object_id", "uint64"),
        ("predicate", "string"),
        ("predicate_id", "int32"),
        ("group", "string"),
        ("score", "float32"),
        ("affinity", "float32"),
        ("age_frames", "uint32"),
        ("age_sec", "float32"),
    ],
    "StageLatency": [("stage", "string"), ("ms", "float32")],
    "SceneGraph": [
        ("header", "std_msgs/msg/Header"),
        ("source_id", "string"),
        ("frame_index", "uint64"),
        ("sequence_number", "uint64"),
        ("model_id", "string"),
        ("objects", "vsgg_ros/msg/ObjectNode[]"),
        ("relations", "vsgg_ros/msg/Relation[]"),
        ("latency", "vsgg_ros/msg/StageLatency[]"),
    ],
    "Vocabulary": [
        ("name", "string"),
        ("object_labels", "string[]"),
        ("predicate_labels", "string[]"),
        ("predicate_groups", "string[]"),
    ],
}

# Contract freeze. RIHS01 is the ROS 2 type-description hash of each type (field names and types,
# recursively; comments and constants do not count). rosbag2 stores it per topic and readers such as
# rosbags' AnyReader compare it with the definition they decode with, so editing a field in msg/*.msg
# changes the hash and makes every recorded bag disagree with the new package. If this test fails,
# the change must be deliberate: bump the package version, note it in the changelog, and re-record
# the hashes below (run `ts.hash_rihs01(name)` with vsgg_ros.codec.typestore.typestore()).
FROZEN_RIHS01 = {
    "vsgg_ros/msg/ObjectNode": "RIHS01_427315926740405770cc8dd57a589c577f40eab9aae76b5d8f66edf580afa95f",
    "vsgg_ros/msg/Relation": "RIHS01_a5ba1d0de36eed5ecf16de9eb1b67b1388d641ba0cdaa739b699d17640b13ff0",
    "vsgg_ros/msg/SceneGraph": "RIHS01_8c2767a9c738037ce23e955b49f8c2750df17f5cd579937410539823ccef831b",
    "vsgg_ros/msg/StageLatency": "RIHS01_0f89c1f1e4b342cf82751f266826df20e7e77b7da1c1d3caedb1e35c9a578d6b",
    "vsgg_ros/msg/Vocabulary": "RIHS01_db59e53048af9d18961dd517bf7a2183a9edc38595a7ac28e0bd621174cf051b",
}

# Hashes of the standard types we reference, as reported by a real ROS 2 install (`ros2 topic info
# -v` on Jazzy, quoted by several public code bases). Matching them shows that rosbags computes
# RIHS01 the way rosidl does, which is what makes the frozen values above meaningful.
ROS_REPORTED_RIHS01 = {
    "std_msgs/msg/Header": "RIHS01_f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01",
    "builtin_interfaces/msg/Time": "RIHS01_b106235e25a4c5ed35098aa0a61a3ee9c9b18d197f398b0e4206cea9acf9c197",
}

FIELD_LINE = re.compile(r"^[A-Za-z_][\w/]*(\[\d*\])?\s+[A-Za-z][A-Za-z0-9_]*(\s*=.*)?$")


def _type_str(desc: tuple) -> str:
    kind, detail = desc
    if kind == Nodetype.BASE:
        return detail[0]
    if kind == Nodetype.NAME:
        return detail
    inner, size = detail
    return f"{_type_str(inner)}[{size or ''}]"


def _parse(name: str) -> tuple[list, list]:
    text = (MSG_DIR / f"{name}.msg").read_text(encoding="utf-8")
    return get_types_from_msg(text, f"vsgg_ros/msg/{name}")[f"vsgg_ros/msg/{name}"]


def test_msg_folder_holds_exactly_the_contract() -> None:
    assert sorted(p.stem for p in MSG_DIR.glob("*.msg")) == list(NAMES)
    assert set(ts_mod.msg_definitions()) == {f"vsgg_ros/msg/{n}" for n in NAMES}
    assert set(ts_mod.OUR_TYPES) == {f"vsgg_ros/msg/{n}" for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_msg_parses_with_the_specified_fields(name: str) -> None:
    _, fields = _parse(name)
    assert [(field, _type_str(desc)) for field, desc in fields] == EXPECTED_FIELDS[name]


@pytest.mark.parametrize("name", NAMES)
def test_every_field_and_constant_is_documented(name: str) -> None:
    lines = (MSG_DIR / f"{name}.msg").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), f"{name}.msg must open with a comment saying what it is"
    definitions = 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        code, _, inline = line.partition("#")
        assert FIELD_LINE.match(code.strip()), f"{name}.msg:{i + 1}: unexpected line {raw!r}"
        definitions += 1
        above = lines[i - 1].strip()
        assert inline.strip() or (above.startswith("#") and len(above) > 2), (
            f"{name}.msg:{i + 1}: {code.strip()!r} has no comment"
        )
    constants, fields = _parse(name)
    assert definitions == len(constants) + len(fields)


def test_state_constants_match_track_state() -> None:
    constants, _ = _parse("ObjectNode")
    assert {n: v for n, _, v in constants} == {f"STATE_{s.name}": int(s) for s in graph.TrackState}


def test_relation_msg_mirrors_the_dataclass_field_for_field() -> None:
    _, fields = _parse("Relation")
    assert [f for f, _ in fields] == [f.name for f in dataclasses.fields(graph.Relation)]


def test_object_node_msg_covers_the_dataclass() -> None:
    _, fields = _parse("ObjectNode")
    names = {f for f, _ in fields}
    split = {"mask": {"has_mask", "mask_height", "mask_width", "mask_counts"}}
    for field in dataclasses.fields(graph.ObjectNode):
        assert split.get(field.name, {field.name}) <= names, field.name


def test_rihs01_hashes_are_frozen() -> None:
    store = ts_mod.typestore()
    assert {name: store.hash_rihs01(name) for name in ts_mod.OUR_TYPES} == FROZEN_RIHS01


def test_rosbags_hashes_agree_with_ros() -> None:
    store = ts_mod.typestore()
    for name, expected in ROS_REPORTED_RIHS01.items():
        assert store.hash_rihs01(name) == expected


def test_referenced_standard_types_are_identical_in_humble_and_jazzy() -> None:
    """Why a Humble base store is safe for Jazzy robots: what we reference did not change."""
    humble, jazzy = get_typestore(Stores.ROS2_HUMBLE), get_typestore(Stores.ROS2_JAZZY)
    for name in (ts_mod.HEADER_TYPE, ts_mod.TIME_TYPE, ts_mod.KEY_VALUE_TYPE):
        assert humble.hash_rihs01(name) == jazzy.hash_rihs01(name), name


def test_typestore_is_cached_and_reads_the_contract() -> None:
    store = ts_mod.typestore()
    assert store is ts_mod.typestore()
    for name in ts_mod.OUR_TYPES:
        assert name in store.types
    # From a checkout this is msg/ itself; from a wheel or colcon install, the msg_defs/ copy.
    assert ts_mod.msg_definitions() == {
        f"vsgg_ros/msg/{p.stem}": p.read_text(encoding="utf-8") for p in MSG_DIR.glob("*.msg")
    }


def test_python_package_has_no_msg_subpackage() -> None:
    """`vsgg_ros.msg` belongs to the rosidl-generated classes once the ROS package is built."""
    package = ROOT / "vsgg_ros"
    assert (package / "__init__.py").is_file()
    assert not (package / "msg").exists()
    assert not (package / "msg.py").exists()


def test_package_xml() -> None:
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.tag == "package" and root.get("format") == "3"
    assert root.findtext("name") == "vsgg_ros"
    pyproject = re.search(r'(?m)^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject is not None
    assert root.findtext("version") == pyproject.group(1) == vsgg_ros.__version__
    assert root.findtext("export/build_type") == "ament_cmake"
    assert root.findtext("member_of_group") == "rosidl_interface_packages"
    buildtool = {e.text for e in root.findall("buildtool_depend")}
    assert {"ament_cmake", "ament_cmake_python", "rosidl_default_generators"} <= buildtool
    depends = {e.text for e in root.findall("depend")}
    assert {
        "builtin_interfaces",
        "std_msgs",
        "diagnostic_msgs",
        "sensor_msgs",
        "vision_msgs",
        "visualization_msgs",
        "rclpy",
    } <= depends
    assert "rosidl_default_runtime" in {e.text for e in root.findall("exec_depend")}


def test_cmake_generates_every_msg_before_installing_our_python() -> None:
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    cmake = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert "project(vsgg_ros)" in cmake
    for name in NAMES:
        assert f'"msg/{name}.msg"' in cmake, name
    generate = cmake.index("rosidl_generate_interfaces(${PROJECT_NAME}")
    install_python = cmake.index('DESTINATION "${PYTHON_INSTALL_DIR}/${PROJECT_NAME}"')
    assert generate < install_python
    # A second ament_python_install_package(vsgg_ros) collides with the one rosidl makes (rosidl_python#141).
    assert "ament_python_install_package(" not in cmake
    assert cmake.rstrip().endswith("ament_package()")
