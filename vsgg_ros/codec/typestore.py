"""Our ROS 2 message definitions and a rosbags typestore that knows them (no ROS install needed).

`msg/*.msg` is the single source of the message contract. A checkout reads it from the top-level
``msg/`` folder next to the package; a wheel or a colcon install carries a copy as
``vsgg_ros/msg_defs/`` (setup.py and CMakeLists.txt put it there). There is deliberately no
``vsgg_ros/msg`` folder: on a ROS machine that import path belongs to the rosidl-generated classes.

Base store: ``Stores.ROS2_HUMBLE``. Our types only reference ``std_msgs/Header``,
``builtin_interfaces/Time`` and ``diagnostic_msgs/KeyValue``, whose definitions (and RIHS01 hashes)
are identical in Humble and Jazzy (tests/test_msgs.py checks this), so the choice does not change a
byte on the wire or a hash in a bag. Humble is the oldest distro we support, so any type it has is
guaranteed to exist on every supported robot.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

if TYPE_CHECKING:
    from rosbags.interfaces.typing import Typesdict

PACKAGE = "vsgg_ros"
SCENE_GRAPH_TYPE = "vsgg_ros/msg/SceneGraph"
OBJECT_NODE_TYPE = "vsgg_ros/msg/ObjectNode"
RELATION_TYPE = "vsgg_ros/msg/Relation"
STAGE_LATENCY_TYPE = "vsgg_ros/msg/StageLatency"
VOCABULARY_TYPE = "vsgg_ros/msg/Vocabulary"
HEADER_TYPE = "std_msgs/msg/Header"
TIME_TYPE = "builtin_interfaces/msg/Time"
KEY_VALUE_TYPE = "diagnostic_msgs/msg/KeyValue"

OUR_TYPES = (SCENE_GRAPH_TYPE, OBJECT_NODE_TYPE, RELATION_TYPE, STAGE_LATENCY_TYPE, VOCABULARY_TYPE)
BASE_STORE = Stores.ROS2_HUMBLE


def msg_dir() -> Path:
    """Folder holding our ``*.msg`` files: the checkout's ``msg/``, else the packaged ``msg_defs/``."""
    checkout = Path(__file__).resolve().parents[2] / "msg"
    if (checkout / "SceneGraph.msg").is_file():
        return checkout
    packaged = Path(str(resources.files(PACKAGE) / "msg_defs"))
    if (packaged / "SceneGraph.msg").is_file():
        return packaged
    raise FileNotFoundError(
        f"vsgg_ros message definitions not found: looked for SceneGraph.msg in {checkout} and {packaged}"
    )


def msg_definitions() -> dict[str, str]:
    """Full type name (``vsgg_ros/msg/<Name>``) -> ``.msg`` text, for every file in :func:`msg_dir`."""
    return {f"{PACKAGE}/msg/{path.stem}": path.read_text(encoding="utf-8") for path in sorted(msg_dir().glob("*.msg"))}


@cache
def typestore() -> Typestore:
    """The shared rosbags typestore: ROS 2 Humble base types plus ours (built once per process)."""
    store = get_typestore(BASE_STORE)
    types: Typesdict = {}
    for name, text in msg_definitions().items():
        types.update(get_types_from_msg(text, name))
    store.register(types)
    return store
