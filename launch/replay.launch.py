"""Replay a bag through the perception node on the bag's clock, record the graphs, evaluate them.

    ros2 launch vsgg_ros replay.launch.py bag:=/data/synthroom/video_0000 rate:=0.5

Runs live.launch.py with vsgg_ros.ros.params.REPLAY_FIXED (use_sim_time, lossless engine, sync predictor),
waits start_delay s for the node to activate, plays the bag with `ros2 bag play --clock`, records the
node's scene_graph and vocabulary topics with `ros2 bag record`, stops the recorder `drain` s after the
bag ends, then runs `vsgg eval` on the recording against the bag's ground truth and shuts down.
Arguments: vsgg_ros.ros.params.REPLAY_LAUNCH_ARGS.
"""

from __future__ import annotations

import signal
from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    ExecuteProcess,
    IncludeLaunchDescription,
    OpaqueFunction,
    RegisterEventHandler,
    TimerAction,
)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown, matches_action
from launch.events.process import SignalProcess
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

from vsgg_ros.ros.params import LIVE_LAUNCH_ARGS, REPLAY_FIXED, REPLAY_LAUNCH_ARGS


def _actions(context: LaunchContext) -> list:
    given = {a.name: LaunchConfiguration(a.name).perform(context) for a in REPLAY_LAUNCH_ARGS}
    if not given["bag"]:
        raise RuntimeError("replay.launch.py needs bag:=<rosbag2 folder or .mcap>")
    bag = given["bag"].rstrip("/")
    out = given["out"] or f"{Path(bag).with_suffix('')}_vsgg"
    namespace = given["namespace"].strip("/")
    prefix = f"/{namespace}" if namespace else ""
    live_names = {a.name for a in LIVE_LAUNCH_ARGS}
    passed = {k: v for k, v in given.items() if k in live_names}
    live = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(Path(get_package_share_directory("vsgg_ros")) / "launch" / "live.launch.py")),
        launch_arguments={**passed, **REPLAY_FIXED}.items(),
    )
    record = ExecuteProcess(
        cmd=["ros2", "bag", "record", "-o", out, f"{prefix}/scene_graph", f"{prefix}/vocabulary"],
        output="screen",
    )
    play = ExecuteProcess(
        cmd=[
            "ros2",
            "bag",
            "play",
            bag,
            "--clock",
            "--rate",
            given["rate"],
            "--topics",
            given["image_topic"],
            given["ground_truth_topic"],
        ],
        output="screen",
    )
    stop_record = EmitEvent(event=SignalProcess(signal_number=signal.SIGINT, process_matcher=matches_action(record)))
    after_play = RegisterEventHandler(
        OnProcessExit(target_action=play, on_exit=[TimerAction(period=float(given["drain"]), actions=[stop_record])])
    )
    finish: list = [EmitEvent(event=Shutdown(reason="replay finished"))]
    if given["protocol"] != "none":
        evaluate = ExecuteProcess(
            cmd=[
                "vsgg",
                "eval",
                "--pred",
                out,
                "--gt",
                bag,
                "--protocol",
                given["protocol"],
                "--pred-topic",
                f"{prefix}/scene_graph",
                "--gt-topic",
                given["ground_truth_topic"],
                "--json",
                f"{out}_eval.json",
            ],
            output="screen",
        )
        finish = [evaluate, RegisterEventHandler(OnProcessExit(target_action=evaluate, on_exit=finish))]
    after_record = RegisterEventHandler(OnProcessExit(target_action=record, on_exit=finish))
    start = TimerAction(period=float(given["start_delay"]), actions=[record, play])
    return [live, after_play, after_record, start]


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument(a.name, default_value=a.default, description=a.description) for a in REPLAY_LAUNCH_ARGS
    ]
    return LaunchDescription([*arguments, OpaqueFunction(function=_actions)])
