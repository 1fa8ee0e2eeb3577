"""Live camera -> vsgg perception node, ZeroMQ bridge and (optionally) RViz.

    ros2 launch vsgg_ros live.launch.py image_topic:=/camera/color/image_raw camera_name:=front

Every argument comes from vsgg_ros.ros.params.LIVE_LAUNCH_ARGS, the table the node's parameters are
declared from, so names, defaults and descriptions cannot drift apart (`ros2 launch ... --show-args`).
Precedence: node defaults < the `config` YAML < launch arguments.
"""

from __future__ import annotations

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node

from vsgg_ros.ros.params import LIVE_LAUNCH_ARGS, launch_parameters


def _nodes(context: LaunchContext) -> list:
    given = {a.name: LaunchConfiguration(a.name).perform(context) for a in LIVE_LAUNCH_ARGS}
    config_dir = Path(get_package_share_directory("vsgg_ros")) / "launch" / "config"
    params_file = given["config"] or str(config_dir / "perception.yaml")
    namespace = given["namespace"]
    ros_args = ["--ros-args", "--log-level", given["log_level"]]
    remaps = [(a.target, given[a.name]) for a in LIVE_LAUNCH_ARGS if a.kind == "remap"]
    actions = [
        LifecycleNode(
            package="vsgg_ros",
            executable="perception_node",
            name="vsgg_perception",
            namespace=namespace,
            parameters=[params_file, launch_parameters(LIVE_LAUNCH_ARGS, given, "perception")],
            remappings=remaps,
            arguments=ros_args,
            output="screen",
        )
    ]
    if given["zmq"].lower() == "true":
        actions.append(
            Node(
                package="vsgg_ros",
                executable="zmq_bridge_node",
                name="vsgg_zmq_bridge",
                namespace=namespace,
                parameters=[launch_parameters(LIVE_LAUNCH_ARGS, given, "bridge")],
                arguments=ros_args,
                output="screen",
            )
        )
    if given["rviz"].lower() == "true":
        actions.append(
            Node(package="rviz2", executable="rviz2", arguments=["-d", str(config_dir / "vsgg.rviz")], output="screen")
        )
    return actions


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument(a.name, default_value=a.default, description=a.description) for a in LIVE_LAUNCH_ARGS
    ]
    return LaunchDescription([*arguments, OpaqueFunction(function=_nodes)])
